"""Rule settings: defaults, overrides from the environment, validation, the time zone.

Each test is named after the RULES.md rule it checks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from ops.rules import RuleSettings, deadlines_for, get_rule_settings, local_zone, to_local
from tests.unit.rules.common import C1, C2, DEFAULTS, SANTIAGO, T0


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
