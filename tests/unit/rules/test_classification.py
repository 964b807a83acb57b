"""R6.5 classification, row by row and as a property, and R6.5 class changes.

Each test is named after the RULES.md rule it checks.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ops.errors import ServiceError
from ops.i18n import N_
from ops.rules import (
    DEFAULT_TABLE,
    RULE_TABLES,
    ClassChangeError,
    ClassificationInput,
    ClassRule,
    RuleTable,
    check_class_change,
    classify,
)
from ops.vocabulary import Answer, Judgement, Role, Symptom, TicketClass
from tests.unit.rules.common import C1, C2, C3


def report(symptom: Symptom, odour: Answer = Answer.NO, judgement: Judgement = Judgement.GENERAL):
    return ClassificationInput(symptom=symptom, odour=odour, judgement=judgement)


def cls_of(symptom: Symptom, odour: Answer = Answer.NO, judgement: Judgement = Judgement.GENERAL):
    return classify(report(symptom, odour, judgement)).ticket_class


@pytest.mark.parametrize("symptom", [Symptom.GAS_LEAK, Symptom.PIPE_DAMAGE, Symptom.FIRE, Symptom.EXPLOSION])
def test_r6_5_leak_pipe_fire_explosion_are_class1_even_without_odour(symptom: Symptom):
    result = classify(report(symptom, Answer.NO))
    assert result.ticket_class == C1
    assert result.reason_codes == ("emergency_symptom",)


@pytest.mark.parametrize("symptom", [Symptom.NO_GAS, Symptom.ABNORMAL_FLAME, Symptom.METER_FAULT,
                                     Symptom.VALVE_DAMAGE, Symptom.APPLIANCE_FAULT, Symptom.OTHER])
def test_r6_5_fault_with_odour_is_class1(symptom: Symptom):
    result = classify(report(symptom, Answer.YES))
    assert result.ticket_class == C1
    assert result.reason_codes == ("fault_with_odour",)


@pytest.mark.parametrize("symptom", [Symptom.NO_GAS, Symptom.ABNORMAL_FLAME, Symptom.METER_FAULT,
                                     Symptom.VALVE_DAMAGE, Symptom.APPLIANCE_FAULT, Symptom.OTHER])
def test_r6_5_unknown_odour_on_fault_is_class1(symptom: Symptom):
    assert cls_of(symptom, Answer.UNKNOWN) == C1


@pytest.mark.parametrize("symptom", [Symptom.NO_GAS, Symptom.ABNORMAL_FLAME, Symptom.METER_FAULT,
                                     Symptom.VALVE_DAMAGE, Symptom.APPLIANCE_FAULT])
def test_r6_5_fault_without_odour_is_class2(symptom: Symptom):
    result = classify(report(symptom, Answer.NO))
    assert result.ticket_class == C2
    assert result.reason_codes == ("fault_without_odour",)


def test_r6_5_other_is_class2_by_default():
    result = classify(report(Symptom.OTHER, Answer.NO))
    assert (result.ticket_class, result.reason_codes) == (C2, ("other_default",))


@pytest.mark.parametrize("symptom", [Symptom.INSTALLATION, Symptom.MODIFICATION,
                                     Symptom.CONSULTATION, Symptom.MAINTENANCE])
def test_r6_5_request_without_odour_is_class3(symptom: Symptom):
    result = classify(report(symptom, Answer.NO))
    assert (result.ticket_class, result.reason_codes) == (C3, ("request_without_odour",))


@pytest.mark.parametrize("symptom", [Symptom.INSTALLATION, Symptom.MODIFICATION,
                                     Symptom.CONSULTATION, Symptom.MAINTENANCE])
def test_r6_5_request_with_odour_yes_is_class1(symptom: Symptom):
    result = classify(report(symptom, Answer.YES))
    assert (result.ticket_class, result.reason_codes) == (C1, ("request_with_odour",))


@pytest.mark.parametrize("symptom", [Symptom.INSTALLATION, Symptom.MODIFICATION,
                                     Symptom.CONSULTATION, Symptom.MAINTENANCE])
def test_r6_5_request_with_unknown_odour_stays_class3_and_says_so(symptom: Symptom):
    """The table escalates requests only on "yes"; unknown stays class 3 under its own visible reason."""
    result = classify(report(symptom, Answer.UNKNOWN))
    assert (result.ticket_class, result.reason_codes) == (C3, ("request_odour_unknown",))
    assert "Raise the class" in result.reasons[0].message


def test_r6_5_agent_judgement_emergency_is_class1():
    result = classify(report(Symptom.CONSULTATION, Answer.NO, Judgement.EMERGENCY))
    assert (result.ticket_class, result.reason_codes) == (C1, ("judged_emergency",))


def test_r6_5_all_class1_reasons_are_shown():
    result = classify(report(Symptom.GAS_LEAK, Answer.YES, Judgement.EMERGENCY))
    assert result.reason_codes == ("emergency_symptom", "fault_with_odour", "judged_emergency")


def test_r6_5_default_table_ignores_noise_and_safety_state():
    """R6.5's table is the spec: abnormal noise and the R5.3 state do not raise the class by themselves."""
    calm = ClassificationInput(Symptom.NO_GAS, odour=Answer.NO, abnormal_noise=Answer.NO,
                               people_on_site=Answer.NO, ventilated=Answer.YES, valve_closed=Answer.YES)
    worst = ClassificationInput(Symptom.NO_GAS, odour=Answer.NO)  # everything else unknown
    assert classify(calm).ticket_class == classify(worst).ticket_class == C2


