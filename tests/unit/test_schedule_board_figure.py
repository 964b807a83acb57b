"""The schedule board's figure: bars split into drive and work, markers, late in red, proposals hatched,
and a trace count that does not grow with the number of bars."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dashboard.components.schedule_board import (
    DRIVE_COLOUR,
    LATE_COLOUR,
    schedule_figure,
    ticket_of_click,
)
from ops.reads.schedule import COMMITTED, PROPOSED, Bar, CrewSchedule, ScheduleBoard

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # 12:00 in Santiago
TZ = "America/Santiago"


def identity(message: str) -> str:
    return message


def bar(no: str, *, kind: str = COMMITTED, cls: int = 2, depart: int = 0, eta: int = 10, end: int = 50,
        slack: dict[str, int] | None = None, slot: bool = False, crew_id: int = 1, address: str = "Calle 1") -> Bar:
    at = lambda m: NOW + timedelta(minutes=m)  # noqa: E731
    return Bar(kind=kind, crew_id=crew_id, ticket_id=hash(no) % 1000, ticket_no=no, ticket_class=cls,
               symptom="no_gas", address=address, lon=-71.2, lat=-29.9,
               status="dispatched" if kind == COMMITTED else PROPOSED, position=0,
               order_id=7 if kind == COMMITTED else None, order_version=1 if kind == COMMITTED else None,
               depart=at(depart), eta=at(eta), start=at(eta), end=at(end),
               deadline=at(eta + 30) if not slot else at(eta + 60), deadline_label="onsite_limit",
               window_start=at(eta - 60) if slot else None, window_end=at(eta + 60) if slot else None,
               slack_s=slack if slack is not None else {"onsite_limit": 1800})


def board(*crews: tuple[str, tuple[Bar, ...]]) -> ScheduleBoard:
    rows = tuple(CrewSchedule(crew_id=i + 1, code=code, name=code, status="dispatched",
                              shift_start=NOW - timedelta(hours=4), shift_end=NOW + timedelta(hours=8), bars=bars)
                 for i, (code, bars) in enumerate(crews))
    return ScheduleBoard(now=NOW, plan_at=NOW, plan_source="scheduler", crews=rows)


def traces(fig: dict) -> dict[str, dict]:
    return {t["name"]: t for t in fig["data"]}


def test_a_bar_is_split_into_its_drive_and_its_work_in_the_class_colour():
    fig = schedule_figure(board(("CR01", (bar("T1", depart=5, eta=15, end=55),))), _=identity, timezone=TZ)
    t = traces(fig)
    drive, work = t["Drive"], t["Class 2"]
    assert drive["marker"]["color"] == DRIVE_COLOUR and work["marker"]["color"] != DRIVE_COLOUR
    assert drive["base"] == ["2026-11-26 12:05:00"] and drive["x"] == [10 * 60_000]  # local time, ms long
    assert work["base"] == ["2026-11-26 12:15:00"] and work["x"] == [40 * 60_000]
    assert drive["customdata"] == work["customdata"] == [["T1", 7, COMMITTED]]
    assert t["Class 1"]["x"] == [] and t["Class 3"]["x"] == []


def test_crews_are_rows_top_down_with_the_shift_outside_its_hours_shaded():
    fig = schedule_figure(board(("CR01", ()), ("CR02", ())), _=identity, timezone=TZ)
    y = fig["layout"]["yaxis"]
    assert dict(zip(y["ticktext"], y["tickvals"], strict=True)) == {"CR01": 1, "CR02": 0}
    shade = traces(fig)["Off shift"]
    assert shade["base"][0:2] == ["2026-11-25 08:00:00", "2026-11-26 20:00:00"]  # ends at the shift start
    assert shade["x"][0] == 24 * 3600_000 and shade["hoverinfo"] == "skip"
    now_line = fig["layout"]["shapes"][0]
    assert now_line["x0"] == now_line["x1"] == "2026-11-26 12:00:00"


def test_deadline_marker_and_slot_line():
    fig = schedule_figure(board(("CR01", (bar("T1"), bar("T3", cls=3, slot=True)))), _=identity, timezone=TZ)
    t = traces(fig)
    assert t["Deadline"]["x"] == ["2026-11-26 12:40:00", "2026-11-26 13:10:00"]
    assert t["Deadline"]["customdata"][1][0] == "T3"
    assert t["Slot"]["x"] == ["2026-11-26 11:10:00", "2026-11-26 13:10:00", None]


def test_late_work_is_red_and_its_deadline_mark_too():
    late = bar("T9", slack={"onsite_limit": -300})
    fig = schedule_figure(board(("CR01", (late, bar("T1")))), _=identity, timezone=TZ)
    t = traces(fig)
    assert t["Late"]["marker"]["color"] == LATE_COLOUR and [c[0] for c in t["Late"]["customdata"]] == ["T9"]
    assert [c[0] for c in t["Class 2"]["customdata"]] == ["T1"]  # on time: in its class colour
    assert t["Deadline"]["marker"]["color"] == [LATE_COLOUR, "#212529"]
    assert "late by 5 min" in t["Late"]["hovertext"][0]


def test_proposals_are_hatched_and_translucent_committed_orders_solid():
    fig = schedule_figure(board(("CR01", (bar("T1"), bar("P1", kind=PROPOSED, depart=50, eta=60, end=90)))),
                          _=identity, timezone=TZ)
    t = traces(fig)
    committed, proposed = t["Class 2"], t["Class 2 (proposed)"]
    assert "pattern" not in committed["marker"] and committed["marker"]["opacity"] == 1.0
    assert proposed["marker"]["pattern"]["shape"] == "/" and proposed["marker"]["opacity"] < 1
    assert proposed["customdata"] == [["P1", None, PROPOSED]]
    assert t["Drive (proposed)"]["marker"]["pattern"]["shape"] == "/"


def test_trace_count_does_not_grow_with_crews_and_bars():
    small = schedule_figure(board(("CR01", (bar("T1"),))), _=identity, timezone=TZ)
    big = board(*((f"CR{c:02d}", tuple(bar(f"T{c}-{j}", cls=1 + j % 3, kind=(COMMITTED, PROPOSED)[j % 2],
                                            depart=60 * j, eta=60 * j + 10, end=60 * j + 50, crew_id=c + 1,
                                            slack={"x": -1 if j == 5 else 60}) for j in range(10)))
                   for c in range(60)))
    fig = schedule_figure(big, _=identity, timezone=TZ)
    assert len(fig["data"]) == len(small["data"]) <= 16
    assert sum(len(t["x"]) for t in fig["data"] if t["type"] == "bar" and t["uid"] not in ("off-shift", "selected")
               ) == 60 * 10 * 2
    assert len({t["uid"] for t in fig["data"]}) == len(fig["data"])
    assert fig["layout"]["height"] >= 60 * 25  # every crew gets a readable row


def test_the_selected_ticket_is_ringed_and_a_click_names_its_ticket():
    fig = schedule_figure(board(("CR01", (bar("T1"), bar("T2", depart=50, eta=60, end=90)))), _=identity,
                          timezone=TZ, selected="T2")
    ring = traces(fig)["Selected"]
    assert ring["customdata"] == [["T2", 7, COMMITTED]] and ring["base"] == ["2026-11-26 12:50:00"]
    assert ticket_of_click({"points": [{"curveNumber": 4, "customdata": ["T2", 7, COMMITTED]}]}) == "T2"
    assert ticket_of_click({"points": [{"curveNumber": 0}]}) is None and ticket_of_click(None) is None


def test_hover_text_is_escaped():
    fig = schedule_figure(board(("CR01", (bar("T1", address="<img src=x onerror=alert(1)>"),))), _=identity,
                          timezone=TZ)
    text = traces(fig)["Class 2"]["hovertext"][0]
    assert "<img" not in text and "&lt;img" in text
