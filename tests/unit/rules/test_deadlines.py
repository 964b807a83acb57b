"""R6.1, R6.3, R6.4 deadlines and the next deadline the map counts down to.

Each test is named after the RULES.md rule it checks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from ops.rules import Deadlines, NextDeadline, arrival_deadline, deadlines_for, next_deadline
from tests.unit.rules.common import C1, C2, C3, DEFAULTS, SANTIAGO, T0


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
    assert next_deadline(d, T0) == NextDeadline("slot_start", start)
    assert next_deadline(d, start + timedelta(minutes=1)) == NextDeadline("slot_end", end)


def test_r6_next_deadline_time_left_is_elapsed_time_across_dst():
    received = datetime(2026, 9, 5, 23, 0, tzinfo=SANTIAGO)
    d = deadlines_for(C2, received, rules=DEFAULTS)
    nd = next_deadline(d, received)
    assert nd.time_left(received) == timedelta(hours=2)


# ----------------------------------------------------------------------------- stored on the ticket
def _stored(d: Deadlines, **extra: object) -> SimpleNamespace:
    """A ticket row as the board selects it: the columns ``to_columns`` wrote, nothing else."""
    columns = {"slot_start": None, "slot_end": None, **d.to_columns(), **extra}
    return SimpleNamespace(ticket_class=int(d.ticket_class), received_at=d.received_at, **columns)


@pytest.mark.parametrize("cls", [C1, C2, C3])
def test_r6_deadlines_read_back_from_the_columns_equal_the_ones_computed_at_intake(cls):
    start, end = T0 + timedelta(days=1), T0 + timedelta(days=1, hours=2)
    d = deadlines_for(cls, T0, slot_start=start, slot_end=end, rules=DEFAULTS)
    assert Deadlines.from_ticket(_stored(d)) == d


def test_r6_columns_hold_one_meaning_each():
    start, end = T0 + timedelta(days=1), T0 + timedelta(days=1, hours=2)
    c2 = deadlines_for(C2, T0, rules=DEFAULTS).to_columns()
    assert c2 == {"depart_deadline": None, "dispatch_deadline": T0 + timedelta(hours=2),
                  "onsite_target": T0 + timedelta(hours=4), "onsite_limit": T0 + timedelta(hours=8)}
    c3 = deadlines_for(C3, T0, slot_start=start, slot_end=end, rules=DEFAULTS).to_columns()
    assert c3 == {"depart_deadline": None, "dispatch_deadline": None, "onsite_target": None,
                  "onsite_limit": None, "slot_start": start, "slot_end": end}  # class 3 has no limit: its slot end is the deadline


def test_r6_4_a_ticket_raised_out_of_class3_keeps_its_slot_columns_but_not_as_deadlines():
    start, end = T0 + timedelta(days=1), T0 + timedelta(days=1, hours=2)
    d = deadlines_for(C2, T0, rules=DEFAULTS)
    assert "slot_start" not in d.to_columns()  # writing a class-2 raise leaves the booked slot alone
    assert Deadlines.from_ticket(_stored(d, slot_start=start, slot_end=end)) == d


def test_r6_from_ticket_ignores_columns_of_another_class():
    d = deadlines_for(C1, T0, rules=DEFAULTS)
    stray = _stored(d, onsite_limit=T0 + timedelta(hours=8), dispatch_deadline=T0)
    assert Deadlines.from_ticket(stray) == d


def test_r6_items_in_the_order_a_ticket_meets_them():
    assert [label for label, _ in deadlines_for(C2, T0, rules=DEFAULTS).items()] == [
        "dispatch_by", "onsite_target", "onsite_limit"]
    start, end = T0 + timedelta(days=1), T0 + timedelta(days=1, hours=2)
    assert list(deadlines_for(C3, T0, slot_start=start, slot_end=end, rules=DEFAULTS).items()) == [
        ("slot_start", start), ("slot_end", end)]


def test_r6_arrival_deadline_by_class():
    start, end = T0 + timedelta(days=1), T0 + timedelta(days=1, hours=2)
    c1 = deadlines_for(C1, T0, rules=DEFAULTS)
    assert arrival_deadline(c1, T0) == NextDeadline("onsite_target", T0 + timedelta(minutes=60))
    c2 = deadlines_for(C2, T0, rules=DEFAULTS)
    assert arrival_deadline(c2, T0 + timedelta(hours=4)) == NextDeadline("onsite_target", T0 + timedelta(hours=4))
    assert arrival_deadline(c2, T0 + timedelta(hours=5)) == NextDeadline("onsite_limit", T0 + timedelta(hours=8))
    c3 = deadlines_for(C3, T0, slot_start=start, slot_end=end, rules=DEFAULTS)
    assert arrival_deadline(c3, T0) == NextDeadline("slot_end", end)  # early is fine, late is not
    assert arrival_deadline(Deadlines(C1, T0), T0) is None  # a ticket stored without its deadlines