def test_r6_5_classification_records_table_version():
    assert DEFAULT_TABLE.version == "R6.5-2026.1"
    assert classify(report(Symptom.NO_GAS)).rule_version == "R6.5-2026.1"
    assert RULE_TABLES["R6.5-2026.1"] is DEFAULT_TABLE


def test_r6_5_input_accepts_form_strings_and_rejects_typos():
    assert classify(ClassificationInput("no_gas", "no", judgement="general")).ticket_class == C2
    with pytest.raises(ValueError):
        ClassificationInput("no_gaz", "no")
    with pytest.raises(ValueError):
        ClassificationInput("no_gas", "maybe")


def test_r5_3_missing_odour_answer_counts_as_unknown():
    assert ClassificationInput(Symptom.NO_GAS).odour == Answer.UNKNOWN
    assert classify(ClassificationInput(Symptom.NO_GAS)).ticket_class == C1


def test_r6_5_default_table_has_no_gaps():
    assert DEFAULT_TABLE.gaps() == ()


def test_r6_5_custom_table_is_data_and_may_use_other_answers():
    table = RuleTable(
        version="test-1",
        rules=(
            ClassRule("noise", "noise", TicketClass.EMERGENCY, abnormal_noise={Answer.YES}),
            ClassRule("rest", "rest", TicketClass.SCHEDULED),
        ),
    )
    noisy = ClassificationInput(Symptom.NO_GAS, odour=Answer.NO, abnormal_noise=Answer.YES)
    quiet = ClassificationInput(Symptom.NO_GAS, odour=Answer.NO, abnormal_noise=Answer.NO)
    assert classify(noisy, table).ticket_class == C1
    assert classify(noisy, table).rule_version == "test-1"
    assert classify(quiet, table).ticket_class == C3


def test_r6_5_later_less_urgent_rule_cannot_shadow_earlier_one():
    table = RuleTable("test-2", (
        ClassRule("sched", "s", TicketClass.SCHEDULED, symptoms={Symptom.NO_GAS}),
        ClassRule("emerg", "e", TicketClass.EMERGENCY, odour={Answer.YES}),
    ))
    result = classify(ClassificationInput(Symptom.NO_GAS, odour=Answer.YES), table)
    assert (result.ticket_class, result.reason_codes) == (C1, ("emerg",))


def test_r6_5_gap_in_custom_table_is_treated_as_emergency():
    table = RuleTable("test-3", (ClassRule("only_fire", "f", TicketClass.EMERGENCY, symptoms={Symptom.FIRE}),))
    assert len(table.gaps()) > 0
    result = classify(report(Symptom.NO_GAS), table)
    assert (result.ticket_class, result.reason_codes) == (C1, ("no_rule_matched",))


def test_r6_5_table_validation():
    with pytest.raises(ValueError, match="duplicate"):
        RuleTable("v", (ClassRule("a", "a", C1), ClassRule("a", "b", C2)))
    with pytest.raises(ValueError, match="version"):
        RuleTable("", (ClassRule("a", "a", C1),))
    with pytest.raises(ValueError, match="rules"):
        RuleTable("v", ())


