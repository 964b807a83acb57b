"""Values shared by the rule tests: a fixed instant in the utility's zone and the default settings."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ops.rules import RuleSettings
from ops.vocabulary import TicketClass

SANTIAGO = ZoneInfo("America/Santiago")
T0 = datetime(2026, 3, 10, 14, 0, tzinfo=SANTIAGO)
DEFAULTS = RuleSettings()
C1, C2, C3 = TicketClass.EMERGENCY, TicketClass.URGENT, TicketClass.SCHEDULED
