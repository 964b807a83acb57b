"""The schedule board's figure: one row per crew on shift, its shift as a timeline, each job as a bar.

A pure function of the read model (:class:`ops.reads.schedule.ScheduleBoard`), unit-tested without a
browser. It must stay responsive at 60 crews × 10 jobs, so bars are grouped into a handful of traces
(one per kind × class for the work, one per kind for the drive, one for late work, one each for the
markers), never one trace per bar, and the figure is a plain dict: plotly's per-property validation
of ``go.Figure`` would cost more than the read itself at that size.

- drive and work are drawn apart: the drive in grey, the work in its class colour (late work in red);
- committed orders are solid, the plan's proposals hatched and translucent;
- a tick marks the deadline the arrival is judged against (red when missed), a line under the bar
  the class-3 slot;
- the shift outside its hours is shaded and a vertical line marks now;
- every point carries ``[ticket number, order id or None, kind]`` as ``customdata``: a click selects
  the ticket (:func:`ticket_of_click`); every trace has a fixed ``uid`` (its names are translated).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from dashboard.components.dispatch_map import CLASS_COLOURS
from ops.reads.schedule import COMMITTED, PROPOSED, Bar, CrewSchedule, ScheduleBoard

Translate = Callable[[str], str]

LATE_COLOUR = "#b02a37"
DRIVE_COLOUR = "#adb5bd"
OFF_SHIFT_COLOUR = "rgba(108,117,125,0.16)"
SELECTED_COLOUR = "#ffc107"
#: Pixels per crew row, and what the axes and the legend take besides.
ROW_PX = 30
FRAME_PX = 90
#: The view opens an hour before now and runs to the last shift end or bar, at most this far ahead.
LOOK_BACK = timedelta(hours=1)
LOOK_AHEAD = timedelta(hours=14)
#: Where the shading outside a shift reaches (wide enough for any zoom out a dispatcher does).
SHADE = timedelta(hours=24)
BAR_WIDTH = 0.62
HATCH = {"shape": "/", "fgcolor": "rgba(255,255,255,0.85)", "size": 6, "solidity": 0.35}


def _local(value: datetime, zone: ZoneInfo) -> str:
    """Plotly's date axes have no time zone: the local wall-clock time, as the dispatcher reads it."""
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def _ms(delta: timedelta) -> float:
    return max(delta.total_seconds(), 0.0) * 1000.0


