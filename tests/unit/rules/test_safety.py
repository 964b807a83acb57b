"""R6.2 safety script and call-back task.

Each test is named after the RULES.md rule it checks.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ops.rules import RuleSettings, needs_callback_task, safety_script
from ops.vocabulary import Channel, Symptom
from tests.unit.rules.common import C1, C2, C3, DEFAULTS

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
