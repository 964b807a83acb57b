"""The dispatch board's panel builders and page wiring: slack, ETA, displaced work, the fallback note,
the crew list, Plan all rows, alerts (red on top), the selection from map clicks, and the guarded callbacks."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from flask import Flask
from flask_babel import gettext

from dashboard.components import recommendation_panel as panel
from dashboard.components.dispatch_map import (
    TRACE_INDEX,
    map_figure,
    selected_data,
    ticket_of_click,
)
from dashboard.i18n import init_i18n
from ops.recommendations import Option, StoredRecommendation
from optimizer.dispatch_types import CrewOption, DisplacedJob, Reason
from optimizer.explain import english, nearest_reason, reason_for
from tests.unit.pages import load_page

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # 12:00 in Santiago (UTC-3 in summer)
TZ = "America/Santiago"


def identity(message: str) -> str:
    return message


def text_of(component) -> str:
    """All text inside a Dash component tree, as a user would read it."""
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(text_of(c) for c in component)
    return text_of(getattr(component, "children", None))


def option_json(rank: int, crew: str, eta_min: int, depart_min: int, slack: dict[str, int], displaces=(),
                explanation: str = "", reason: dict | None = None) -> dict:
    """An option as it is stored (JSON); without ``reason`` as payloads stored before reasons were."""
    eta, dep = NOW + timedelta(minutes=eta_min), NOW + timedelta(minutes=depart_min)
    stored = {"rank": rank, "crew_id": rank * 10, "crew_code": crew, "eta": eta.isoformat(),
              "eta_s": int(eta.timestamp()), "departure": dep.isoformat(), "departure_s": int(dep.timestamp()),
              "slack_s": slack, "displaces": list(displaces), "explanation": explanation, "diverted": False}
    return {**stored, "reason": reason} if reason is not None else stored


def option(*args, **kwargs) -> Option:
    return Option.from_json(option_json(*args, **kwargs))


def stored(options: list[Option], *, fallback: bool = False, recommendation_id: int | None = 5) -> StoredRecommendation:
    return StoredRecommendation(ticket_id=1, ticket_no="GD-1", ticket_class=1, created_at=NOW,
                                now_s=int(NOW.timestamp()), options=tuple(options), used_fallback=fallback,
                                recommendation_id=recommendation_id)


def test_slack_reads_as_minutes_spare_and_lateness_in_red():
    spare = panel.slack_item("depart_by", 12 * 60 + 40, identity)
    assert text_of(spare) == "depart ≤30 min: 12 min spare" and "text-danger" not in (spare.className or "")
    late = panel.slack_item("onsite_limit", -30, identity)
    assert text_of(late) == "on site ≤8 h: 1 min late"  # never "0 min late"
    assert "text-danger" in late.className
    assert panel.minutes_text(3 * 3600 + 5 * 60, identity) == "3 h 05 min"


def test_eta_is_a_local_clock_time_with_minutes_from_now():
    opt = option(1, "CR01", 14, 0, {})
    assert panel.eta_text(opt, int(NOW.timestamp()), TZ, identity) == "12:14 (in 14 min)"
    assert panel.departure_text(opt, int(NOW.timestamp()), TZ, identity) == "now"
    assert panel.departure_text(option(1, "CR01", 40, 25, {}), int(NOW.timestamp()), TZ, identity) == \
        "12:25 (in 25 min)"


def test_displaced_work_names_ticket_numbers_and_delays():
    opt = option(2, "CR02", 20, 0, {}, displaces=[{"ticket_id": 7, "delay_s": 45 * 60}, {"ticket_id": 8,
                                                                                       "delay_s": 61 * 60}])
    assert panel.displaced_text(opt, {7: "GD-7"}, identity) == "delays GD-7 by 45 min, 8 by 1 h 01 min"
    assert panel.displaced_text(option(1, "CR01", 5, 0, {}), {}, identity) == "delays no other work"
    # A delay under a minute is still a delay: rounded up, never "by 0 min".
    brief = option(2, "CR02", 20, 0, {}, displaces=[{"ticket_id": 7, "delay_s": 40}])
    assert panel.displaced_text(brief, {7: "GD-7"}, identity) == "delays GD-7 by 1 min"
    # 45 s later: past the optimizer's "about when", and "1 min later", not "0 min later".
    second = option(2, "CR02", 12, 0, {}, reason={"kind": "later_than_best", "crew": "CR02", "top": "CR01",
                                                  "later_s": 45})
    assert panel.explanation_text(second, identity) == "CR02 arrives 1 min later than CR01."


def test_three_options_side_by_side_with_the_top_one_marked_and_the_explanation():
    opts = [option(1, "CR01", 12, 0, {"depart_by": 1700}, explanation="CR01 leaves now",
                   reason={"kind": "best_leaves_now", "crew": "CR01", "eta_s": 720}),
            option(2, "CR02", 30, 5, {"depart_by": -60},
                   reason={"kind": "later_than_best", "crew": "CR02", "top": "CR01", "later_s": 1080}),
            option(3, "CR03", 40, 10, {"depart_by": -600})]
    view = panel.recommendation_view(stored(opts), TZ, {}, identity)
    text = text_of(view)
    assert "recommended" in text and "CR01 leaves now and is on site in 12 min, delaying no other work." in text
    assert "CR02 arrives 18 min later than CR01." in text
    assert "depart ≤30 min: 1 min late" in text and "depart ≤30 min: 10 min late" in text
    cards = view[0].children
    assert len(cards) == 3
    assert "greedy fallback" not in text


def test_a_crew_on_another_order_is_marked_on_its_card():
    busy = replace(option(1, "CR01", 40, 30, {}), busy=True)
    free = option(2, "CR02", 50, 0, {})
    view = panel.recommendation_view(stored([busy, free]), TZ, {}, identity)
    cards = view[0].children
    assert "on another order" in text_of(cards[0]) and "on another order" not in text_of(cards[1])


def test_the_greedy_fallback_is_said_visibly_and_no_option_is_an_alarm():
    view = panel.recommendation_view(stored([option(1, "CR01", 12, 0, {})], fallback=True), TZ, {}, identity)
    assert view[0].id == "rec-fallback" and "greedy fallback" in text_of(view[0])
    none = panel.recommendation_view(stored([]), TZ, {}, identity)
    assert none[-1].id == "rec-none" and none[-1].color == "danger"


def test_a_preview_says_that_nothing_was_stored():
    kept = text_of(panel.recommendation_view(stored([option(1, "CR01", 12, 0, {})]), TZ, {}, identity))
    assert "stored with the decision" in kept
    preview = text_of(panel.recommendation_view(stored([option(1, "CR01", 12, 0, {})], recommendation_id=None), TZ,
                                                {}, identity))
    assert "Preview at 12:00" in preview and "stored with the decision" not in preview


def test_crew_list_says_now_a_clock_time_or_nothing():
    rows = [SimpleNamespace(code="CR01", name="A", status="available", ticket_no=None, free_at=None, free_now=True),
            SimpleNamespace(code="CR02", name="B", status="on_site", ticket_no="GD-1", free_at=NOW + timedelta(
                minutes=45), free_now=False),
            SimpleNamespace(code="CR03", name="C", status="off_shift", ticket_no=None, free_at=None, free_now=False),
            SimpleNamespace(code="CR04", name="D", status="on_site", ticket_no="GD-2", free_at=NOW + timedelta(
                hours=14), free_now=False)]
    out = panel.crew_rows(rows, NOW, TZ, identity)
    assert [(r["status"], r["ticket"], r["free"]) for r in out] == [
        ("Available", "", "now"), ("On site", "GD-1", "12:45"), ("Off shift", "", "—"),
        ("On site", "GD-2", "11-27 02:00")]  # tomorrow says so: "02:00" alone would read as today


def test_plan_rows_carry_the_ids_to_confirm_and_the_tightest_slack():
    proposal = SimpleNamespace(ticket_no="GD-9", ticket_id=9, ticket_class=2, crew_code="CR04", crew_id=4,
                               recommendation_id=99, eta=NOW + timedelta(minutes=25),
                               slack_s={"onsite_target": 3600, "onsite_limit": 18000})
    (row,) = panel.proposal_rows([proposal], NOW, TZ, identity)
    assert (row["ticket_id"], row["crew_id"], row["recommendation_id"]) == (9, 4, 99)
    assert row["eta"] == "12:25 (in 25 min)" and row["slack"] == "on site ≤4 h (target): 1 h 00 min spare"
    assert not row["late"] and row["result"] == ""
    plan = SimpleNamespace(proposals=[proposal], queued=3, used_fallback=True,
                           dropped=[("GD-5", 1, "no skilled crew"), ("GD-6", 3, "slot beyond the shift")])
    summary = panel.plan_summary(plan, identity)
    assert "Proposals: 1 · queued behind a crew's current job: 3" in text_of(summary)
    assert "greedy plan" in text_of(summary)
    alarm = next(d for d in summary if getattr(d, "id", None) == "plan-no-crew")  # a class 1 left out is an alarm
    assert text_of(alarm) == "Class 1 with no crew: GD-5" and "text-danger" in alarm.className
    assert "within the shifts now on duty: 1 tickets" in text_of(summary)


def alert(i: int, kind: str, minutes: int):
    return SimpleNamespace(id=i, kind=kind, message=f"text {kind}", ticket_no=f"GD-{i}", crew_code=None,
                           created_at=NOW + timedelta(minutes=minutes))


def test_red_alerts_come_first_then_newest_and_the_button_only_when_allowed():
    alerts = [alert(1, "at_risk", 5), alert(2, "red", 1), alert(3, "no_ack", 9)]
    (ul,) = panel.alert_items(alerts, TZ, identity, can_acknowledge=True)
    assert [text_of(li).split()[1] for li in ul.children] == ["GD-2", "GD-3", "GD-1"]
    assert "alert-red" in ul.children[0].className
    assert ul.children[0].children[-1].id == {"type": "alert-ack", "id": 2}
    (ul,) = panel.alert_items(alerts, TZ, identity, can_acknowledge=False)
    assert all(len(li.children) == 1 for li in ul.children)
    assert panel.alert_count(alerts) == (3, 1)
    assert panel.alert_items([], TZ, identity)[0].id == "alerts-empty"


def test_map_clicks_select_tickets_not_crews_and_the_halo_is_the_last_trace():
    def click(curve: int, data: str) -> dict:
        return {"points": [{"curveNumber": curve, "customdata": data}]}

    assert ticket_of_click(click(TRACE_INDEX["class2"], "GD-2")) == "GD-2"
    assert ticket_of_click(click(TRACE_INDEX["selected"], "GD-2")) == "GD-2"
    assert ticket_of_click(click(TRACE_INDEX["crew"], "CR01")) is None
    assert ticket_of_click(None) is None
    fig = map_figure((-71.3, -30.0, -71.2, -29.8), [], [], _=identity, timezone="UTC")
    assert len(fig.data) == len(TRACE_INDEX) and len(fig.data[TRACE_INDEX["selected"]].lat) == 0
    assert selected_data(-71.2, -29.9) == {"lon": [-71.2], "lat": [-29.9]}


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch):
    return load_page(monkeypatch, "dispatch")


def test_page_reads_for_board_view_and_writes_only_with_the_rights_that_allow_them(page):
    _module, registered, actions = page
    assert registered["path"] == "/" and registered["action"] == "board.view"
    # confirm in the panel, confirm selected in Plan all, reassign (or send the R7.2 next-best crew);
    # the schedule board's move form and its move
    assert actions.count("dispatch.confirm") == 5
    assert actions.count("alert.acknowledge") == 1
    assert actions.count("order.update_status") == 1  # cancel an order from the panel
    assert actions.count("ticket.change_class") == 1  # R6.5 from the panel
    assert set(actions) == {"board.view", "dispatch.confirm", "alert.acknowledge", "order.update_status",
                            "ticket.change_class"}


def test_a_new_class_1_opens_only_when_nothing_is_selected(page, monkeypatch):
    import dash

    module, _registered, _actions = page
    monkeypatch.setattr(dash, "ctx", SimpleNamespace(triggered_id="class1-new"))
    # The list selects the new class 1 and scrolls it into view (the grid draws only the rows on screen).
    assert module.select_ticket(None, None, {"ticket": "GD-1"}, None) == (
        "GD-1", {"ids": ["GD-1"]}, {"rowId": "GD-1", "rowPosition": "middle"})
    with pytest.raises(dash.exceptions.PreventUpdate):
        module.select_ticket(None, None, {"ticket": "GD-1"}, "GD-7")
    monkeypatch.setattr(dash, "ctx", SimpleNamespace(triggered_id="open-tickets-grid"))
    assert module.select_ticket([{"ticket": "GD-3"}], None, None, "GD-7") == ("GD-3", dash.no_update, dash.no_update)
    with pytest.raises(dash.exceptions.PreventUpdate):  # a refresh re-announcing the same row
        module.select_ticket([{"ticket": "GD-3"}], None, None, "GD-3")


def test_the_explanation_is_the_optimizers_reason_translated_and_the_stored_english_its_tooltip():
    top = option(1, "CR01", 30, 10, {}, explanation="stored english sentence",
                 reason={"kind": "best_leaves_later", "crew": "CR01", "wait_s": 600, "eta_s": 1800})
    assert panel.explanation_text(top, identity) == \
        "CR01 leaves in 10 min and is on site in 30 min, delaying no other work."
    closer = option(2, "CR02", 12, 0, {}, reason={
        "kind": "sooner_but_costlier", "crew": "CR02", "gain_s": 18 * 60, "delay_s": 1800, "delayed_class": 2,
        "delayed_job": "meter fault", "delayed_more": 1, "diverting": True})
    assert panel.explanation_text(closer, identity) == (
        "CR02 arrives 18 min sooner, but diverting it delays a class-2 job (Meter fault) by 30 min (and 1 more).")
    same = option(3, "CR03", 30, 0, {}, reason={"kind": "as_soon_as_best", "crew": "CR03", "top": "CR01"})
    assert panel.explanation_text(same, identity) == "CR03 arrives about when CR01 does."
    card = panel.option_card(top, int(NOW.timestamp()), TZ, {}, identity)
    explanation = card.children.children[-1]
    assert explanation.title == "stored english sentence"


def test_a_payload_stored_before_reasons_shows_its_stored_english():
    old = option(1, "CR01", 30, 10, {}, explanation="CR01 leaves in 10 min and is on site in 30 min, "
                                                    "delaying no other work.")
    assert old.reason is None
    assert panel.explanation_text(old, identity) == old.explanation
    unknown = option(1, "CR01", 30, 10, {}, explanation="from a newer version", reason={"kind": "teleports"})
    assert panel.explanation_text(unknown, identity) == "from a newer version"
    view = panel.recommendation_view(stored([old]), TZ, {}, identity)
    assert old.explanation in text_of(view)


def _crew_option(crew_id: int, eta_s: int, depart_s: int, displaced=(), diverted: bool = False) -> CrewOption:
    return CrewOption(crew_id, f"CR0{crew_id}", eta_s, depart_s, {}, tuple(displaced), 0, 0, "", diverted)


@pytest.mark.parametrize(("eta_s", "depart_s", "displaced", "kind"), [
    (720, 0, (), "best_leaves_now"),
    (1800, 600, (), "best_leaves_later"),
    (1800, 60, ((3, 600, ""),), "best_leaves_now"),
    (300, 0, ((2, 1800, ""), (3, 60, "")), "sooner_but_costlier"),
    (300, 0, (), "sooner_but_costlier"),
    (610, 0, ((1, 120, ""),), "as_soon_as_best"),
    (1500, 0, (), "later_than_best"),
    (1500, 0, ((2, 600, ""),), "later_than_best"),
    (5400, 3700, ((2, 3900, "no gas"),), "best_leaves_later"),  # over an hour, and a job kind the panel labels
    (300, 0, ((3, 4000, "installation"), (3, 60, "")), "sooner_but_costlier"),
    (None, None, (), "nearest_fallback"),
])
def test_the_panel_and_the_stored_sentence_come_from_one_reason(eta_s, depart_s, displaced, kind):
    """The optimizer picks the kind and the wording once; in English the panel reads exactly as the
    stored sentence, but for a job kind it names by its label (capitalised)."""
    if kind == "nearest_fallback":
        reason = nearest_reason("CR02", 125)
    else:
        best = _crew_option(1, 600, 0)
        jobs = [DisplacedJob(10 + i, cls, delay, job) for i, (cls, delay, job) in enumerate(displaced)]
        opt = _crew_option(2, eta_s, depart_s, jobs, diverted=bool(jobs))
        reason = reason_for(opt, None if kind.startswith("best") else best, 0)
    assert reason.kind == kind
    kept = json.loads(json.dumps(reason.to_json()))  # as the payload column keeps it
    assert Reason.from_json(kept) == reason
    read_back = Option.from_json(option_json(2, "CR02", 10, 0, {}, explanation="stale", reason=kept))
    labelled = english(reason).replace("(no gas)", "(No gas)").replace("(installation)", "(Installation)")
    assert panel.explanation_text(read_back, identity) == labelled


def test_the_reason_reads_in_chinese():
    server = Flask(__name__)
    init_i18n(server, "zh_CN", "America/Santiago")
    with server.test_request_context("/"):
        text = panel.explanation_text(option(2, "CR02", 12, 0, {}, reason={
            "kind": "later_than_best", "crew": "CR02", "top": "CR01", "later_s": 300, "delay_s": 600,
            "delayed_class": 2, "delayed_job": "meter fault", "delayed_more": 2, "diverting": False}), gettext)
    assert "CR02" in text and "CR01" in text and "later" not in text and "表具故障" in text
