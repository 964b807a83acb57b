"""Figure builders for the dispatch map: an offline base layer plus ticket and crew markers.

The base map never depends on the internet: the style is ``white-bg`` and roads and districts are
GeoJSON layers fetched once from this server (``/geo/*.geojson``). A configured ``TILE_URL`` adds a
raster layer below everything; when it is unreachable the markers still draw.

Traces have a fixed order so that live refreshes can patch marker data in place without
re-sending the figure: see :data:`TRACE_INDEX`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from html import escape

import plotly.graph_objects as go
from dash import html

from dashboard.i18n import format_datetime, format_duration
from dashboard.labels import label
from ops.i18n import N_
from ops.reads.open_queue import CrewRow, TicketRow
from ops.rules import DEADLINE_MESSAGES
from optimizer.network import RoadNetwork

CLASS_COLOURS = {1: "#d62728", 2: "#ff7f0e", 3: "#1f77b4"}
CREW_COLOURS = {
    "available": "#2ca02c",
    "dispatched": "#9467bd",
    "en_route": "#8c564b",
    "on_site": "#e377c2",
    "off_shift": "#7f7f7f",
    "unavailable": "#7f7f7f",
}
TRACE_INDEX = {"routes": 0, "time_left": 1, "class1": 2, "class2": 3, "class3": 4, "crew_ring": 5, "crew": 6,
               "selected": 7}
#: The ring round a ticket says how close its next deadline is; the fill keeps the class colour.
#: (upper bound in seconds, colour, label); beyond the last band a ticket has no ring.
TIME_LEFT_BANDS: tuple[tuple[float, str, str], ...] = (
    (0, "#111111", N_("overdue")),
    (30 * 60, "#d63384", N_("under 30 min")),
    (2 * 3600, "#ffd43b", N_("under 2 h")),
)
#: The halo around the selected ticket: drawn last (on top), translucent so the ticket shows through.
SELECTED_STYLE = {"size": 30, "color": "#ffc107", "opacity": 0.55}

Translate = Callable[[str], str]


def time_left_colour(seconds: float | None) -> str | None:
    """The ring colour for a ticket with ``seconds`` to its next deadline (negative: overdue)."""
    if seconds is None:
        return None
    return next((colour for limit, colour, _label in TIME_LEFT_BANDS if seconds < limit), None)


def time_left_legend(_: Translate) -> html.Div:
    """What the rings round the tickets mean (the map legend names one colour per trace)."""
    items = [html.Span([html.Span(className="d-inline-block rounded-circle me-1 align-middle",
                                  style={"width": "12px", "height": "12px", "background": "#fff",
                                         "border": f"3px solid {colour}"}),
                        _(text)], className="me-3 text-nowrap")
             for _limit, colour, text in TIME_LEFT_BANDS]
    return html.Div([html.Span(_("Time left") + ": ", className="fw-semibold me-1"), *items],
                    className="small mb-1", id="time-left-legend")


def crew_legend(_: Translate) -> html.Div:
    """What the crew colours mean; the map legend can only name one colour per trace."""
    items = []
    for status in ("available", "dispatched", "en_route", "on_site", "off_shift"):
        items.append(html.Span(
            [html.Span(className="d-inline-block rounded-circle me-1 align-middle",
                       style={"width": "10px", "height": "10px", "background": CREW_COLOURS[status],
                              "border": "2px solid #212529"}),
             label(status)],
            className="me-3 text-nowrap",
        ))
    return html.Div([html.Span(_("Crews") + ": ", className="fw-semibold me-1"), *items],
                    className="small mb-2", id="crew-legend")


def base_layers(tile_url: str = "") -> list[dict]:
    layers: list[dict] = []
    if tile_url:
        layers.append({"sourcetype": "raster", "source": [tile_url], "below": "traces",
                       "sourceattribution": "© OpenStreetMap contributors"})
    layers += [
        {"sourcetype": "geojson", "source": "/geo/districts.geojson", "type": "fill",
         "color": "rgba(120,144,156,0.06)", "below": "traces"},
        {"sourcetype": "geojson", "source": "/geo/districts.geojson", "type": "line",
         "color": "rgba(96,125,139,0.55)", "line": {"width": 1}, "below": "traces"},
        {"sourcetype": "geojson", "source": "/geo/roads.geojson", "type": "line",
         "color": "#c9ced6", "line": {"width": 0.8}, "below": "traces"},
    ]
    return layers


def map_figure(
    bounds: tuple[float, float, float, float],
    tickets: Sequence[TicketRow],
    crews: Sequence[CrewRow],
    *,
    _: Translate,
    timezone: str,
    tile_url: str = "",
    network: RoadNetwork | None = None,
) -> go.Figure:
    """The whole map; built once per page load, then only :func:`marker_patch` data changes."""
    lon0, lat0, lon1, lat1 = bounds
    fig = go.Figure()
    fig.add_trace(go.Scattermap(
        name=_("Routes"), mode="lines", line={"width": 3, "color": "#6f42c1"}, opacity=0.8,
        hoverinfo="skip", showlegend=False,
    ))
    fig.add_trace(go.Scattermap(  # beneath the tickets, a size larger: a ring round each (see time_left_legend)
        name=_("Time left"), mode="markers", marker={"size": 21}, hoverinfo="skip", showlegend=False,
    ))
    for cls in (1, 2, 3):
        fig.add_trace(go.Scattermap(
            name=_("Class {n}").format(n=cls), mode="markers",
            marker={"size": 14 if cls == 1 else 11, "color": CLASS_COLOURS[cls], "opacity": 0.9},
            hovertemplate="%{hovertext}<extra></extra>", legendgroup="tickets",
        ))
    fig.add_trace(go.Scattermap(
        name=_("Crews"), mode="markers", marker={"size": 17, "color": "#212529"},
        hoverinfo="skip", showlegend=False, legendgroup="crews",
    ))
    fig.add_trace(go.Scattermap(
        name=_("Crews"), mode="markers", marker={"size": 11},
        hovertemplate="%{hovertext}<extra></extra>", showlegend=False,  # see crew_legend()
    ))
    # (plotly applies a shorter list of trace updates cyclically: the halo is added after them)
    fig.update(marker_data(tickets, crews, _=_, timezone=timezone, network=network))
    fig.add_trace(go.Scattermap(
        name=_("Selected ticket"), mode="markers", marker=dict(SELECTED_STYLE), lon=[], lat=[],
        hoverinfo="skip", showlegend=False,
    ))
    fig.update_layout(
        map={
            "style": "white-bg",
            "center": {"lon": (lon0 + lon1) / 2, "lat": (lat0 + lat1) / 2},
            "zoom": 11,
            "layers": base_layers(tile_url),
        },
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        legend={"x": 0.01, "y": 0.99, "bgcolor": "rgba(255,255,255,0.85)"},
        uirevision="dispatch-map",  # keep the user's pan and zoom across refreshes
    )
    return fig


def selected_data(lon: float | None, lat: float | None) -> dict[str, list[float]]:
    """The halo trace's coordinates: one point on the selected ticket, or none."""
    if lon is None or lat is None:
        return {"lon": [], "lat": []}
    return {"lon": [lon], "lat": [lat]}


