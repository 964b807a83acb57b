"""Figure builders for the coverage page: H3 hexagons on the offline base map, with a stepped scale.

The hexagons are one ``Choroplethmap`` whose ``z`` is a band (within 15 min, within 30, within T,
beyond, unreachable), never the raw minutes: the thresholds must read at a glance, so the colour
scale is stepped and its colour bar names the bands. Hex ids travel as strings (H3's integer ids
exceed 2^53 and would be rounded in the browser). The base map is the dispatch map's
(:func:`dashboard.components.dispatch_map.base_layers`): ``white-bg`` plus roads and districts from
this server, no tiles.

Traces have a fixed order so callbacks can patch one of them: see :data:`TRACE_INDEX`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

import h3
import numpy as np
import plotly.graph_objects as go

from dashboard.components.dispatch_map import base_layers
from ops.reads.coverage import (
    HEADLINE_MINUTES,
    CoverageReport,
    CoverageSource,
    DemandHex,
    HexCoverage,
    tiers,
)

Translate = Callable[[str], str]

TRACE_INDEX = {"hexes": 0, "changed": 1, "demand": 2, "crews": 3, "excluded": 4, "selected": 5, "moves": 6}
#: Colours of the bands within a threshold, nearest first, then beyond the last one and unreachable.
WITHIN_COLOURS = ("#1a9850", "#a6d96a", "#fee08b")
BEYOND_COLOUR = "#d73027"
UNREACHABLE_COLOUR = "#6c757d"
#: Expected coverage (MEXCLP) bands: lower bounds of the chance that a free crew is in reach.
EXPECTED_BANDS = (0.9, 0.7, 0.5)
EXPECTED_COLOURS = ("#1a9850", "#a6d96a", "#fee08b", "#d73027")
CHANGED_STYLE = {"width": 3, "color": "#6f42c1"}
SELECTED_STYLE = {"width": 4, "color": "#0d6efd"}
HEX_OPACITY = 0.55
#: The suggested moves of the "Where to stand" card (lines from each crew, a dot at its waiting place).
MOVE_COLOUR = "#0d6efd"


def thresholds(limit: int) -> list[int]:
    """The band edges for a threshold ``limit``: always 15 and 30 minutes, and T when it is another."""
    return sorted({*HEADLINE_MINUTES, limit})


def minute_bands(minutes: Sequence[float | None], limit: int) -> np.ndarray:
    """Each hex's band: i = within ``thresholds(limit)[i]``, then beyond the last, then unreachable."""
    edges = thresholds(limit)
    values = np.array([np.inf if m is None else m for m in minutes], dtype=float)
    bands = tiers(values, limit).astype(np.int64) if len(values) else np.zeros(0, dtype=np.int64)
    bands[~np.isfinite(values)] = len(edges) + 1
    return bands


def minute_labels(limit: int, _: Translate) -> list[str]:
    """The bands' names, in the order of :func:`minute_bands`."""
    edges = thresholds(limit)
    names = [(_("≤ {m} min (T)") if m == limit else _("≤ {m} min")).format(m=m) for m in edges]
    names.append(_("beyond {m} min").format(m=edges[-1]))
    names.append(_("unreachable"))
    return names


def minute_colours(limit: int) -> list[str]:
    return [*WITHIN_COLOURS[:len(thresholds(limit))], BEYOND_COLOUR, UNREACHABLE_COLOUR]


def expected_bands(expected: Sequence[float]) -> np.ndarray:
    """0: a free crew is in reach with chance ≥ 90%, 1: ≥ 70%, 2: ≥ 50%, 3: less."""
    values = np.asarray(expected, dtype=float)
    return np.searchsorted(-np.asarray(EXPECTED_BANDS), -values, side="left")


def expected_labels(_: Translate) -> list[str]:
    names = [_("at least {p}%").format(p=round(p * 100)) for p in EXPECTED_BANDS]
    names.append(_("under {p}%").format(p=round(EXPECTED_BANDS[-1] * 100)))
    return names


