"""Every number of the service rules, configurable, and the zone the utility works in.

RULES.md: "Every number here is a default that an operator can change in configuration." Each
number is a field of :class:`RuleSettings`, set as ``GASDISPATCH_RULE_<FIELD>``; every rule function
takes ``rules: RuleSettings | None`` so that tests and the simulator can pass their own settings
instead of the process-wide ones (:func:`get_rule_settings`). Settings are validated as a whole at
start-up: a ladder of deadlines in the wrong order is a configuration error, not a surprise at 3 a.m.
"""

from __future__ import annotations

import functools
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ops.clock import require_aware
from ops.settings import check_timezone

__all__ = ["ENV_PREFIX", "RuleSettings", "get_rule_settings", "local_zone", "to_local"]

ENV_PREFIX = "GASDISPATCH_RULE_"

_POSITIVE_FIELDS = (
    "class1_depart_minutes",
    "class1_onsite_target_minutes",
    "class2_dispatch_minutes",
    "class2_onsite_target_minutes",
    "class2_onsite_limit_minutes",
    "ack_minutes",
    "class1_auto_dispatch_minutes",
    "class1_red_alert_minutes",
    "duplicate_radius_m",
    "duplicate_window_hours",
    "callback_class1_hours",
    "callback_general_hours",
    "appointment_slot_hours",
    "appointment_days",
)


def _env_name(field_name: str) -> str:
    return f"{ENV_PREFIX}{field_name.upper()}"


class RuleSettings(BaseSettings):
    """Every number of the service rules; each field is set as ``GASDISPATCH_RULE_<FIELD>``.

    RULES.md: "Every number here is a default that an operator can change in configuration."
    The time zone also honours the deployment-wide ``GASDISPATCH_TIMEZONE`` (ops.settings) when
    ``GASDISPATCH_RULE_TIMEZONE`` is not set, so that the two cannot silently disagree.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="ignore", frozen=True, populate_by_name=True,
    )

    # R6.1
    class1_depart_minutes: int = Field(30, description="R6.1: a crew departs within this many minutes.")
    class1_onsite_target_minutes: int = Field(60, description="R6.1 (product): on-site target for reporting.")
    # R6.3
    class2_dispatch_minutes: int = Field(120, description="R6.3: class 2 is dispatched within this.")
    class2_onsite_target_minutes: int = Field(240, description="R6.3: class 2 on-site target.")
    class2_onsite_limit_minutes: int = Field(480, description="R6.3: class 2 on-site limit.")
    # R7.2-R7.4
    ack_minutes: int = Field(10, description="R7.2: the crew acknowledges a work order within this.")
    class1_auto_dispatch_minutes: int = Field(3, description="R7.3: unconfirmed class 1 is auto-dispatched.")
    class1_red_alert_minutes: int = Field(20, description="R7.4: class 1 with no crew departed: red alert.")
    # (product) "at risk": the scheduler's alert and the board read the same fact (ops.queries.at_risk)
    at_risk_margin_minutes: int = Field(
        0, ge=0, description="(product) A deadline is at risk when it would be met less than this many minutes "
                             "before it; 0: only when it would be missed.")
    # R5.6
    duplicate_radius_m: float = Field(150.0, description="R5.6: likely-duplicate radius in metres.")
    duplicate_window_hours: int = Field(6, description="R5.6: likely-duplicate look-back window.")
    # R10.2
    callback_class1_hours: int = Field(48, description="R10.2: callback deadline for emergency repairs.")
    callback_general_hours: int = Field(24, description="R10.2: callback deadline for classes 2 and 3.")
    # R6.4 (product): the appointment slots a class-3 customer is offered, and when one is "tight"
    appointment_slot_hours: int = Field(2, description="R6.4: length of an appointment slot in hours.")
    appointment_first_hour: int = Field(8, ge=0, le=23, description="R6.4: local hour the first slot starts.")
    appointment_last_hour: int = Field(20, ge=1, le=24, description="R6.4: local hour the last slot ends.")
    appointment_days: int = Field(5, description="R6.4: how many days ahead (today included) slots are offered.")
    appointment_tight_minutes: int = Field(
        15, ge=0, description="(product) A slot a crew can keep with less than this to spare is shown as tight.")
    # R6.2 / R12.1
    fire_number: str = Field("119", pattern=r"^\+?[0-9]{2,15}$", description="R6.2: fire service number.")
    police_number: str = Field("110", pattern=r"^\+?[0-9]{2,15}$", description="R6.2: police number.")
    timezone: str = Field(
        "America/Santiago",
        validation_alias=AliasChoices(f"{ENV_PREFIX}TIMEZONE", "GASDISPATCH_TIMEZONE"),
        description="IANA zone in which deadlines and slots are shown.",
    )

    @field_validator(*_POSITIVE_FIELDS)
    @classmethod
    def _positive(cls, value: float, info: ValidationInfo) -> float:
        if not value > 0:
            name = info.field_name or "?"
            raise ValueError(f"{name} ({_env_name(name)}) must be positive, got {value}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        return check_timezone(value, f"timezone ({ENV_PREFIX}TIMEZONE or GASDISPATCH_TIMEZONE)")

    @model_validator(mode="after")
    def _ordered(self) -> RuleSettings:
        """The escalation ladder only makes sense in order (R7.3 before R7.4 before R6.1, R6.3 target <= limit)."""
        chains = (
            ("class1_auto_dispatch_minutes", "class1_red_alert_minutes", True),
            ("class1_red_alert_minutes", "class1_depart_minutes", True),
            ("class1_depart_minutes", "class1_onsite_target_minutes", False),
            ("class2_dispatch_minutes", "class2_onsite_target_minutes", False),
            ("class2_onsite_target_minutes", "class2_onsite_limit_minutes", False),
        )
        for earlier, later, strict in chains:
            a, b = getattr(self, earlier), getattr(self, later)
            if (a >= b) if strict else (a > b):
                relation = "less than" if strict else "at most"
                raise ValueError(
                    f"{earlier} ({_env_name(earlier)}={a}) must be {relation} "
                    f"{later} ({_env_name(later)}={b})"
                )
        span = self.appointment_last_hour - self.appointment_first_hour
        if span < self.appointment_slot_hours:
            raise ValueError(
                f"appointment_first_hour..appointment_last_hour ({self.appointment_first_hour}..."
                f"{self.appointment_last_hour}) must hold at least one slot of {self.appointment_slot_hours} h")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@functools.cache
def get_rule_settings() -> RuleSettings:
    """The process-wide rule settings, read once; call ``get_rule_settings.cache_clear()`` to re-read."""
    return RuleSettings()


def resolve(rules: RuleSettings | None) -> RuleSettings:
    """``rules`` if the caller passed settings, else the process-wide ones."""
    return rules if rules is not None else get_rule_settings()


def local_zone(rules: RuleSettings | None = None) -> ZoneInfo:
    """The zone the utility works in; deadlines and slots are shown to people in it."""
    return resolve(rules).zone


def to_local(value: datetime, rules: RuleSettings | None = None) -> datetime:
    """``value`` in the utility's zone; naive datetimes are refused because their instant is unknown."""
    return require_aware(value, "value").astimezone(local_zone(rules))
