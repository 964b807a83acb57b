"""The coverage page's figures, tables and exports: the headline, the risk hexes and the hex table.

Pure functions of a :class:`ops.reads.coverage.CoverageReport` (and the translation function), so the
page's callbacks stay layout and wiring and these can be tested without a browser.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import html
from openpyxl import Workbook

from dashboard.errors import problem_text
from dashboard.labels import label
from ops.errors import ServiceError
from ops.i18n import N_
from ops.reads.coverage import BUSY_HISTORY, CoverageQuery, CoverageReport, ReachableCrew, RiskHex

Translate = Callable[[str], str]

#: What the shares are weighted by, said in words on the page.
WEIGHT_WORDS: Mapping[str, str] = {
    "population": N_("Shares are weighted by population: each zone's people spread over its road nodes."),
    "customers": N_("Shares are weighted by customers: this area has no population figures."),
    "nodes": N_("Shares are weighted by road nodes: this area has neither population nor customers."),
}
#: The reader's parameter names as the page's controls call them, for messages naming the control.
CONTROL_LABELS: Mapping[str, str] = {
    "minutes": N_("Minutes (T)"), "mode": N_("Mode"), "scope": N_("Crews"), "shift": N_("Shift"),
    "weekday": N_("Weekday"), "hour": N_("Hour of day"), "resolution": N_("Hexagon size (H3 resolution)"),
    "exclude_crew": N_("Take a crew off"), "exclude_depot": N_("Take a depot off"), "until": N_("Ticket period"),
    "since": N_("Ticket period"), "lon": N_("Map point"),
}
HEX_COLUMNS = ("hex_id", "district", "minutes", "minutes_before", "population", "customers", "nodes", "expected")


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def control_errors(exc: ServiceError, _: Translate) -> list[str]:
    """One line per problem, naming the control as the page labels it."""
    lines = []
    for problem in exc.problems:
        name = (problem.field or "").split("[", 1)[0]
        control = _(CONTROL_LABELS[name]) if name in CONTROL_LABELS else name
        lines.append(f"{control}: {problem_text(problem)}" if control else problem_text(problem))
    return lines


def _figure(caption: str, value: str, element_id: str, note: str | None = None) -> dbc.Col:
    body = [html.Div(caption, className="small text-muted"), html.Div(value, id=element_id, className="fs-5 fw-bold")]
    if note:
        body.append(html.Div(note, className="small text-muted", id=element_id + "-note"))
    return dbc.Col(dbc.Card(dbc.CardBody(body, className="p-2")), xs=6, md=2)


def headline(report: CoverageReport, _: Translate) -> html.Div:
    """The shares within 15, 30 and T minutes, the 90% time, the weight and, in a what-if, what is lost."""
    t = report.query.minutes
    what_if = bool(report.excluded)
    before = _("with every crew: {p}").format(p=pct(report.baseline_share)) if what_if else None
    cols = [
        _figure(_("Within T = {m} min").format(m=t), pct(report.share), "cov-share", before),
        _figure(_("Population within 15 / 30 min"),
                f"{pct(report.population_share_15)} / {pct(report.population_share_30)}", "cov-population"),
        _figure(_("Customers within 15 / 30 min"),
                f"{pct(report.customer_share_15)} / {pct(report.customer_share_30)}", "cov-customers"),
        _figure(_("90% are within"), "—" if report.p90_minutes is None else
                _("{m} min").format(m=f"{report.p90_minutes:.1f}"), "cov-p90"),
        _figure(_("Expected coverage (busy crews)"), pct(report.expected_share), "cov-expected"),
    ]
    if what_if:
        cols.append(_figure(_("Dropping out of T"), _("{p} people · {c} customers").format(
            p=f"{report.lost_population:,.0f}", c=f"{report.lost_customers:,}"), "cov-lost",
            _("{n} hexagons change band").format(n=len(report.changed_hexes))))
    busy = (_("MEXCLP with a busy fraction of {p} fitted from the last {d} days of work orders.")
            if report.busy_fitted else
            _("MEXCLP with the default busy fraction of {p}: there is no work-order history to fit it from."))
    words = [_(WEIGHT_WORDS[report.weight_kind]), _("Population within T: {p}; customers within T: {c}.").format(
        p=pct(report.population_share), c=pct(report.customer_share)),
        _("Expected coverage") + ": " + busy.format(p=pct(report.busy_fraction), d=BUSY_HISTORY.days)]
    if what_if:
        words.append(_("What-if: {crews} taken off.").format(crews=", ".join(s.code for s in report.excluded)))
    # An empty map is not a verdict on the area: say why nothing is covered and what to change.
    empty = None if report.sources or what_if else dbc.Alert(
        _no_crew_reason(report.query, _), color="info", className="py-1 px-2 small mb-2", id="cov-no-crew")
    return html.Div([dbc.Row(cols, className="g-2 mb-1"), empty,
                     html.Div(" ".join(words), className="small text-muted mb-2", id="cov-weight")])


def _no_crew_reason(query: CoverageQuery, _: Translate) -> str:
    if query.mode == "plan":
        return _("No crew works this shift on this weekday: choose another shift or weekday.")
    if query.scope == "available":
        return _("No crew is available now (every crew on shift is at work): switch on "
                 "\"Every crew on shift, not only available ones\" or look at a planned shift.")
    return _("No crew is on shift now: look at a planned shift.")


def risk_rows(risk: Sequence[RiskHex], _: Translate) -> list[dict[str, Any]]:
    return [{"hex": r.hex_id, "district": r.district or "—", "class1": r.class1,
             "minutes": "—" if r.minutes is None else round(r.minutes, 1), "expected": pct(r.expected),
             "population": round(r.population), "tickets": len(r.ticket_ids)} for r in risk]


def risk_columns(_: Translate) -> list[dict[str, Any]]:
    return [
        {"field": "district", "headerName": _("District"), "width": 110},
        {"field": "class1", "headerName": _("Class-1 tickets"), "width": 120},
        {"field": "minutes", "headerName": _("Minutes"), "width": 90},
        {"field": "expected", "headerName": _("Expected coverage"), "width": 140},
        {"field": "population", "headerName": _("Population"), "width": 110},
        {"field": "hex", "headerName": _("Hexagon"), "flex": 1, "minWidth": 140},
    ]


def reachable_list(crews: Sequence[ReachableCrew], minutes: int, _: Translate) -> html.Div:
    """The crews on shift that reach the clicked point within T, fastest first."""
    if not crews:
        return html.Div(_("No crew on shift reaches this point within {m} min.").format(m=minutes),
                        className="small text-muted", id="cov-reach-empty")
    return html.Ul([html.Li(f"{c.code} · {label(c.status)} · " + _("{m} min").format(m=f"{c.minutes:.1f}"))
                    for c in crews], className="small mb-0 ps-3", id="cov-reach-list")


def hex_table(report: CoverageReport) -> list[list[Any]]:
    """The hexes as rows (header first) for the CSV and XLSX exports; ids stay strings."""
    rows: list[list[Any]] = [list(HEX_COLUMNS)]
    for h in report.hexes:
        rows.append([h.hex_id, h.district or "", h.minutes, h.minutes_before, round(h.population, 1), h.customers,
                     h.nodes, round(h.expected, 4)])
    return rows


def hex_csv(report: CoverageReport) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(
        ["" if v is None else v for v in row] for row in hex_table(report))
    return out.getvalue()


def hex_xlsx(report: CoverageReport) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "coverage"
    for row in hex_table(report):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
