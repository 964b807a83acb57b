"""R6.1, R6.3, R6.4 deadlines of a ticket and the one that matters next.

Deadlines are measured from ``received_at`` on elapsed time and returned in ``received_at``'s zone
(:mod:`ops.clock`): a class-1 departure deadline that spans a daylight-saving change is still 30
real minutes away. :func:`next_deadline` is what the map hover and the board count down to;
:func:`arrival_deadline` is what a crew's arrival is judged against.

A ticket stores its deadlines in columns (computed once at intake, so that a later change of
configuration does not move the goalposts of tickets already open). :meth:`Deadlines.to_columns`
and :meth:`Deadlines.from_ticket` are the only two places that know how the one maps onto the other.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Protocol

from ops.clock import as_utc, elapsed_after, require_aware
from ops.i18n import N_
from ops.rules.settings import RuleSettings, resolve
from ops.vocabulary import TicketClass

__all__ = [
    "DEADLINE_LABELS",
    "DEADLINE_MESSAGES",
    "Deadlines",
    "NextDeadline",
    "TicketDeadlineColumns",
    "arrival_deadline",
    "deadlines_for",
    "next_deadline",
]


class TicketDeadlineColumns(Protocol):
    """What :meth:`Deadlines.from_ticket` reads: an ORM ``Ticket`` or a row selecting these columns."""

    @property
    def ticket_class(self) -> int: ...
    @property
    def received_at(self) -> datetime: ...
    @property
    def depart_deadline(self) -> datetime | None: ...
    @property
    def dispatch_deadline(self) -> datetime | None: ...
    @property
    def onsite_target(self) -> datetime | None: ...
    @property
    def onsite_limit(self) -> datetime | None: ...
    @property
    def slot_start(self) -> datetime | None: ...
    @property
    def slot_end(self) -> datetime | None: ...


#: Which deadlines apply to each class. A ticket raised out of class 3 keeps its booked slot in
#: the slot columns (lowering it again can reuse it), but the slot no longer binds the crew.
_APPLIES: Mapping[TicketClass, frozenset[str]] = MappingProxyType({
    TicketClass.EMERGENCY: frozenset({"depart_by", "onsite_target"}),
    TicketClass.URGENT: frozenset({"dispatch_by", "onsite_target", "onsite_limit"}),
    TicketClass.SCHEDULED: frozenset({"slot_start", "slot_end"}),
})
#: Deadline field → ticket column. The slot columns are the booked appointment itself.
_COLUMNS: Mapping[str, str] = MappingProxyType({
    "depart_by": "depart_deadline",
    "dispatch_by": "dispatch_deadline",
    "onsite_target": "onsite_target",
    "onsite_limit": "onsite_limit",
    "slot_start": "slot_start",
    "slot_end": "slot_end",
})
#: The deadline labels in the order a ticket meets them (a :class:`Deadlines` field name each).
DEADLINE_LABELS: tuple[str, ...] = tuple(_COLUMNS)


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

    @classmethod
    def from_ticket(cls, ticket: TicketDeadlineColumns) -> Deadlines:
        """The deadlines stored on ``ticket`` at intake, as :func:`deadlines_for` computed them.

        Reads only the columns of :class:`TicketDeadlineColumns`, so a row of a narrow ``SELECT``
        (the board reads hundreds of tickets that way) serves as well as a loaded ``Ticket``. A
        column that does not apply to the ticket's class is ignored, whatever it holds.
        """
        ticket_class = TicketClass(ticket.ticket_class)
        applies = _APPLIES[ticket_class]
        values = {name: getattr(ticket, column) for name, column in _COLUMNS.items() if name in applies}
        return cls(ticket_class, ticket.received_at, **values)

    def to_columns(self) -> dict[str, datetime | None]:
        """The ticket column values that store these deadlines (``Ticket(**...)`` or ``setattr``).

        Every derived deadline column is set, to ``None`` where it does not apply, so that a class
        change leaves nothing of the old class behind. The slot columns are set only for class 3:
        a ticket raised out of class 3 keeps the appointment it booked.
        """
        columns: dict[str, datetime | None] = {
            column: getattr(self, name) for name, column in _COLUMNS.items() if not name.startswith("slot_")
        }
        if self.ticket_class is TicketClass.SCHEDULED:
            columns.update(slot_start=self.slot_start, slot_end=self.slot_end)
        return columns

    def items(self) -> Iterator[tuple[str, datetime]]:
        """``(label, at)`` of each deadline that applies, in the order a ticket meets them."""
        for label in DEADLINE_LABELS:
            if (at := getattr(self, label)) is not None:
                yield label, at


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


def arrival_deadline(deadlines: Deadlines, now: datetime) -> NextDeadline | None:
    """The deadline a crew's arrival is judged against at ``now`` (R6.1 target, R6.3, R6.4 slot end).

    A class-2 target that has passed gives way to the limit, which can still be kept. ``None`` when
    the deadline is unknown (a ticket stored without one).
    """
    require_aware(now, "now")
    d = deadlines
    if d.ticket_class is TicketClass.EMERGENCY:
        return NextDeadline("onsite_target", d.onsite_target) if d.onsite_target is not None else None
    if d.ticket_class is TicketClass.URGENT:
        if d.onsite_target is not None and as_utc(now) <= as_utc(d.onsite_target):
            return NextDeadline("onsite_target", d.onsite_target)
        return NextDeadline("onsite_limit", d.onsite_limit) if d.onsite_limit is not None else None
    return NextDeadline("slot_end", d.slot_end) if d.slot_end is not None else None


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
        return arrival_deadline(d, now)
    if d.ticket_class is TicketClass.URGENT:
        assert d.dispatch_by is not None and d.onsite_target is not None and d.onsite_limit is not None
        if not dispatched:
            return NextDeadline("dispatch_by", d.dispatch_by)
        return arrival_deadline(d, now)
    assert d.slot_start is not None and d.slot_end is not None
    if as_utc(now) < as_utc(d.slot_start):
        return NextDeadline("slot_start", d.slot_start)
    return NextDeadline("slot_end", d.slot_end)
