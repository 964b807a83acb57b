"""The panel's actions on a saved ticket: which crews lack the needed skill, the order and class controls'
values, the appointment slot, the R4.2 contact block, and the page's confirmation step before sending a
crew without the skill."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import dash
import pytest
from flask import Flask

from dashboard.components import panel_actions as actions
from dashboard.components.emergency_contact import contact_block
from dashboard.i18n import init_i18n
from ops.dispatching import missing_skill, needed_skill
from ops.reads.emergency_contact import EmergencyContact, emergency_contact
from ops.reads.order_state import NextBestCrew
from ops.vocabulary import Skill
from tests.unit.pages import load_page
from tests.unit.test_dispatch_board_panel import identity, text_of


def crew(crew_id: int, code: str, skills: tuple[str, ...], status: str = "available") -> SimpleNamespace:
    return SimpleNamespace(id=crew_id, code=code, name=f"Crew {code}", status=status, skills=skills)


CREWS = [crew(1, "CR01", ("leak_repair", "meter")), crew(2, "CR02", ("meter",)), crew(3, "CR03", ("appliance",))]


def brief(ticket_class: int = 1, symptom: str = "gas_leak", *, order_crew: int | None = 1,
          next_best: NextBestCrew | None = None) -> SimpleNamespace:
    order = None if order_crew is None else SimpleNamespace(id=70, version=3, crew_id=order_crew, crew_code="CR01",
                                                            status="dispatched")
    return SimpleNamespace(id=9, ticket_no="GD-9", ticket_class=ticket_class, symptom=symptom, order=order,
                           next_best=next_best)


def test_the_skill_a_ticket_needs_is_one_rule_for_the_optimizer_and_the_override():
    assert needed_skill(1, "no_gas") is Skill.LEAK_REPAIR  # every class 1, whatever the symptom
    assert needed_skill(2, "meter_fault") is Skill.METER
    assert needed_skill(3, "installation") is needed_skill(3, "modification") is Skill.INSTALLATION
    assert needed_skill(2, "no_gas") is None
    assert missing_skill(1, "gas_leak", ["meter"]) is Skill.LEAK_REPAIR
    assert missing_skill(1, "gas_leak", ["leak_repair"]) is None
    assert missing_skill(2, "no_gas", []) is None


def test_crews_without_the_needed_skill_are_warned_about_and_marked():
    warnings = actions.skill_warnings(CREWS, 1, "gas_leak", identity)
    assert set(warnings) == {"2", "3"}
    assert warnings["2"] == "CR02 lacks the skill this ticket needs: Leak repair"
    assert actions.skill_warnings(CREWS, 2, "meter_fault", identity) == {
        "3": "CR03 lacks the skill this ticket needs: Meter work"}
    assert actions.skill_warnings(CREWS, 2, "no_gas", identity) == {}
    assert actions.crew_option(CREWS[1], warnings)["label"].endswith("⚠")
    assert not actions.crew_option(CREWS[0], warnings)["label"].endswith("⚠")
    assert actions.skill_warning(2, warnings) == warnings["2"]
    assert actions.skill_warning(1, warnings) == "" and actions.skill_warning(None, warnings) == ""


def test_the_order_actions_offer_every_other_crew_and_the_r7_2_next_best_only_to_who_may_reassign():
    proposal = NextBestCrew(crew_id=2, crew_code="CR02", recommendation_id=41)
    shown = actions.order_values(brief(next_best=proposal), CREWS, identity, can_cancel=True, can_reassign=True)
    assert shown["order_hidden"] is False and shown["reassign_disabled"] is False
    assert [o["value"] for o in shown["order_crews"]] == [2, 3]  # not the order's own crew
    assert shown["next_best_hidden"] is False and shown["next_best_crew"] == "CR02"
    assert shown["order"]["next_best"] == {"crew_id": 2, "crew_code": "CR02", "recommendation_id": 41}
    assert shown["order"]["order_id"] == 70 and shown["order"]["version"] == 3
    assert set(shown["order"]["unskilled"]) == {"2", "3"}
    cancel_only = actions.order_values(brief(next_best=proposal), CREWS, identity, can_cancel=True,
                                       can_reassign=False)
    assert cancel_only["reassign_disabled"] is True and cancel_only["next_best_hidden"] is True
    assert actions.order_values(brief(), CREWS, identity, can_cancel=False, can_reassign=False) == {}
    assert actions.order_values(brief(order_crew=None), CREWS, identity, can_cancel=True, can_reassign=True) == {}


def test_r6_5_the_class_control_offers_the_other_classes():
    shown = actions.class_values(brief(ticket_class=2), identity)
    assert [o["value"] for o in shown["class_options"]] == ["1", "3"] and shown["class_to"] == "1"
    assert shown["ticket"] == {"ticket_id": 9, "ticket_no": "GD-9", "class": 2}
    assert shown["class_hidden"] is False


def test_the_appointment_slot_is_two_hours_in_the_configured_zone():
    start, end = actions.slot_from_form("2026-11-27", "10")  # the rules' zone: America/Santiago
    assert start == datetime(2026, 11, 27, 13, 0, tzinfo=UTC) and (end - start).total_seconds() == 7200
    assert actions.slot_from_form(None, "10") is None
    assert actions.slot_from_form("27/11/2026", "10") is None
    assert actions.slot_from_form("2026-11-27", "x") is None
    assert actions.slot_from_form("2026-11-27", "11") is None  # not the start of an offered slot


def test_r4_2_the_contact_block_shows_the_contact_and_the_care_flags():
    assert contact_block(None, identity, "x") is None
    contact = EmergencyContact(name="Marta", phone="+56 9 7777 0001", note="daughter", lives_alone=True,
                               vulnerable=False)
    block = contact_block(contact, identity, "rec-emergency-contact")
    text = text_of(block)
    assert "Emergency contact (R4.2)" in text and "Marta" in text and "daughter" in text and "lives alone" in text
    assert "vulnerable" not in text and block.id == "rec-emergency-contact"
    flags_only = text_of(contact_block(EmergencyContact(None, None, None, False, True), identity, "x"))
    assert flags_only.strip() == "vulnerable"


def test_r4_2_a_customer_with_nothing_to_show_has_no_contact():
    def customer(**kw):
        base = {"emergency_contact_name": None, "emergency_contact_phone": None, "emergency_contact_note": None,
                "lives_alone": False, "vulnerable": False}
        return SimpleNamespace(**{**base, **kw})

    assert emergency_contact(None) is None
    assert emergency_contact(customer()) is None
    assert emergency_contact(customer(emergency_contact_note="only a note")) is None
    assert emergency_contact(customer(lives_alone=True)).lives_alone is True
    assert emergency_contact(customer(emergency_contact_phone="123")).to_json()["phone"] == "123"


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch):
    module, _registered, _actions = load_page(monkeypatch, "dispatch")
    return module


def test_confirming_a_crew_without_the_skill_needs_the_tick_and_saves_nothing_without_it(page, monkeypatch):
    """The confirmation step: the refusal is shown under the crew, no service is called."""
    monkeypatch.setattr(dash, "ctx", SimpleNamespace(triggered_id="rec-dispatch-other"))
    monkeypatch.setattr(page, "context", lambda: pytest.fail("no service may be called without the tick"))
    server = Flask(__name__)
    init_i18n(server, "en", "UTC")
    rec = {"ticket_id": 9, "ticket_no": "GD-9", "recommendation_id": 5, "top": 1,
           "unskilled": {"2": "CR02 lacks the skill this ticket needs: Leak repair"}}
    with server.test_request_context("/"):
        out = page.confirm(None, 1, rec, 2, "CR01 has a flat tyre", [], 0)
    assert out["crew_error"].startswith("CR02 lacks the skill this ticket needs")
    assert "Send it without this skill" in out["crew_error"] and out["changed"] is dash.no_update
