"""The demo's own numbers: its size, demand mix and crew set-up.

None of these is a service rule: the deadlines and escalation times the simulation works against
come from ``ops.rules`` (``RuleSettings``), so an operator's change of a rule value changes the demo
too. What lives here is the make-believe utility: how many customers, what they report, which crews
exist and when customers may book an appointment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from ops.vocabulary import Channel, Role, ShiftPattern, Skill, Symptom, TicketClass

__all__ = [
    "CHANNEL_MIX",
    "CREW_TEMPLATES",
    "DEMO_USERS",
    "DEPOT_SITES",
    "HOUR_PROFILE",
    "ODOUR",
    "REPAIR_KIND",
    "SHIFT_HOURS",
    "SKILL_FOR",
    "SLOT_HOURS",
    "SLOT_LENGTH",
    "STREET_LEAK_SYMPTOMS",
    "SYMPTOM_MIX",
    "DemoConfig",
]


@dataclass(frozen=True)
class DemoConfig:
    """The size of the scenario; the defaults are the demo, tests shrink it to stay fast."""

    customers: int = 5000
    history_days: int = 90
    arrivals_per_day: float = 25.0
    crews_per_depot: int = 4
    emergency_contact_share: float = 0.03

    def __post_init__(self) -> None:
        if self.customers < 10:
            raise ValueError("customers: the demo needs at least 10 customers")
        if self.history_days < 1:
            raise ValueError("history_days: at least one day of history")
        if self.arrivals_per_day <= 0:
            raise ValueError("arrivals_per_day must be positive")
        if not 1 <= self.crews_per_depot <= 9:
            raise ValueError("crews_per_depot: 1 to 9")


#: One login per role; the crew member is linked to the first member of the first crew.
DEMO_USERS: tuple[tuple[str, Role], ...] = (
    ("hotline", Role.HOTLINE_AGENT),
    ("dispatcher", Role.DISPATCHER),
    ("supervisor", Role.SUPERVISOR),
    ("crew", Role.CREW_MEMBER),
    ("callback", Role.CALLBACK_AGENT),
    ("quality", Role.QUALITY_INSPECTOR),
    ("manager", Role.MANAGER),
    ("planner", Role.PLANNER),
    ("admin", Role.ADMIN),
)

#: Relative arrivals by local hour: quiet nights, peaks 8–11 and 18–21.
HOUR_PROFILE = np.array([0.4, 0.3, 0.25, 0.25, 0.3, 0.5, 1.0, 2.0, 3.6, 4.0, 3.8, 3.4,
                         2.8, 2.6, 2.6, 2.6, 2.8, 3.0, 3.6, 4.0, 3.8, 3.2, 1.8, 0.9])

#: Symptom mix; with the odour model below, classify() yields about 8% / 45% / 47% for classes 1/2/3.
SYMPTOM_MIX: tuple[tuple[Symptom, float], ...] = (
    (Symptom.GAS_LEAK, 0.048), (Symptom.PIPE_DAMAGE, 0.006), (Symptom.FIRE, 0.0015),
    (Symptom.EXPLOSION, 0.0005),
    (Symptom.NO_GAS, 0.12), (Symptom.ABNORMAL_FLAME, 0.07), (Symptom.METER_FAULT, 0.09),
    (Symptom.VALVE_DAMAGE, 0.04), (Symptom.APPLIANCE_FAULT, 0.13), (Symptom.OTHER, 0.03),
    (Symptom.INSTALLATION, 0.09), (Symptom.MODIFICATION, 0.04), (Symptom.CONSULTATION, 0.12),
    (Symptom.MAINTENANCE, 0.214),
)

#: P(odour yes), P(odour unknown) by the class a symptom has by itself (``reports.symptom_class``):
#: emergency symptoms, faults and scheduled-work requests.
ODOUR: dict[TicketClass, tuple[float, float]] = {
    TicketClass.EMERGENCY: (0.85, 0.10),
    TicketClass.URGENT: (0.025, 0.03),
    TicketClass.SCHEDULED: (0.003, 0.04),
}

#: Leaks a passer-by may report from the street (R5.1), with no customer number.
STREET_LEAK_SYMPTOMS: frozenset[Symptom] = frozenset({Symptom.GAS_LEAK, Symptom.PIPE_DAMAGE})

#: R4.1 channel mix as drawn; the counter is open only in office hours (about half of the reports), and
#: reports drawn for it outside them go to the hotline, so the result is about 60/20/15/5.
CHANNEL_MIX: tuple[tuple[Channel, float], ...] = (
    (Channel.HOTLINE, 0.55), (Channel.WEB_APP, 0.20), (Channel.WECHAT, 0.15), (Channel.COUNTER, 0.10),
)

#: What a job needs the crew to be able to do; class 1 always needs leak repair.
SKILL_FOR: dict[Symptom, Skill] = {
    Symptom.GAS_LEAK: Skill.LEAK_REPAIR, Symptom.PIPE_DAMAGE: Skill.LEAK_REPAIR,
    Symptom.FIRE: Skill.LEAK_REPAIR, Symptom.EXPLOSION: Skill.LEAK_REPAIR,
    Symptom.NO_GAS: Skill.PIPEWORK, Symptom.VALVE_DAMAGE: Skill.PIPEWORK, Symptom.OTHER: Skill.PIPEWORK,
    Symptom.ABNORMAL_FLAME: Skill.APPLIANCE, Symptom.APPLIANCE_FAULT: Skill.APPLIANCE,
    Symptom.MAINTENANCE: Skill.APPLIANCE, Symptom.CONSULTATION: Skill.APPLIANCE,
    Symptom.METER_FAULT: Skill.METER,
    Symptom.INSTALLATION: Skill.INSTALLATION, Symptom.MODIFICATION: Skill.INSTALLATION,
}
#: The family of repair texts (``texts.REPAIRS``) for each skill.
REPAIR_KIND: dict[Skill, str] = {
    Skill.LEAK_REPAIR: "leak", Skill.PIPEWORK: "pipework", Skill.APPLIANCE: "appliance",
    Skill.METER: "meter", Skill.INSTALLATION: "installation",
}

#: Crew templates by position within a depot: every depot has leak-repair crews on both shifts.
CREW_TEMPLATES: tuple[tuple[ShiftPattern, tuple[Skill, ...]], ...] = (
    (ShiftPattern.DAY, (Skill.LEAK_REPAIR, Skill.PIPEWORK, Skill.METER)),
    (ShiftPattern.DAY, (Skill.LEAK_REPAIR, Skill.APPLIANCE, Skill.METER)),
    (ShiftPattern.DAY, (Skill.INSTALLATION, Skill.APPLIANCE, Skill.METER, Skill.PIPEWORK)),
    (ShiftPattern.NIGHT, (Skill.LEAK_REPAIR, Skill.PIPEWORK, Skill.APPLIANCE, Skill.METER)),
)
SHIFT_HOURS = {ShiftPattern.DAY: (8, 20), ShiftPattern.NIGHT: (20, 8)}

#: (name, latitude quantile): north (La Serena), centre, south (Coquimbo) on the default area.
DEPOT_SITES = (("Base Norte", 0.85), ("Base Centro", 0.50), ("Base Sur", 0.12))

#: Class-3 appointment slots the demo utility offers: two hours, starting at these local hours.
#: R6.4 leaves the slots to the utility (the customer chooses one), so they are not rule settings.
SLOT_HOURS = (8, 10, 12, 14, 16)
SLOT_LENGTH = timedelta(hours=2)