def stepped_scale(colours: Sequence[str]) -> list[list]:
    """A colour scale with one flat step per band (for ``z`` = 0 … n−1, ``zmin`` −0.5, ``zmax`` n−0.5)."""
    n = len(colours)
    scale: list[list] = []
    for k, colour in enumerate(colours):
        scale += [[k / n, colour], [(k + 1) / n, colour]]
    return scale


def hex_outline(hexes: Sequence[HexCoverage]) -> tuple[list[float | None], list[float | None]]:
    """The boundaries of ``hexes`` as one line trace's coordinates (``None`` separates the rings)."""
    lon: list[float | None] = []
    lat: list[float | None] = []
    for h in hexes:
        lon += [p[0] for p in h.boundary] + [None]
        lat += [p[1] for p in h.boundary] + [None]
    return lon, lat


def hex_centre(h: HexCoverage) -> tuple[float, float]:
    """(lon, lat) of a hexagon's centre: the mean of its ring's corners (the closing point left out)."""
    ring = h.boundary[:-1] if len(h.boundary) > 1 and h.boundary[0] == h.boundary[-1] else h.boundary
    return float(np.mean([p[0] for p in ring])), float(np.mean([p[1] for p in ring]))


@dataclass(frozen=True)
class HexRing:
    """One hexagon's outline as a line trace's coordinates, and its centre (lon, lat)."""

    lon: list[float]
    lat: list[float]
    centre: tuple[float, float]


def hex_ring(hex_id: str) -> HexRing | None:
    """The outline of the H3 cell ``hex_id`` (``None`` for anything that is not one); h3 gives (lat, lng)."""
    try:
        if not h3.is_valid_cell(hex_id):
            return None
        corners = h3.cell_to_boundary(hex_id)
        lat, lon = h3.cell_to_latlng(hex_id)
    except (TypeError, ValueError):
        return None
    ring = [*corners, corners[0]]
    return HexRing(lon=[p[1] for p in ring], lat=[p[0] for p in ring], centre=(float(lon), float(lat)))


def hex_hover(h: HexCoverage, _: Translate) -> str:
    minutes = _("unreachable") if h.minutes is None else _("{m} min").format(m=f"{h.minutes:.1f}")
    lines = [f"<b>{escape(h.district or '')}</b> {minutes}",
             _("Population") + f": {h.population:,.0f} · " + _("Customers") + f": {h.customers:,}",
             _("Expected coverage") + f": {h.expected:.0%}"]
    if h.minutes_before != h.minutes:
        before = _("unreachable") if h.minutes_before is None else _("{m} min").format(m=f"{h.minutes_before:.1f}")
        lines.append(_("With every crew") + ": " + before)
    return "<br>".join(lines)


