"""Tests of ops.rules, each named after the RULES.md rule it checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from ops import rules as rules_module
from ops.errors import ServiceError
from ops.rules import (
    DEFAULT_TABLE,
    DUPLICATE_RELATED_SYMPTOMS,
    RULE_TABLES,
    ClassChangeError,
    ClassificationInput,
    ClassRule,
    DuplicateCandidate,
    RuleSettings,
    RuleTable,
    callback_due,
    callback_order_key,
    check_class_change,
    classify,
    deadlines_for,
    escalation_times,
    get_rule_settings,
    haversine_m,
    is_possible_duplicate,
    local_zone,
    needs_callback_task,
    next_deadline,
    safety_script,
    to_local,
)
from ops.vocabulary import Answer, Channel, Judgement, Role, Symptom, TicketClass

SANTIAGO = ZoneInfo("America/Santiago")
T0 = datetime(2026, 3, 10, 14, 0, tzinfo=SANTIAGO)
DEFAULTS = RuleSettings()
C1, C2, C3 = TicketClass.EMERGENCY, TicketClass.URGENT, TicketClass.SCHEDULED


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch):
    """Isolate each test from the developer's environment and from the cached settings."""
    import os

    for name in list(os.environ):
        if name.startswith("GASDISPATCH_RULE_") or name == "GASDISPATCH_TIMEZONE":
            monkeypatch.delenv(name)
    get_rule_settings.cache_clear()
    yield
    get_rule_settings.cache_clear()


def report(symptom: Symptom, odour: Answer = Answer.NO, judgement: Judgement = Judgement.GENERAL):
    return ClassificationInput(symptom=symptom, odour=odour, judgement=judgement)


def cls_of(symptom: Symptom, odour: Answer = Answer.NO, judgement: Judgement = Judgement.GENERAL):
    return classify(report(symptom, odour, judgement)).ticket_class


# ---------------------------------------------------------------------------- configuration


def test_rules_defaults_match_rules_md():
    r = RuleSettings()
    assert (r.class1_depart_minutes, r.class1_onsite_target_minutes) == (30, 60)
    assert (r.class2_dispatch_minutes, r.class2_onsite_target_minutes, r.class2_onsite_limit_minutes) == (120, 240, 480)
    assert (r.ack_minutes, r.class1_auto_dispatch_minutes, r.class1_red_alert_minutes) == (10, 3, 20)
    assert (r.duplicate_radius_m, r.duplicate_window_hours) == (150.0, 6)
    assert (r.callback_class1_hours, r.callback_general_hours) == (48, 24)
    assert (r.fire_number, r.police_number) == ("119", "110")


def test_rules_default_time_zone_is_santiago():
    assert RuleSettings().timezone == "America/Santiago"
    assert local_zone(RuleSettings()) == SANTIAGO
    assert local_zone() == SANTIAGO


