"""R6.1, R6.3, R6.4 deadlines of a ticket and the one that matters next.

Deadlines are measured from ``received_at`` on elapsed time and returned in ``received_at``'s zone
(:mod:`ops.clock`): a class-1 departure deadline that spans a daylight-saving change is still 30
real minutes away. :func:`next_deadline` is what the map hover and the board count down to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType

from ops.clock import as_utc, elapsed_after, require_aware
from ops.i18n import N_
from ops.rules.settings import RuleSettings, resolve
from ops.vocabulary import TicketClass

__all__ = ["DEADLINE_MESSAGES", "Deadlines", "NextDeadline", "deadlines_for", "next_deadline"]


@dataclass(frozen=True)
class Deadlines:
    """The deadlines of one ticket, measured from ``received_at`` (R6); ``None`` where not applicable."""

    ticket_class: TicketClass
    received_at: datetime
    depart_by: datetime | None = None      # R6.1 class 1
    dispatch_by: datetime | None = None    # R6.3 class 2
    onsite_target: datetime | None = None  # R6.1 (product) class 1, R6.3 class 2
    onsite_limit: datetime | None = None   # R6.3 class 2
    slot_start: datetime | None = None     # R6.4 class 3
    slot_end: datetime | None = None       # R6.4 class 3


def deadlines_for(
    ticket_class: TicketClass | int,
    received_at: datetime,
    *,
    slot_start: datetime | None = None,
    slot_end: datetime | None = None,
    rules: RuleSettings | None = None,
) -> Deadlines:
    """Compute the R6.1/R6.3/R6.4 deadlines, in ``received_at``'s zone.

    A slot passed for class 1 or 2 is ignored: once a ticket is raised out of class 3 the booked
    appointment no longer binds the crew, the class's own deadlines do. Class 3 requires a slot.
    """
    cls = TicketClass(ticket_class)
    require_aware(received_at, "received_at")
    r = resolve(rules)
    if cls is TicketClass.EMERGENCY:
        return Deadlines(
            cls, received_at,
            depart_by=elapsed_after(received_at, timedelta(minutes=r.class1_depart_minutes)),
            onsite_target=elapsed_after(received_at, timedelta(minutes=r.class1_onsite_target_minutes)),
        )
    if cls is TicketClass.URGENT:
        return Deadlines(
            cls, received_at,
            dispatch_by=elapsed_after(received_at, timedelta(minutes=r.class2_dispatch_minutes)),
            onsite_target=elapsed_after(received_at, timedelta(minutes=r.class2_onsite_target_minutes)),
            onsite_limit=elapsed_after(received_at, timedelta(minutes=r.class2_onsite_limit_minutes)),
        )
    if slot_start is None:
        raise ValueError("slot_start: a class-3 ticket needs an appointment slot (R6.4)")
    if slot_end is None:
        raise ValueError("slot_end: a class-3 ticket needs an appointment slot (R6.4)")
    require_aware(slot_start, "slot_start")
    require_aware(slot_end, "slot_end")
    if as_utc(slot_end) <= as_utc(slot_start):
        raise ValueError("slot_end: the appointment slot must end after it starts (R6.4)")
    return Deadlines(cls, received_at, slot_start=slot_start, slot_end=slot_end)


#: Display names of the deadline labels returned by :func:`next_deadline`.
DEADLINE_MESSAGES: Mapping[str, str] = MappingProxyType({
    "depart_by": N_("Crew departs by"),
    "dispatch_by": N_("Dispatch by"),
    "onsite_target": N_("On site by (target)"),
    "onsite_limit": N_("On site by (limit)"),
    "slot_start": N_("Appointment slot opens"),
    "slot_end": N_("Appointment slot closes"),
})


@dataclass(frozen=True)
class NextDeadline:
    """The deadline that matters next; ``label`` is a :class:`Deadlines` field name."""

    label: str
    at: datetime

    @property
    def message(self) -> str:
        return DEADLINE_MESSAGES[self.label]

    def time_left(self, now: datetime) -> timedelta:
        """Real time until the deadline; negative once it is overdue."""
        return as_utc(self.at) - as_utc(require_aware(now, "now"))

    def is_overdue(self, now: datetime) -> bool:
        return self.time_left(now) < timedelta(0)


def next_deadline(
    deadlines: Deadlines,
    now: datetime,
    *,
    dispatched_at: datetime | None = None,
    departed_at: datetime | None = None,
    arrived_at: datetime | None = None,
) -> NextDeadline | None:
    """The deadline the map hover counts down to (R1.2: the system tracks deadlines, not people).

    The milestones reached so far select the stage; a missed deadline stays the next one until
    its milestone is reached, so an overdue departure keeps showing as overdue. The one exception
    is a class-2 on-site target: once it has passed, the limit is what can still be kept. Class 3
    counts down to the slot opening, then to its close. After arrival nothing is left (``None``).
    """
    require_aware(now, "now")
    if arrived_at is not None:
        return None
    dispatched = dispatched_at is not None or departed_at is not None
    d = deadlines
    if d.ticket_class is TicketClass.EMERGENCY:
        assert d.depart_by is not None and d.onsite_target is not None
        if departed_at is None:
            return NextDeadline("depart_by", d.depart_by)
        return NextDeadline("onsite_target", d.onsite_target)
    if d.ticket_class is TicketClass.URGENT:
        assert d.dispatch_by is not None and d.onsite_target is not None and d.onsite_limit is not None
        if not dispatched:
            return NextDeadline("dispatch_by", d.dispatch_by)
        if as_utc(now) <= as_utc(d.onsite_target):
            return NextDeadline("onsite_target", d.onsite_target)
        return NextDeadline("onsite_limit", d.onsite_limit)
    assert d.slot_start is not None and d.slot_end is not None
    if as_utc(now) < as_utc(d.slot_start):
        return NextDeadline("slot_start", d.slot_start)
    return NextDeadline("slot_end", d.slot_end)