def coverage_figure(report: CoverageReport, demand_hexes: Sequence[DemandHex], *, view: str, show_demand: bool,
                    bounds: tuple[float, float, float, float], _: Translate, tile_url: str = "",
                    selected: str | None = None) -> go.Figure:
    """The whole map for one report; ``view`` is ``"minutes"`` (nearest crew) or ``"expected"`` (MEXCLP)."""
    hexes = report.hexes
    if view == "expected":
        z, names, colours = expected_bands([h.expected for h in hexes]), expected_labels(_), EXPECTED_COLOURS
        title = _("Expected coverage")
    else:
        limit = report.query.minutes
        z, names = minute_bands([h.minutes for h in hexes], limit), minute_labels(limit, _)
        colours, title = minute_colours(limit), _("Nearest crew")
    geojson = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": h.hex_id, "properties": {}, "geometry": {"type": "Polygon",
                                                                          "coordinates": [h.boundary]}}
        for h in hexes]}
    fig = go.Figure()
    fig.add_trace(go.Choroplethmap(
        name=title, geojson=geojson, locations=[h.hex_id for h in hexes], featureidkey="id", z=z.tolist(),
        zmin=-0.5, zmax=len(colours) - 0.5, colorscale=stepped_scale(colours), marker={"opacity": HEX_OPACITY,
                                                                                       "line": {"width": 0.3}},
        colorbar={"title": {"text": title}, "tickvals": list(range(len(colours))), "ticktext": names,
                  "x": 0.99, "xanchor": "right", "y": 0.9, "yanchor": "top", "len": 0.45, "thickness": 14,
                  "bgcolor": "rgba(255,255,255,0.85)"},
        hovertext=[hex_hover(h, _) for h in hexes], hovertemplate="%{hovertext}<extra></extra>",
        customdata=[h.hex_id for h in hexes],
    ))
    by_id = {h.hex_id: h for h in hexes}
    lon, lat = hex_outline([by_id[c] for c in report.changed_hexes if c in by_id])
    fig.add_trace(go.Scattermap(name=_("Changed band"), mode="lines", lon=lon, lat=lat, line=CHANGED_STYLE,
                                hoverinfo="skip", showlegend=bool(report.changed_hexes)))
    fig.add_trace(demand_trace(demand_hexes if show_demand else [], by_id, _))
    fig.add_trace(crew_trace(report.sources, _("Crews"), "#212529"))
    fig.add_trace(crew_trace(report.excluded, _("Taken off"), "#d63384"))
    fig.add_trace(go.Scattermap(name=_("Selected hexagon"), mode="lines", line=SELECTED_STYLE, hoverinfo="skip",
                                showlegend=False, **selected_outline(selected, by_id)))
    fig.add_trace(go.Scattermap(name=_("Suggested moves"), mode="lines+markers", lon=[], lat=[],
                                line={"width": 3, "color": MOVE_COLOUR}, marker={"size": [], "color": MOVE_COLOUR},
                                hovertemplate="%{hovertext}<extra></extra>", showlegend=False))
    lon0, lat0, lon1, lat1 = bounds
    fig.update_layout(
        map={"style": "white-bg", "center": {"lon": (lon0 + lon1) / 2, "lat": (lat0 + lat1) / 2}, "zoom": 11,
             "layers": base_layers(tile_url)},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        legend={"x": 0.01, "y": 0.99, "bgcolor": "rgba(255,255,255,0.85)"},
        uirevision="coverage-map",  # keep the user's pan and zoom when a control changes
    )
    return fig


def selected_outline(hex_id: str | None, by_id: dict[str, HexCoverage]) -> dict[str, list]:
    lon, lat = hex_outline([by_id[hex_id]] if hex_id in by_id else [])
    return {"lon": lon, "lat": lat}


def demand_trace(demand_hexes: Sequence[DemandHex], by_id: dict[str, HexCoverage], _: Translate) -> go.Scattermap:
    """Class-1 and class-2 tickets per hex as markers at the hex centres, sized by their count."""
    shown = [d for d in demand_hexes if d.hex_id in by_id]
    centres = [hex_centre(by_id[d.hex_id]) for d in shown]
    counts = [d.class1 + d.class2 for d in shown]
    text = [_("Class 1: {a} · class 2: {b}").format(a=d.class1, b=d.class2) for d in shown]
    return go.Scattermap(
        name=_("Tickets (class 1 and 2)"), mode="markers", lon=[c[0] for c in centres],
        lat=[c[1] for c in centres], customdata=[d.hex_id for d in shown],
        marker={"size": [min(8 + 3 * n, 30) for n in counts],
                "color": ["#b02a37" if d.class1 else "#fd7e14" for d in shown], "opacity": 0.8},
        hovertext=text, hovertemplate="%{hovertext}<extra></extra>", showlegend=bool(shown))


def crew_trace(sources: Sequence[CoverageSource], name: str, colour: str) -> go.Scattermap:
    return go.Scattermap(
        name=name, mode="markers", lon=[s.lon for s in sources], lat=[s.lat for s in sources],
        marker={"size": 12, "color": colour}, hovertext=[escape(s.code) for s in sources],
        hovertemplate="%{hovertext}<extra></extra>", showlegend=bool(sources))


def clicked_hex(click: dict | None) -> str | None:
    """The hex id under a click on the map (a hexagon, or a demand marker, which sits on one)."""
    for point in (click or {}).get("points") or []:
        if point.get("curveNumber") in (TRACE_INDEX["hexes"], TRACE_INDEX["demand"]):
            value = point.get("location") or point.get("customdata")
            if isinstance(value, str):
                return value
    return None