def test_r6_1_env_override_changes_departure_deadline(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GASDISPATCH_RULE_CLASS1_DEPART_MINUTES", "25")
    assert deadlines_for(C1, T0, rules=RuleSettings()).depart_by == T0 + timedelta(minutes=25)
    # the process-wide settings see it too once re-read
    get_rule_settings.cache_clear()
    assert deadlines_for(C1, T0).depart_by == T0 + timedelta(minutes=25)


def test_rules_get_rule_settings_is_cached(monkeypatch: pytest.MonkeyPatch):
    first = get_rule_settings()
    monkeypatch.setenv("GASDISPATCH_RULE_ACK_MINUTES", "7")
    assert get_rule_settings() is first
    get_rule_settings.cache_clear()
    assert get_rule_settings().ack_minutes == 7


def test_rules_explicit_settings_win_over_process_settings(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GASDISPATCH_RULE_CLASS2_DISPATCH_MINUTES", "90")
    get_rule_settings.cache_clear()
    assert deadlines_for(C2, T0).dispatch_by == T0 + timedelta(minutes=90)
    assert deadlines_for(C2, T0, rules=DEFAULTS).dispatch_by == T0 + timedelta(minutes=120)


@pytest.mark.parametrize("value", ["0", "-5", "abc"])
def test_rules_bad_number_names_the_field(monkeypatch: pytest.MonkeyPatch, value: str):
    monkeypatch.setenv("GASDISPATCH_RULE_CLASS1_DEPART_MINUTES", value)
    with pytest.raises(ValidationError, match="class1_depart_minutes"):
        RuleSettings()


def test_rules_non_positive_error_names_the_env_var(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GASDISPATCH_RULE_ACK_MINUTES", "0")
    with pytest.raises(ValidationError, match="GASDISPATCH_RULE_ACK_MINUTES"):
        RuleSettings()


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"class2_onsite_target_minutes": 500}, "class2_onsite_target_minutes"),
        ({"class2_dispatch_minutes": 300}, "class2_dispatch_minutes"),
        ({"class1_auto_dispatch_minutes": 20}, "class1_auto_dispatch_minutes"),
        ({"class1_red_alert_minutes": 30}, "class1_red_alert_minutes"),
        ({"class1_depart_minutes": 90}, "class1_depart_minutes"),
    ],
)
def test_rules_ordering_constraints(overrides: dict, named: str):
    with pytest.raises(ValidationError, match=named):
        RuleSettings(**overrides)


