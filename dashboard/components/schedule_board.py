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


class _Clock:
    """Local wall-clock times, each instant converted once (strftime on thousands of instants was half of
    the board's time). Plotly's date axes have no time zone: they get the dispatcher's local time."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._seen: dict[datetime, datetime] = {}

    def _at(self, value: datetime) -> datetime:
        local = self._seen.get(value)
        if local is None:
            local = self._seen[value] = value.astimezone(self.zone)
        return local

    def axis(self, value: datetime) -> str:
        d = self._at(value)
        return f"{d.year:04d}-{d.month:02d}-{d.day:02d} {d.hour:02d}:{d.minute:02d}:{d.second:02d}"

    def hhmm(self, value: datetime) -> str:
        d = self._at(value)
        return f"{d.hour:02d}:{d.minute:02d}"


def _ms(delta: timedelta) -> float:
    return max(delta.total_seconds(), 0.0) * 1000.0


class _Words:
    """Every phrase the hover texts use, translated once per figure: a thousand bars would otherwise
    ask Flask-Babel for the same dozen messages thousands of times (most of the board's time)."""

    def __init__(self, _: Translate, label: Callable[[str], str]) -> None:
        self.cls = _("Class {n}")
        self.committed = _("committed")
        self.proposed = _("proposed by the plan")
        self.times = _("departs {depart} · ETA {eta} · work {start}–{end}")
        self.slot = _("slot {start}–{end}")
        self.deadline = _("deadline {time}")
        self.late = _("late by {m} min")
        self.drive = _("drive {start}–{end}")
        self._label = label
        self._labels: dict[str, str] = {}

    def label(self, code: str) -> str:
        if code not in self._labels:
            self._labels[code] = escape(self._label(code))
        return self._labels[code]


def _hover(bar: Bar, crew: CrewSchedule, clocks: _Clock, words: _Words) -> str:
    clock = clocks.hhmm
    kind = words.committed if bar.committed else words.proposed
    lines = [f"<b>{escape(bar.ticket_no)}</b> · " + words.cls.format(n=bar.ticket_class)
             + f" · {words.label(bar.symptom)}",
             f"{escape(crew.code)} · {kind}" + (f" · {words.label(bar.status)}" if bar.committed else ""),
             escape(bar.address),
             words.times.format(depart=clock(bar.depart), eta=clock(bar.eta), start=clock(bar.start),
                                end=clock(bar.end))]
    mark = _mark(bar, clocks, words)
    if mark:
        lines.append(mark)
    if bar.late:
        worst = min(bar.slack_s.values())
        lines.append("<b>" + words.late.format(m=-(worst // 60)) + "</b>")
    return "<br>".join(lines)


def _mark(bar: Bar, clocks: _Clock, words: _Words) -> str:
    """The slot (class 3) or the deadline the arrival is judged against."""
    if bar.window_start is not None and bar.window_end is not None:
        return words.slot.format(start=clocks.hhmm(bar.window_start), end=clocks.hhmm(bar.window_end))
    return words.deadline.format(time=clocks.hhmm(bar.deadline)) if bar.deadline is not None else ""


class _Series:
    """The points of one bar trace, gathered before the trace is written once."""

    def __init__(self) -> None:
        self.base: list[str] = []
        self.x: list[float] = []
        self.y: list[int] = []
        self.customdata: list[list[Any]] = []
        self.hovertext: list[str] = []

    def add(self, start: datetime, end: datetime, row: int, clock: _Clock, custom: list[Any] | None = None,
            hover: str = "") -> None:
        self.base.append(clock.axis(start))
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
    clock = _Clock(ZoneInfo(timezone))
    words = _Words(_, label)
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
        shade.add(crew.shift_start - SHADE, crew.shift_start, row, clock)
        shade.add(crew.shift_end, crew.shift_end + SHADE, row, clock)
        last = max(last, crew.shift_end)
        for bar in crew.bars:
            custom = [bar.ticket_no, bar.order_id, bar.kind]
            hover = _hover(bar, crew, clock, words)
            head = f"<b>{escape(bar.ticket_no)}</b> · "
            if bar.eta > bar.depart:  # the drive and the mark say only what they add: a smaller figure
                drive[bar.kind].add(bar.depart, bar.eta, row, clock, custom, head + words.drive.format(
                    start=clock.hhmm(bar.depart), end=clock.hhmm(bar.eta)))
            target = late[bar.kind] if bar.late else work[(bar.kind, min(max(bar.ticket_class, 1), 3))]
            target.add(bar.start, bar.end, row, clock, custom, hover)  # a gap after the drive: waiting for a slot
            if bar.deadline is not None:
                marks["x"].append(clock.axis(bar.deadline))
                marks["y"].append(row)
                marks["color"].append(LATE_COLOUR if bar.late else "#212529")
                marks["text"].append(head + _mark(bar, clock, words))
                marks["customdata"].append(custom)
            if bar.window_start is not None and bar.window_end is not None:
                slots["x"] += [clock.axis(bar.window_start), clock.axis(bar.window_end), None]
                slots["y"] += [row - 0.4, row - 0.4, None]
            if selected and bar.ticket_no == selected:
                halo.add(bar.depart, bar.end, row, clock, custom)
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

    now = clock.axis(board.now)
    x_range = [clock.axis(board.now - LOOK_BACK), clock.axis(min(last, board.now + LOOK_AHEAD))]
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
