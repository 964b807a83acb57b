"""R6.1–R6.5 as one table: every symptom × odour × judgement, its class, reasons, deadlines and script.

tests/unit/rules/test_classification.py checks each R6.5 row on its own; this file spells out the whole default
table, so that a change to any cell (a new symptom, a reworded rule, a reordered table) shows up as
one visible line of difference. It also checks, exhaustively, that under the default table the R5.3
safety state and abnormal noise never move the class, and that an unknown answer (what the intake
form and the API send for "don't know" or null) is never classified below a "yes".
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from ops.rules import DEFAULT_TABLE, ClassificationInput, classify, deadlines_for, safety_script
from ops.services.intake import ReportIn, as_answer, preview_classification
from ops.vocabulary import Answer, Judgement, Symptom, TicketClass

Y, N, U = Answer.YES, Answer.NO, Answer.UNKNOWN
E1, E2, E3 = TicketClass.EMERGENCY, TicketClass.URGENT, TicketClass.SCHEDULED

#: symptom -> {odour: (class, reason codes)} for the agent's judgement "general" (R6.5 default table).
TABLE: dict[Symptom, dict[Answer, tuple[TicketClass, tuple[str, ...]]]] = {
    # R6.1: class 1 by the symptom alone; an odour adds its own reason (yes or unknown).
    Symptom.GAS_LEAK: {Y: (E1, ("emergency_symptom", "fault_with_odour")), N: (E1, ("emergency_symptom",)),
                       U: (E1, ("emergency_symptom", "fault_with_odour"))},
    Symptom.PIPE_DAMAGE: {Y: (E1, ("emergency_symptom", "fault_with_odour")), N: (E1, ("emergency_symptom",)),
                          U: (E1, ("emergency_symptom", "fault_with_odour"))},
    Symptom.FIRE: {Y: (E1, ("emergency_symptom", "fault_with_odour")), N: (E1, ("emergency_symptom",)),
                   U: (E1, ("emergency_symptom", "fault_with_odour"))},
    Symptom.EXPLOSION: {Y: (E1, ("emergency_symptom", "fault_with_odour")), N: (E1, ("emergency_symptom",)),
                        U: (E1, ("emergency_symptom", "fault_with_odour"))},
    # R6.3: class 2 faults only without odour; yes or unknown odour makes them class 1 (R5.3).
    Symptom.NO_GAS: {Y: (E1, ("fault_with_odour",)), N: (E2, ("fault_without_odour",)),
                     U: (E1, ("fault_with_odour",))},
    Symptom.ABNORMAL_FLAME: {Y: (E1, ("fault_with_odour",)), N: (E2, ("fault_without_odour",)),
                             U: (E1, ("fault_with_odour",))},
    Symptom.METER_FAULT: {Y: (E1, ("fault_with_odour",)), N: (E2, ("fault_without_odour",)),
                          U: (E1, ("fault_with_odour",))},
    Symptom.VALVE_DAMAGE: {Y: (E1, ("fault_with_odour",)), N: (E2, ("fault_without_odour",)),
                           U: (E1, ("fault_with_odour",))},
    Symptom.APPLIANCE_FAULT: {Y: (E1, ("fault_with_odour",)), N: (E2, ("fault_without_odour",)),
                              U: (E1, ("fault_with_odour",))},
    Symptom.OTHER: {Y: (E1, ("fault_with_odour",)), N: (E2, ("other_default",)), U: (E1, ("fault_with_odour",))},
    # R6.4: scheduled work; only an odour answered yes escalates a request (R6.5 reading, see classify()).
    Symptom.INSTALLATION: {Y: (E1, ("request_with_odour",)), N: (E3, ("request_without_odour",)),
                           U: (E3, ("request_odour_unknown",))},
    Symptom.MODIFICATION: {Y: (E1, ("request_with_odour",)), N: (E3, ("request_without_odour",)),
                           U: (E3, ("request_odour_unknown",))},
    Symptom.CONSULTATION: {Y: (E1, ("request_with_odour",)), N: (E3, ("request_without_odour",)),
                           U: (E3, ("request_odour_unknown",))},
    Symptom.MAINTENANCE: {Y: (E1, ("request_with_odour",)), N: (E3, ("request_without_odour",)),
                          U: (E3, ("request_odour_unknown",))},
}

CELLS = [(s, o, *TABLE[s][o]) for s in TABLE for o in (Y, N, U)]
RECEIVED = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
SLOT = (RECEIVED + timedelta(days=1), RECEIVED + timedelta(days=1, hours=2))


def cell_id(cell) -> str:
    return f"{cell[0].value}-odour_{cell[1].value}"


def test_r6_5_the_table_covers_every_symptom():
    assert set(TABLE) == set(Symptom)


@pytest.mark.parametrize("cell", CELLS, ids=cell_id)
def test_r6_5_class_and_reasons_for_every_symptom_and_odour(cell):
    symptom, odour, expected_class, expected_reasons = cell
    result = classify(ClassificationInput(symptom, odour=odour, judgement=Judgement.GENERAL))
    assert (result.ticket_class, result.reason_codes) == (expected_class, expected_reasons)
    assert result.rule_version == DEFAULT_TABLE.version


@pytest.mark.parametrize("cell", CELLS, ids=cell_id)
def test_r5_4_judged_emergency_is_class1_for_every_symptom_and_keeps_the_other_class1_reasons(cell):
    symptom, odour, general_class, general_reasons = cell
    result = classify(ClassificationInput(symptom, odour=odour, judgement=Judgement.EMERGENCY))
    kept = general_reasons if general_class is E1 else ()
    assert (result.ticket_class, result.reason_codes) == (E1, (*kept, "judged_emergency"))


@pytest.mark.parametrize("cell", CELLS, ids=cell_id)
def test_r6_5_noise_and_safety_state_never_move_the_class_under_the_default_table(cell):
    """All 81 combinations of noise, people on site, ventilated and valve closed, per cell."""
    symptom, odour, expected_class, expected_reasons = cell
    for noise, people, ventilated, valve in itertools.product(Answer, repeat=4):
        result = classify(ClassificationInput(symptom, odour=odour, abnormal_noise=noise, people_on_site=people,
                                              ventilated=ventilated, valve_closed=valve))
        assert (result.ticket_class, result.reason_codes) == (expected_class, expected_reasons), (
            noise, people, ventilated, valve)


@pytest.mark.parametrize("symptom", list(Symptom), ids=str)
def test_r5_3_unknown_odour_is_never_classified_below_yes_nor_above_no(symptom):
    by = {o: TABLE[symptom][o][0] for o in (Y, N, U)}
    assert by[Y] <= by[U] <= by[N]  # lower number = more urgent


@pytest.mark.parametrize("cell", CELLS, ids=cell_id)
def test_r6_1_r6_3_r6_4_deadline_kinds_follow_the_class(cell):
    _symptom, _odour, cls, _ = cell
    d = deadlines_for(cls, RECEIVED, slot_start=SLOT[0], slot_end=SLOT[1])
    present = {k for k in ("depart_by", "dispatch_by", "onsite_target", "onsite_limit", "slot_start", "slot_end")
               if getattr(d, k) is not None}
    expected = {
        E1: {"depart_by": timedelta(minutes=30), "onsite_target": timedelta(minutes=60)},  # R6.1
        E2: {"dispatch_by": timedelta(hours=2), "onsite_target": timedelta(hours=4),        # R6.3
             "onsite_limit": timedelta(hours=8)},
        E3: {"slot_start": SLOT[0] - RECEIVED, "slot_end": SLOT[1] - RECEIVED},             # R6.4
    }[cls]
    assert present == set(expected)
    assert {k: getattr(d, k) - RECEIVED for k in present} == expected


@pytest.mark.parametrize("cell", CELLS, ids=cell_id)
def test_r6_2_safety_script_only_for_class1_and_emergency_calls_for_fire_and_explosion(cell):
    symptom, _odour, cls, _ = cell
    codes = [s.code for s in safety_script(symptom, cls)]
    if cls is not E1:
        assert codes == []
        return
    base = ["close_valve", "open_windows", "no_open_flame", "no_electrical_switching", "leave_premises"]
    calls = ["call_fire", "call_police"] if symptom in (Symptom.FIRE, Symptom.EXPLOSION) else []
    assert codes == base + calls
    assert [s.code for s in safety_script(symptom, cls, major_leak=True)] == [*base, "call_fire", "call_police"]


# -------------------------------------------------------------------------- the intake side of the table


@pytest.mark.parametrize(("value", "answer"), [(True, Y), (False, N), (None, U), ("yes", Y), ("no", N),
                                               ("unknown", U), (U, U)])
def test_r5_3_form_and_api_values_map_to_answers(value, answer):
    assert as_answer(value) is answer


@pytest.mark.parametrize("cell", CELLS, ids=cell_id)
def test_r5_3_intake_preview_classifies_like_the_table_with_null_as_unknown(cell):
    symptom, odour, expected_class, expected_reasons = cell
    api_value = {Y: True, N: False, U: None}[odour]
    report = ReportIn(channel="app", reporter_name="Ana", phone="+56 9 5555 0100", address="x", symptom=symptom,
                      started_at=RECEIVED, odour=api_value)  # every other answer missing: unknown
    result = preview_classification(report)
    assert (result.ticket_class, result.reason_codes) == (expected_class, expected_reasons)