def _hover(bar: Bar, crew: CrewSchedule, zone: ZoneInfo, _: Translate, label: Callable[[str], str]) -> str:
    def clock(value: datetime) -> str:
        return value.astimezone(zone).strftime("%H:%M")

    kind = _("committed") if bar.committed else _("proposed by the plan")
    lines = [f"<b>{escape(bar.ticket_no)}</b> · " + _("Class {n}").format(n=bar.ticket_class)
             + f" · {escape(label(bar.symptom))}",
             f"{escape(crew.code)} · {kind}" + (f" · {escape(label(bar.status))}" if bar.committed else ""),
             escape(bar.address),
             _("departs {depart} · ETA {eta} · work {start}–{end}").format(
                 depart=clock(bar.depart), eta=clock(bar.eta), start=clock(bar.start), end=clock(bar.end))]
    if bar.window_start is not None and bar.window_end is not None:
        lines.append(_("slot {start}–{end}").format(start=clock(bar.window_start), end=clock(bar.window_end)))
    elif bar.deadline is not None:
        lines.append(_("deadline {time}").format(time=clock(bar.deadline)))
    if bar.late:
        worst = min(bar.slack_s.values())
        lines.append("<b>" + _("late by {m} min").format(m=-(worst // 60)) + "</b>")
    return "<br>".join(lines)


class _Series:
    """The points of one bar trace, gathered before the trace is written once."""

    def __init__(self) -> None:
        self.base: list[str] = []
        self.x: list[float] = []
        self.y: list[int] = []
        self.customdata: list[list[Any]] = []
        self.hovertext: list[str] = []

    def add(self, start: datetime, end: datetime, row: int, zone: ZoneInfo, custom: list[Any] | None = None,
            hover: str = "") -> None:
        self.base.append(_local(start, zone))
        self.x.append(_ms(end - start))
        self.y.append(row)
        self.customdata.append(custom or [])
        self.hovertext.append(hover)

    def trace(self, uid: str, name: str, colour: str, *, hatched: bool = False, opacity: float = 1.0,
              legend: bool = True, group: str | None = None, hover: bool = True, width: float = BAR_WIDTH,
              outline: str | None = None) -> dict[str, Any]:
        marker: dict[str, Any] = {"color": colour, "opacity": opacity,
                                  "line": {"width": 1.5 if outline else 0, "color": outline or colour}}
        if hatched:
            marker["pattern"] = dict(HATCH)
        trace: dict[str, Any] = {
            "type": "bar", "orientation": "h", "uid": uid, "name": name, "base": self.base, "x": self.x, "y": self.y,
            "width": width, "marker": marker, "showlegend": legend, "customdata": self.customdata,
        }
        if group:
            trace["legendgroup"] = group
        if hover:
            trace.update(hovertext=self.hovertext, hovertemplate="%{hovertext}<extra></extra>")
        else:
            trace["hoverinfo"] = "skip"
        return trace


def schedule_figure(board: ScheduleBoard, *, _: Translate, timezone: str, selected: str | None = None,
                    label: Callable[[str], str] | None = None) -> dict[str, Any]:
    """The whole board as a plotly figure dict; ``selected`` (a ticket number) is ringed."""
    if label is None:
        from dashboard.labels import label
    zone = ZoneInfo(timezone)
    crews = board.crews
    n = len(crews)
    row_of = {c.crew_id: n - 1 - i for i, c in enumerate(crews)}  # the first crew on top

    shade = _Series()
    drive = {COMMITTED: _Series(), PROPOSED: _Series()}
    work = {(kind, cls): _Series() for kind in (COMMITTED, PROPOSED) for cls in (1, 2, 3)}
    late = {COMMITTED: _Series(), PROPOSED: _Series()}
    halo = _Series()
    marks: dict[str, list[Any]] = {"x": [], "y": [], "color": [], "text": [], "customdata": []}
    slots: dict[str, list[Any]] = {"x": [], "y": []}
    last = board.now
    for crew in crews:
        row = row_of[crew.crew_id]
        shade.add(crew.shift_start - SHADE, crew.shift_start, row, zone)
        shade.add(crew.shift_end, crew.shift_end + SHADE, row, zone)
        last = max(last, crew.shift_end)
        for bar in crew.bars:
            custom = [bar.ticket_no, bar.order_id, bar.kind]
            hover = _hover(bar, crew, zone, _, label)
            if bar.eta > bar.depart:
                drive[bar.kind].add(bar.depart, bar.eta, row, zone, custom, hover)
            target = late[bar.kind] if bar.late else work[(bar.kind, min(max(bar.ticket_class, 1), 3))]
            target.add(bar.start, bar.end, row, zone, custom, hover)  # a gap after the drive: waiting for a slot
            if bar.deadline is not None:
                marks["x"].append(_local(bar.deadline, zone))
                marks["y"].append(row)
                marks["color"].append(LATE_COLOUR if bar.late else "#212529")
                marks["text"].append(hover)
                marks["customdata"].append(custom)
            if bar.window_start is not None and bar.window_end is not None:
                slots["x"] += [_local(bar.window_start, zone), _local(bar.window_end, zone), None]
                slots["y"] += [row - 0.4, row - 0.4, None]
            if selected and bar.ticket_no == selected:
                halo.add(bar.depart, bar.end, row, zone, custom)
            last = max(last, bar.end)

    data = [shade.trace("off-shift", _("Off shift"), OFF_SHIFT_COLOUR, legend=False, hover=False, width=1.0)]
    data.append(drive[COMMITTED].trace("drive-committed", _("Drive"), DRIVE_COLOUR, group="drive"))
    data.append(drive[PROPOSED].trace("drive-proposed", _("Drive (proposed)"), DRIVE_COLOUR, hatched=True, opacity=0.6,
                                      legend=False, group="drive"))
    for cls in (1, 2, 3):
        data.append(work[(COMMITTED, cls)].trace(f"work-committed-{cls}", _("Class {n}").format(n=cls), CLASS_COLOURS[cls],
                                                 group=f"class{cls}"))
        data.append(work[(PROPOSED, cls)].trace(f"work-proposed-{cls}", _("Class {n} (proposed)").format(n=cls), CLASS_COLOURS[cls],
                                                hatched=True, opacity=0.55, legend=False, group=f"class{cls}"))
    data.append(late[COMMITTED].trace("late-committed", _("Late"), LATE_COLOUR, group="late", outline="#58151c"))
    data.append(late[PROPOSED].trace("late-proposed", _("Late (proposed)"), LATE_COLOUR, hatched=True, opacity=0.6, legend=False,
                                     group="late", outline="#58151c"))
    data.append({"type": "scatter", "mode": "lines", "uid": "slot", "name": _("Slot"), "x": slots["x"], "y": slots["y"],
                 "line": {"color": CLASS_COLOURS[3], "width": 3}, "hoverinfo": "skip", "connectgaps": False})
    data.append({"type": "scatter", "mode": "markers", "uid": "deadline", "name": _("Deadline"), "x": marks["x"], "y": marks["y"],
                 "marker": {"symbol": "line-ns-open", "size": 18, "line": {"width": 3, "color": marks["color"]},
                            "color": marks["color"]},
                 "hovertext": marks["text"], "hovertemplate": "%{hovertext}<extra></extra>",
                 "customdata": marks["customdata"]})
    ring = halo.trace("selected", _("Selected"), "rgba(0,0,0,0)", legend=False, hover=False, width=0.9)
    ring["marker"]["line"] = {"width": 3, "color": SELECTED_COLOUR}
    data.append(ring)

    now = _local(board.now, zone)
    x_range = [_local(board.now - LOOK_BACK, zone), _local(min(last, board.now + LOOK_AHEAD), zone)]
    layout = {
        "barmode": "overlay",
        "height": max(240, ROW_PX * n + FRAME_PX),
        "margin": {"l": 70, "r": 10, "t": 30, "b": 30},
        "xaxis": {"type": "date", "range": x_range, "tickformat": "%H:%M", "side": "top", "showgrid": True,
                  "gridcolor": "#eceff1"},
        "yaxis": {"tickmode": "array", "tickvals": [row_of[c.crew_id] for c in crews],
                  "ticktext": [escape(c.code) for c in crews], "range": [-0.6, max(n, 1) - 0.4],
                  "showgrid": False, "zeroline": False, "fixedrange": True},
        "legend": {"orientation": "h", "y": -0.02, "yanchor": "top", "x": 0, "font": {"size": 11}},
        "shapes": [{"type": "line", "xref": "x", "yref": "paper", "x0": now, "x1": now, "y0": 0, "y1": 1,
                    "line": {"color": "#0d6efd", "width": 2, "dash": "dot"}}],
        "annotations": [{"x": now, "y": 1, "xref": "x", "yref": "paper", "text": _("now"), "showarrow": False,
                         "yanchor": "bottom", "font": {"color": "#0d6efd", "size": 11}}],
        "hovermode": "closest",
        "clickmode": "event",
        "dragmode": "pan",
        "uirevision": "schedule-board",  # keep the dispatcher's zoom and pan across refreshes
        "plot_bgcolor": "#ffffff",
    }
    if not crews:
        layout["annotations"].append({"text": _("No crew is on shift."), "xref": "paper", "yref": "paper",
                                      "x": 0.5, "y": 0.5, "showarrow": False})
    return {"data": data, "layout": layout}


def ticket_of_click(click: dict | None) -> str | None:
    """The ticket number of a clicked bar or deadline mark; ``None`` for empty space and shading."""
    for point in (click or {}).get("points") or []:
        custom = point.get("customdata")
        if isinstance(custom, list) and custom and isinstance(custom[0], str):
            return custom[0]
    return None