def test_rules_ordering_constraint_from_env(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GASDISPATCH_RULE_CLASS1_RED_ALERT_MINUTES", "2")
    with pytest.raises(ValidationError, match="GASDISPATCH_RULE_CLASS1_AUTO_DISPATCH_MINUTES"):
        RuleSettings()


def test_rules_equal_target_and_limit_is_allowed():
    assert RuleSettings(class2_onsite_target_minutes=480).class2_onsite_limit_minutes == 480


def test_rules_bad_time_zone_names_the_field(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GASDISPATCH_RULE_TIMEZONE", "Mars/Olympus_Mons")
    with pytest.raises(ValidationError, match="timezone"):
        RuleSettings()


def test_rules_time_zone_follows_deployment_setting(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GASDISPATCH_TIMEZONE", "Asia/Shanghai")
    assert RuleSettings().timezone == "Asia/Shanghai"
    monkeypatch.setenv("GASDISPATCH_RULE_TIMEZONE", "Europe/Madrid")
    assert RuleSettings().timezone == "Europe/Madrid"
    assert RuleSettings(timezone="UTC").timezone == "UTC"


def test_rules_settings_are_immutable():
    with pytest.raises(ValidationError):
        DEFAULTS.ack_minutes = 1  # type: ignore[misc]


def test_rules_to_local_converts_and_refuses_naive():
    utc_noon = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    local = to_local(utc_noon, DEFAULTS)
    assert local.tzinfo == SANTIAGO and local.hour == 9  # January: summer time, UTC-3
    assert to_local(utc_noon, RuleSettings(timezone="Asia/Shanghai")).hour == 20
    with pytest.raises(ValueError, match="value"):
        to_local(datetime(2026, 1, 15, 12, 0), DEFAULTS)


# ---------------------------------------------------------------------------- R6.5 classification


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
    assert rules_module.N_("Hello") == "Hello"


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


@pytest.mark.parametrize(("current", "new"), [(C3, C2), (C3, C1), (C2, C1), (C2, C2)])
def test_r6_5_raising_a_class_is_always_allowed(current, new):
    assert check_class_change(current, new, actor_roles=set(), reason=None) is None


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


# ---------------------------------------------------------------------------- R6.1 / R6.3 / R6.4 deadlines


def test_r6_1_class1_departure_deadline():
    d = deadlines_for(C1, T0, rules=DEFAULTS)
    assert d.depart_by == datetime(2026, 3, 10, 14, 30, tzinfo=SANTIAGO)
    assert d.onsite_target == datetime(2026, 3, 10, 15, 0, tzinfo=SANTIAGO)
    assert (d.dispatch_by, d.onsite_limit, d.slot_start, d.slot_end) == (None, None, None, None)
    assert d.ticket_class == C1 and d.received_at == T0


def test_r6_3_class2_dispatch_target_and_limit():
    d = deadlines_for(C2, T0, rules=DEFAULTS)
    assert d.dispatch_by == datetime(2026, 3, 10, 16, 0, tzinfo=SANTIAGO)
    assert d.onsite_target == datetime(2026, 3, 10, 18, 0, tzinfo=SANTIAGO)
    assert d.onsite_limit == datetime(2026, 3, 10, 22, 0, tzinfo=SANTIAGO)
    assert d.depart_by is None


def test_r6_4_class3_uses_the_slot():
    start, end = T0 + timedelta(days=1), T0 + timedelta(days=1, hours=2)
    d = deadlines_for(C3, T0, slot_start=start, slot_end=end, rules=DEFAULTS)
    assert (d.slot_start, d.slot_end) == (start, end)
    assert (d.depart_by, d.dispatch_by, d.onsite_target, d.onsite_limit) == (None, None, None, None)


def test_r6_4_class3_requires_a_valid_slot():
    with pytest.raises(ValueError, match="slot_start"):
        deadlines_for(C3, T0, rules=DEFAULTS)
    with pytest.raises(ValueError, match="slot_end"):
        deadlines_for(C3, T0, slot_start=T0, rules=DEFAULTS)
    with pytest.raises(ValueError, match="slot_end"):
        deadlines_for(C3, T0, slot_start=T0, slot_end=T0, rules=DEFAULTS)
    with pytest.raises(ValueError, match="slot_start"):
        deadlines_for(C3, T0, slot_start=datetime(2026, 3, 11, 9), slot_end=T0 + timedelta(days=2))


def test_r6_4_slot_is_ignored_once_raised_out_of_class3():
    d = deadlines_for(C2, T0, slot_start=T0, slot_end=T0 + timedelta(hours=1), rules=DEFAULTS)
    assert (d.slot_start, d.slot_end) == (None, None)


def test_r6_received_at_must_be_timezone_aware():
    with pytest.raises(ValueError, match="received_at"):
        deadlines_for(C1, datetime(2026, 3, 10, 14, 0), rules=DEFAULTS)


def test_r6_3_deadline_across_dst_change_is_elapsed_time():
    """Chile springs forward at 00:00 on 2026-09-06: 2 h after 23:00 is 02:00, not 01:00."""
    received = datetime(2026, 9, 5, 23, 0, tzinfo=SANTIAGO)
    d = deadlines_for(C2, received, rules=DEFAULTS)
    assert d.dispatch_by.replace(tzinfo=None) == datetime(2026, 9, 6, 2, 0)
    assert d.dispatch_by.astimezone(UTC) - received.astimezone(UTC) == timedelta(hours=2)


def test_r6_1_deadline_in_utc_input_stays_in_utc():
    received = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)
    assert deadlines_for(C1, received, rules=DEFAULTS).depart_by == datetime(2026, 3, 10, 17, 30, tzinfo=UTC)
    assert deadlines_for(C1, received, rules=DEFAULTS).depart_by.tzinfo == UTC


# ---------------------------------------------------------------------------- next deadline (map hover)


def test_r6_1_next_deadline_class1_departure_then_onsite():
    d = deadlines_for(C1, T0, rules=DEFAULTS)
    nd = next_deadline(d, T0 + timedelta(minutes=10))
    assert (nd.label, nd.at) == ("depart_by", T0 + timedelta(minutes=30))
    assert nd.time_left(T0 + timedelta(minutes=10)) == timedelta(minutes=20)
    assert nd.message == "Crew departs by"
    # overdue departure stays the next deadline
    late = next_deadline(d, T0 + timedelta(minutes=45))
    assert late.label == "depart_by" and late.is_overdue(T0 + timedelta(minutes=45))
    nd = next_deadline(d, T0 + timedelta(minutes=20), departed_at=T0 + timedelta(minutes=15))
    assert (nd.label, nd.at) == ("onsite_target", T0 + timedelta(minutes=60))
    assert next_deadline(d, T0 + timedelta(minutes=50), departed_at=T0, arrived_at=T0 + timedelta(minutes=40)) is None


def test_r6_3_next_deadline_class2_dispatch_target_limit():
    d = deadlines_for(C2, T0, rules=DEFAULTS)
    assert next_deadline(d, T0).label == "dispatch_by"
    assert next_deadline(d, T0 + timedelta(hours=3)).label == "dispatch_by"  # overdue, still the one
    dispatched = T0 + timedelta(minutes=30)
    assert next_deadline(d, T0 + timedelta(hours=1), dispatched_at=dispatched).label == "onsite_target"
    nd = next_deadline(d, T0 + timedelta(hours=5), dispatched_at=dispatched)
    assert (nd.label, nd.at) == ("onsite_limit", T0 + timedelta(hours=8))
    assert next_deadline(d, T0 + timedelta(hours=1), departed_at=dispatched).label == "onsite_target"
    assert next_deadline(d, T0 + timedelta(hours=5), dispatched_at=dispatched, arrived_at=T0 + timedelta(hours=4)) is None


def test_r6_4_next_deadline_class3_slot_start_then_end():
    start, end = T0 + timedelta(days=1), T0 + timedelta(days=1, hours=2)
    d = deadlines_for(C3, T0, slot_start=start, slot_end=end, rules=DEFAULTS)
    assert next_deadline(d, T0) == rules_module.NextDeadline("slot_start", start)
    assert next_deadline(d, start + timedelta(minutes=1)) == rules_module.NextDeadline("slot_end", end)


def test_r6_next_deadline_time_left_is_elapsed_time_across_dst():
    received = datetime(2026, 9, 5, 23, 0, tzinfo=SANTIAGO)
    d = deadlines_for(C2, received, rules=DEFAULTS)
    nd = next_deadline(d, received)
    assert nd.time_left(received) == timedelta(hours=2)


# ---------------------------------------------------------------------------- R6.2 safety script

BASE_CODES = ("close_valve", "open_windows", "no_open_flame", "no_electrical_switching", "leave_premises")


def test_r6_2_class1_leak_script():
    script = safety_script(Symptom.GAS_LEAK, C1, rules=DEFAULTS)
    assert tuple(i.code for i in script) == BASE_CODES


@pytest.mark.parametrize("symptom", [Symptom.FIRE, Symptom.EXPLOSION])
def test_r6_2_fire_script_includes_119_and_110(symptom: Symptom):
    script = safety_script(symptom, C1, rules=DEFAULTS)
    assert tuple(i.code for i in script) == (*BASE_CODES, "call_fire", "call_police")
    rendered = {i.code: i.render() for i in script}
    assert "119" in rendered["call_fire"] and "110" not in rendered["call_fire"]
    assert "110" in rendered["call_police"]


def test_r6_2_major_leak_adds_emergency_calls():
    script = safety_script(Symptom.GAS_LEAK, C1, major_leak=True, rules=DEFAULTS)
    assert [i.code for i in script][-2:] == ["call_fire", "call_police"]


def test_r6_2_emergency_numbers_configurable(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GASDISPATCH_RULE_FIRE_NUMBER", "132")
    monkeypatch.setenv("GASDISPATCH_RULE_POLICE_NUMBER", "133")
    script = {i.code: i for i in safety_script(Symptom.FIRE, C1, rules=RuleSettings())}
    assert script["call_fire"].render() == "Phone 132 (fire service)."
    assert script["call_police"].render() == "Phone 133 (police)."
    # translation happens on the msgid, the number is filled in afterwards
    assert script["call_fire"].render(lambda s: s.replace("Phone", "Llame al")) == "Llame al 132 (fire service)."
    monkeypatch.setenv("GASDISPATCH_RULE_FIRE_NUMBER", "call me")
    with pytest.raises(ValidationError, match="fire_number"):
        RuleSettings()


@pytest.mark.parametrize("cls", [C2, C3])
def test_r6_2_no_script_outside_class1(cls):
    assert safety_script(Symptom.FIRE, cls, rules=DEFAULTS) == ()


@pytest.mark.parametrize(("channel", "expected"), [
    (Channel.HOTLINE, False), (Channel.WEB_APP, True), (Channel.WECHAT, True), (Channel.COUNTER, True),
])
def test_r6_2_callback_task_for_class1_without_voice_call(channel, expected):
    assert needs_callback_task(channel, C1) is expected
    assert needs_callback_task(channel, C2) is False
    assert needs_callback_task(channel, C3) is False


# ---------------------------------------------------------------------------- R7.2-R7.4 escalation


def test_r7_2_ack_deadline_10_minutes_after_dispatch():
    dispatched = T0 + timedelta(minutes=40)
    assert escalation_times(C2, T0, dispatched, rules=DEFAULTS).ack_by == T0 + timedelta(minutes=50)
    assert escalation_times(C2, T0, rules=DEFAULTS).ack_by is None


def test_r7_3_auto_dispatch_after_3_minutes():
    e = escalation_times(C1, T0, rules=DEFAULTS)
    assert e.auto_dispatch_at == T0 + timedelta(minutes=3)


def test_r7_4_red_alert_after_20_minutes():
    e = escalation_times(C1, T0, T0 + timedelta(minutes=2), rules=DEFAULTS)
    assert e.red_alert_at == T0 + timedelta(minutes=20)
    assert e.ack_by == T0 + timedelta(minutes=12)


@pytest.mark.parametrize("cls", [C2, C3])
def test_r7_3_r7_4_only_for_class1(cls):
    e = escalation_times(cls, T0, rules=DEFAULTS)
    assert (e.auto_dispatch_at, e.red_alert_at) == (None, None)


def test_r7_escalation_needs_aware_times():
    with pytest.raises(ValueError, match="dispatched_at"):
        escalation_times(C1, T0, datetime(2026, 3, 10, 14, 5), rules=DEFAULTS)
    with pytest.raises(ValueError, match="received_at"):
        escalation_times(C1, datetime(2026, 3, 10, 14, 5), rules=DEFAULTS)


def test_r7_3_env_override(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GASDISPATCH_RULE_CLASS1_AUTO_DISPATCH_MINUTES", "5")
    assert escalation_times(C1, T0, rules=RuleSettings()).auto_dispatch_at == T0 + timedelta(minutes=5)


# ---------------------------------------------------------------------------- R5.6 duplicates

# Coquimbo, Plaza de Armas
LON, LAT = -71.3436, -29.9533
# 100 m and 200 m north (1 degree of latitude is ~111.195 km)
LAT_100M = LAT + 100 / 111_195
LAT_200M = LAT + 200 / 111_195


def cand(symptom=Symptom.GAS_LEAK, lat=LAT, reported_at=T0, is_open=True, odour=Answer.NO):
    return DuplicateCandidate(symptom, LON, lat, reported_at, is_open, odour)


def test_r5_6_haversine():
    assert haversine_m(0, 0, 0, 1) == pytest.approx(111_195, rel=1e-4)
    assert haversine_m(LON, LAT, LON, LAT_100M) == pytest.approx(100, abs=0.01)
    assert haversine_m(LON, LAT, LON, LAT) == 0
    assert haversine_m(0, 0, 180, 0) == pytest.approx(20_015_087, rel=1e-4)


def test_r5_6_leak_nearby_is_possible_duplicate():
    now = T0 + timedelta(hours=1)
    assert is_possible_duplicate(cand(lat=LAT_100M), cand(Symptom.PIPE_DAMAGE), now, rules=DEFAULTS)


def test_r5_6_too_far_is_not_duplicate():
    assert not is_possible_duplicate(cand(lat=LAT_200M), cand(), T0, rules=DEFAULTS)
    assert is_possible_duplicate(cand(lat=LAT_200M), cand(), T0, rules=RuleSettings(duplicate_radius_m=250))


def test_r5_6_window_is_6_hours():
    existing = cand(reported_at=T0)
    assert is_possible_duplicate(cand(), existing, T0 + timedelta(hours=6), rules=DEFAULTS)
    assert not is_possible_duplicate(cand(), existing, T0 + timedelta(hours=6, seconds=1), rules=DEFAULTS)


def test_r5_6_closed_ticket_is_not_duplicate():
    assert not is_possible_duplicate(cand(), cand(is_open=False), T0, rules=DEFAULTS)


def test_r5_6_unrelated_symptom_is_not_duplicate():
    assert not is_possible_duplicate(cand(Symptom.GAS_LEAK), cand(Symptom.APPLIANCE_FAULT), T0, rules=DEFAULTS)
    assert not is_possible_duplicate(cand(Symptom.INSTALLATION), cand(Symptom.INSTALLATION), T0, rules=DEFAULTS)


def test_r5_6_supply_symptoms_are_related():
    assert is_possible_duplicate(cand(Symptom.NO_GAS), cand(Symptom.VALVE_DAMAGE), T0, rules=DEFAULTS)
    assert is_possible_duplicate(cand(Symptom.METER_FAULT), cand(Symptom.NO_GAS), T0, rules=DEFAULTS)


def test_r5_6_odour_makes_any_report_leak_related():
    assert is_possible_duplicate(cand(Symptom.APPLIANCE_FAULT, odour=Answer.YES), cand(Symptom.GAS_LEAK), T0,
                                 rules=DEFAULTS)
    assert not is_possible_duplicate(cand(Symptom.APPLIANCE_FAULT, odour=Answer.UNKNOWN), cand(Symptom.GAS_LEAK),
                                     T0, rules=DEFAULTS)


def test_r5_6_groups_cover_every_fault_and_no_request():
    grouped = set().union(*DUPLICATE_RELATED_SYMPTOMS)
    assert grouped == set(Symptom) - set(rules_module.REQUEST_SYMPTOMS)


def test_r5_6_candidate_validation():
    with pytest.raises(ValueError, match="lat"):
        DuplicateCandidate(Symptom.GAS_LEAK, LON, 95.0, T0)
    with pytest.raises(ValueError, match="reported_at"):
        DuplicateCandidate(Symptom.GAS_LEAK, LON, LAT, datetime(2026, 3, 10, 14, 0))


# ---------------------------------------------------------------------------- R10 callbacks


def test_r10_2_callback_48h_for_emergency():
    assert callback_due(C1, T0, rules=DEFAULTS) == T0 + timedelta(hours=48)


@pytest.mark.parametrize("cls", [C2, C3])
def test_r10_2_callback_24h_for_general_repairs(cls):
    assert callback_due(cls, T0, rules=DEFAULTS) == T0 + timedelta(hours=24)


def test_r10_2_callback_across_dst_is_elapsed_time():
    """Chile falls back at 00:00 on 2026-04-05: 24 h after 12:00 on the 4th is 11:00 on the 5th."""
    completed = datetime(2026, 4, 4, 12, 0, tzinfo=SANTIAGO)
    due = callback_due(C2, completed, rules=DEFAULTS)
    assert due.replace(tzinfo=None) == datetime(2026, 4, 5, 11, 0)


def test_r10_2_callback_env_override(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GASDISPATCH_RULE_CALLBACK_CLASS1_HOURS", "36")
    assert callback_due(C1, T0, rules=RuleSettings()) == T0 + timedelta(hours=36)


def test_r10_1_emergency_and_complaint_callbacks_first():
    soon = T0 + timedelta(hours=1)
    later = T0 + timedelta(hours=40)
    queue = {
        "general_soon": callback_order_key(C2, soon),
        "scheduled_soon": callback_order_key(C3, soon + timedelta(minutes=5)),
        "emergency_later": callback_order_key(C1, later),
        "complaint_later": callback_order_key(C3, later + timedelta(minutes=1), complaint=True),
    }
    order = sorted(queue, key=queue.__getitem__)
    assert order == ["emergency_later", "complaint_later", "general_soon", "scheduled_soon"]