def ticket_of_click(click: dict | None) -> str | None:
    """The ticket number of a clicked ticket marker (or its halo); ``None`` for crews and empty space."""
    tickets = {TRACE_INDEX["class1"], TRACE_INDEX["class2"], TRACE_INDEX["class3"], TRACE_INDEX["selected"]}
    for point in (click or {}).get("points") or []:
        if point.get("curveNumber") in tickets and isinstance(point.get("customdata"), str):
            return point["customdata"]
    return None


def marker_data(
    tickets: Sequence[TicketRow],
    crews: Sequence[CrewRow],
    *,
    _: Translate,
    timezone: str,
    network: RoadNetwork | None = None,
) -> dict:
    """Marker coordinates, colours and hover text for every trace, keyed like a figure dict."""
    _ = memoized(_)
    labels = memoized(label)
    route_lon, route_lat = route_lines(crews, network)
    data: list[dict] = [{"lon": route_lon, "lat": route_lat}]
    ringed = [(t, time_left_colour(t.seconds_left)) for t in tickets]
    ringed = [(t, colour) for t, colour in ringed if colour is not None]
    data.append({"lon": [t.lon for t, _c in ringed], "lat": [t.lat for t, _c in ringed],
                 "marker": {"size": 21, "color": [colour for _t, colour in ringed]}})
    for cls in (1, 2, 3):
        rows = [t for t in tickets if t.ticket_class == cls]
        data.append({
            "lon": [t.lon for t in rows], "lat": [t.lat for t in rows],
            "hovertext": [ticket_hover(t, _=_, timezone=timezone, labels=labels) for t in rows],
            "customdata": [t.ticket_no for t in rows],
        })
    lon = [c.lon for c in crews]
    lat = [c.lat for c in crews]
    data.append({"lon": lon, "lat": lat})
    data.append({
        "lon": lon, "lat": lat,
        "marker": {"size": 11, "color": [CREW_COLOURS.get(c.status, "#7f7f7f") for c in crews]},
        "hovertext": [crew_hover(c, _=_, timezone=timezone, labels=labels) for c in crews],
        "customdata": [c.code for c in crews],
    })
    return {"data": data}


