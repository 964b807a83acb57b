"""The coverage page's "Where to stand" card: its controls, the suggestion's figures and moves, the map's arrows.

Pure functions of the suggestion as :func:`dashboard.api_coverage.positions_json` renders it (the page
keeps that dict in a store, so the API and the page show the same thing), so the callbacks in
``dashboard.pages.coverage`` stay wiring and these can be tested without a browser.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components.coverage_map import MOVE_COLOUR
from dashboard.components.coverage_table import pct

Translate = Callable[[str], str]

#: Pattern id type of a move's "Send as standby" button.
SEND_TYPE = "cov-stand-send"
#: The note kept with a standby sent from the card (stored data, read by the office in the crew's log).
STANDBY_NOTE = "coverage: suggested position"
SENT = "sent"


def card(_: Translate) -> dbc.Card:
    """The card as the page first shows it: model, how many crews may move, and the button."""
    controls = [
        dbc.Label(_("Model"), html_for="cov-stand-model", className="small mb-0"),
        dbc.RadioItems(id="cov-stand-model", value="mclp", inline=True, className="small",
                       options=[{"label": _("MCLP (covered weight)"), "value": "mclp"},
                                {"label": _("MEXCLP (busy crews)"), "value": "mexclp"}]),
        dbc.Label(_("Idle crews that may move"), html_for="cov-stand-crews", className="small mb-0"),
        dbc.Input(id="cov-stand-crews", type="number", min=1, step=1, size="sm", debounce=True,
                  placeholder=_("All idle crews")),
        dbc.Button(_("Suggest"), id="cov-stand-go", size="sm", color="primary", className="mt-2"),
    ]
    result = dcc.Loading(html.Div(hint(_), id="cov-stand-result"), type="dot", delay_show=300)
    return dbc.Card([dbc.CardHeader(_("Where to stand"), className="py-1 px-2 small fw-semibold"),
                     dbc.CardBody([*controls, html.Div(result, className="mt-2")], className="p-2")],
                    className="mb-2", id="cov-stand")


def hint(_: Translate) -> html.Div:
    """What the card says before a suggestion, and again once a control change clears it."""
    return html.Div(_("Where the idle crews could wait to cover more within T."), className="small text-muted")


def crew_count(value: Any) -> Any:
    """The count control as the reader takes it: empty means every idle crew; anything else is checked there."""
    if value in (None, ""):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def model_note(plan: Mapping[str, Any], _: Translate) -> str:
    if plan["model"] != "mexclp":
        return _("MCLP: the weight within T of at least one crew.")
    text = (_("MEXCLP with a busy fraction of {p} fitted from the work orders.") if plan["busy_fitted"] else
            _("MEXCLP with the default busy fraction of {p}: there is no work-order history to fit it from."))
    return text.format(p=pct(plan["busy_fraction"]))


def _place(move: Mapping[str, Any], _: Translate, side: str) -> str:
    """``side`` "from_" or "": the street and district the crew leaves, or the one it goes to."""
    street = move.get(side + "street") or _("unnamed road")
    district = move.get(side + "district")
    return f"{street} ({district})" if district else street


def _status(result: Any, _: Translate) -> html.Span | None:
    if result is None:
        return None
    if result == SENT:
        return html.Span(_("Sent as standby"), className="text-success ms-1 cov-stand-sent")
    return html.Span(_("Refused: {reason}").format(reason=result), className="text-danger ms-1 cov-stand-refused")


def moves_list(plan: Mapping[str, Any], results: Mapping[str, Any], may_send: bool, _: Translate) -> html.Div:
    """The figures standing still and after, and one row per move with its send button and its result.

    ``results`` maps a crew id (as text: it travels through a JSON store) to ``"sent"`` or the
    translated refusal; a role that may not send sees the buttons disabled and why.
    """
    kind = {"population": _("people"), "customers": _("customers"), "nodes": _("road nodes")}[plan["weight_kind"]]
    weight = _("expected {kind}") if plan["model"] == "mexclp" else "{kind}"
    figures = html.Div([
        html.Div([html.Span(_("Standing still") + ": ", className="text-muted"),
                  html.B(pct(plan["share_before"]), id="cov-stand-before"),
                  f" · {plan['covered_before']:,.0f} " + weight.format(kind=kind)]),
        html.Div([html.Span(_("After the moves") + ": ", className="text-muted"),
                  html.B(pct(plan["share_after"]), id="cov-stand-after"),
                  f" · {plan['covered_after']:,.0f} " + weight.format(kind=kind)]),
        html.Div(model_note(plan, _), className="text-muted"),
    ], className="small mb-1")
    if not plan["moves"]:
        return html.Div([figures, html.Div(_("No move covers more: the idle crews stand well as they are."),
                                           className="small", id="cov-stand-none")])
    reason = None if may_send else _("Only dispatchers and supervisors may send a standby.")
    rows = []
    for move in plan["moves"]:
        done = results.get(str(move["crew_id"]))
        rows.append(html.Li([
            html.B(move["code"]), " ",
            html.Span(_("{a} → {b}, {m} min").format(a=_place(move, _, "from_"), b=_place(move, _, ""),
                                                     m=f"{move['minutes']:.0f}")),
            html.Div([dbc.Button(_("Send as standby"), id={"type": SEND_TYPE, "crew": move["crew_id"]}, size="sm",
                                 color="outline-primary", className="py-0 px-1",
                                 disabled=not may_send or done == SENT, title=reason),
                      _status(done, _)], className="mt-1"),
        ], className="mb-1", id=f"cov-stand-move-{move['crew_id']}"))
    pending = [m for m in plan["moves"] if results.get(str(m["crew_id"])) != SENT]
    send_all = dbc.Button(_("Send all"), id="cov-stand-send-all", size="sm", color="primary",
                          disabled=not may_send or not pending, title=reason, className="mt-1")
    note = html.Div(reason, className="small text-muted", id="cov-stand-reason") if reason else None
    return html.Div([figures, html.Ol(rows, className="small ps-3 mb-1", id="cov-stand-moves"), send_all, note])


def move_lines(plan: Mapping[str, Any] | None) -> dict[str, list]:
    """The moves as one line trace: from each crew to its waiting place, a dot at the place (no dot at the crew).

    ``None`` separates the lines; the marker sizes follow the points, so only the targets show a dot.
    """
    lon: list[float | None] = []
    lat: list[float | None] = []
    size: list[int] = []
    text: list[str] = []
    for move in (plan or {}).get("moves") or []:
        lon += [move["from_lon"], move["to_lon"], None]
        lat += [move["from_lat"], move["to_lat"], None]
        size += [0, 11, 0]
        text += [move["code"], move["code"], ""]
    return {"lon": lon, "lat": lat, "marker": {"size": size, "color": MOVE_COLOUR}, "hovertext": text}
