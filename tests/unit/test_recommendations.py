"""The typed recommendation: one reader of every stored form, old slack names included, and labels
that show the configured deadlines instead of baking in their default values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dashboard.components import recommendation_panel as panel
from ops.recommendations import Option, StoredRecommendation, current_slack
from ops.rules import get_rule_settings

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
NOW_S = int(NOW.timestamp())


def old_option(rank: int, crew_id: int, slack: dict[str, int]) -> dict:
    """An option as payloads stored it before the slack keys were renamed."""
    return {"rank": rank, "crew_id": crew_id, "crew_code": f"CR{crew_id:02d}",
            "eta": datetime.fromtimestamp(NOW_S + 600, UTC).isoformat(), "eta_s": NOW_S + 600,
            "departure": NOW.isoformat(), "departure_s": NOW_S, "slack_s": slack,
            "displaces": [{"ticket_id": 7, "ticket_class": 2, "delay_s": 300, "kind": "no gas"}],
            "explanation": "nearest crew", "cost": 12, "cost_delta": 3, "diverted": False, "busy": False}


OLD_PAYLOAD = {
    "ticket_id": 5, "ticket_no": "GD-5", "ticket_class": 2, "created_at": NOW.isoformat(), "now_s": NOW_S, "k": 3,
    "used_fallback": False, "note": "", "plan_in_force": None,
    "options": [old_option(1, 1, {"onsite_4h": 3000, "onsite_8h": 17000}), old_option(2, 2, {"depart_30": -60})],
}


def test_an_old_payload_reads_under_the_new_deadline_names():
    rec = StoredRecommendation.from_payload(OLD_PAYLOAD)
    assert rec.top.slack_s == {"onsite_target": 3000, "onsite_limit": 17000}
    assert rec.options[1].slack_s == {"depart_by": -60}
    assert rec.top.displaces[0].delay_s == 300 and rec.option_for(2).crew_code == "CR02"
    assert rec.recommendation_id is None and rec.plan_in_force is None
    # Written again, it uses the new names; the stored original is left as it was.
    assert rec.to_payload()["options"][0]["slack_s"] == {"onsite_target": 3000, "onsite_limit": 17000}
    assert OLD_PAYLOAD["options"][0]["slack_s"] == {"onsite_4h": 3000, "onsite_8h": 17000}


def test_an_audit_events_and_a_work_orders_copy_carry_the_id_and_the_decision():
    audited = {"recommendation_id": 42, **OLD_PAYLOAD}
    assert StoredRecommendation.from_payload(audited).recommendation_id == 42
    kept = {**audited, "decision": "override"}
    rec = StoredRecommendation.from_payload(kept)
    assert (rec.recommendation_id, rec.decision) == (42, "override")
    assert rec.to_record()["recommendation_id"] == 42 and "decision" not in rec.to_payload()


def test_a_new_payload_round_trips_and_unknown_keys_survive():
    new = StoredRecommendation.from_payload(OLD_PAYLOAD).to_payload()
    new["options"][0]["reason"] = {"kind": "nearest", "minutes": 10}  # a kind of a newer version
    new["source_detail"] = "x"
    again = StoredRecommendation.from_payload(new)
    assert again.to_payload() == new
    assert again.top.extra == {"reason": {"kind": "nearest", "minutes": 10}}


def test_an_option_reads_its_times_from_the_iso_strings_when_the_seconds_are_missing():
    data = {k: v for k, v in old_option(1, 3, {}).items() if k not in ("eta_s", "departure_s")}
    option = Option.from_json(data)
    assert (option.eta_s, option.departure_s) == (NOW_S + 600, NOW_S) and option.eta == NOW.replace(minute=10)


def test_current_slack_leaves_new_names_alone():
    assert current_slack({"depart_by": 1, "slot_end": 2, "depart_30": 3}) == {"depart_by": 3, "slot_end": 2}


def identity(message: str) -> str:
    return message


@pytest.fixture
def rules(monkeypatch):
    """Rule settings read afresh from the environment, as a deployment would configure them."""
    def configure(**values: int) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"GASDISPATCH_RULE_{name.upper()}", str(value))
        get_rule_settings.cache_clear()

    yield configure
    get_rule_settings.cache_clear()


def test_deadline_labels_show_the_configured_numbers(rules):
    assert panel.deadline_label("depart_by", identity) == "depart ≤30 min"
    assert panel.deadline_label("onsite_target", identity, 1) == "on site ≤1 h (target)"
    assert panel.deadline_label("onsite_target", identity, 2) == "on site ≤4 h (target)"
    assert panel.deadline_label("onsite_limit", identity) == "on site ≤8 h"
    rules(class1_depart_minutes=25, class1_onsite_target_minutes=50, class2_onsite_target_minutes=180,
          class2_onsite_limit_minutes=390)
    assert panel.deadline_label("depart_by", identity) == "depart ≤25 min"
    assert panel.deadline_label("onsite_target", identity, 1) == "on site ≤50 min (target)"
    assert panel.deadline_label("onsite_target", identity, 2) == "on site ≤3 h (target)"
    assert panel.deadline_label("onsite_limit", identity) == "on site ≤6 h 30 min"