def test_r6_5_rule_condition_single_string_is_one_value():
    rule = ClassRule("x", "x", C1, odour="yes")  # type: ignore[arg-type]
    assert rule.odour == frozenset({Answer.YES})


def test_r6_5_reasons_are_marked_source_strings():
    for rule in DEFAULT_TABLE.rules:
        assert rule.code and rule.message and rule.message[0].isupper()
    assert N_("Hello") == "Hello"


_SYMPTOMS = st.sampled_from(list(Symptom))
_ANSWERS = st.sampled_from(list(Answer))
_JUDGEMENTS = st.sampled_from(list(Judgement))
_URGENCY = {Answer.NO: 0, Answer.UNKNOWN: 1, Answer.YES: 2}


@given(_SYMPTOMS, _ANSWERS, _ANSWERS, _ANSWERS, _ANSWERS, _ANSWERS, _JUDGEMENTS)
def test_r6_5_property_one_class_with_reasons_and_monotone_in_odour(
    symptom, odour, noise, people, ventilated, valve, judgement
):
    """Every report gets exactly one class with reasons; more odour or "emergency" never lowers it."""
    base = ClassificationInput(symptom, odour, noise, people, ventilated, valve, judgement)
    result = classify(base)
    assert result.ticket_class in (C1, C2, C3)
    assert result.reasons
    assert result.rule_version == DEFAULT_TABLE.version
    for stronger in Answer:
        if _URGENCY[stronger] >= _URGENCY[odour]:
            raised = ClassificationInput(symptom, stronger, noise, people, ventilated, valve, judgement)
            assert classify(raised).ticket_class <= result.ticket_class
    emergency = ClassificationInput(symptom, odour, noise, people, ventilated, valve, Judgement.EMERGENCY)
    assert classify(emergency).ticket_class == C1


# ---------------------------------------------------------------------------- R6.5 class changes


@pytest.mark.parametrize(("current", "new"), [(C3, C2), (C3, C1), (C2, C1)])
def test_r6_5_raising_a_class_is_allowed_to_anyone_with_a_reason(current, new):
    assert check_class_change(current, new, actor_roles=set(), reason="caller is elderly and alone") is None


@pytest.mark.parametrize(("current", "new"), [(C3, C2), (C3, C1), (C2, C1)])
@pytest.mark.parametrize("reason", [None, "", "  \t"])
def test_r6_5_raising_a_class_needs_a_reason_too(current, new, reason):
    """R6.5: every change of class is logged with why, so a raise without a reason is refused."""
    with pytest.raises(ClassChangeError) as err:
        check_class_change(current, new, actor_roles={Role.SUPERVISOR}, reason=reason)
    assert err.value.code == "class.change_needs_reason" and err.value.field == "reason"
    assert dict(err.value.problems[0].params) == {"from_class": int(current), "to_class": int(new)}


@pytest.mark.parametrize("cls", [C1, C2, C3])
def test_r6_5_keeping_the_class_is_no_change_and_needs_no_reason(cls):
    assert check_class_change(cls, cls, actor_roles=set(), reason=None) is None


def test_r6_5_lowering_class1_needs_supervisor():
    with pytest.raises(ClassChangeError) as err:
        check_class_change(C1, C2, actor_roles={Role.DISPATCHER, Role.ADMIN}, reason="false alarm")
    assert err.value.field == "ticket_class"
    assert isinstance(err.value, ServiceError) and err.value.code == "class.lower_needs_supervisor"
    assert check_class_change(C1, C2, actor_roles={Role.SUPERVISOR}, reason="false alarm") is None


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_r6_5_lowering_class1_needs_a_reason_even_for_supervisor(reason):
    with pytest.raises(ClassChangeError) as err:
        check_class_change(C1, C3, actor_roles={Role.SUPERVISOR}, reason=reason)
    assert err.value.field == "reason"


@pytest.mark.parametrize("reason", [None, "", "  \n"])
def test_r6_5_lowering_2_to_3_needs_reason(reason):
    with pytest.raises(ClassChangeError) as err:
        check_class_change(C2, C3, actor_roles={Role.HOTLINE_AGENT}, reason=reason)
    assert err.value.field == "reason"
    assert check_class_change(2, 3, actor_roles={"hotline_agent"}, reason="customer only wants advice") is None