def memoized(lookup: Callable[[str], str]) -> Callable[[str], str]:
    """``lookup`` (a translation) asked once per distinct message for one build of the markers.

    Flask-Babel finds the request's locale and catalog again on every ``gettext`` call (about 25 µs):
    500 tickets ask for the same dozen messages ten times each, which was half of a refresh's time.
    The cache lives for one call of :func:`marker_data`, so a language switch is never missed.
    """
    cache: dict = {}

    def cached(message: str) -> str:
        try:
            return cache[message]
        except KeyError:
            cache[message] = value = lookup(message)
            return value

    return cached


def route_lines(
    crews: Sequence[CrewRow], network: RoadNetwork | None
) -> tuple[list[float | None], list[float | None]]:
    """The drivable route of every crew en route, as one line trace (None separates routes)."""
    lon: list[float | None] = []
    lat: list[float | None] = []
    if network is None:
        return lon, lat
    moving = [c for c in crews if c.status == "en_route" and c.target_lon is not None]
    if not moving:
        return lon, lat
    nodes, _ = network.snap(
        [c.lon for c in moving] + [c.target_lon for c in moving],
        [c.lat for c in moving] + [c.target_lat for c in moving],
    )
    for i in range(len(moving)):
        path = network.path_coordinates(int(nodes[i]), int(nodes[i + len(moving)]))
        lon += [p[0] for p in path] + [None]
        lat += [p[1] for p in path] + [None]
    return lon, lat


def time_left_text(seconds: float | None, _: Translate) -> str:
    if seconds is None:
        return _("no deadline pending")
    if seconds < 0:
        return _("overdue by {t}").format(t=format_duration(timedelta(seconds=-seconds)))
    return _("{t} left").format(t=format_duration(timedelta(seconds=seconds)))


def ticket_hover(t: TicketRow, *, _: Translate, timezone: str, labels: Callable[[str], str] = label) -> str:
    # Everything typed by a person is escaped: hover text is rendered as HTML by plotly.
    # (No _() inside f-strings: Babel cannot extract from them on Python 3.11.)
    class_text = _("Class {n}").format(n=t.ticket_class)
    status_line = _("Status") + ": " + escape(labels(t.status))
    if t.crew_code:
        status_line += " · " + _("Crew") + ": " + escape(t.crew_code)
    lines = [
        f"<b>{escape(t.ticket_no)}</b> · {class_text} · {escape(labels(t.symptom))}",
        escape(t.address),
        status_line,
    ]
    if t.deadline_label and t.deadline_at:
        deadline_name = _(DEADLINE_MESSAGES[t.deadline_label])
        lines.append(
            f"{deadline_name}: {format_datetime(t.deadline_at, timezone, '%H:%M')}"
            f" ({time_left_text(t.seconds_left, _)})"
        )
    return "<br>".join(lines)


def crew_hover(c: CrewRow, *, _: Translate, timezone: str, labels: Callable[[str], str] = label) -> str:
    lines = [f"<b>{escape(c.code)}</b> · {escape(c.name)}", _("Status") + ": " + escape(labels(c.status))]
    if c.ticket_no:
        lines.append(_("Ticket") + ": " + escape(c.ticket_no))
    if c.position_at:
        lines.append(_("Position at") + ": " + format_datetime(c.position_at, timezone, "%H:%M"))
    return "<br>".join(lines)
