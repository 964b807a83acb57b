"""Hotline read models: customer lookup (R4.2) and the dispatchers' class-1 alarm (R6.1)."""

from __future__ import annotations

from datetime import timedelta

from ops.db import transaction
from ops.reads.caller_lookup import lookup_customers, phone_digits, ticket_summary
from ops.reads.open_queue import class1_awaiting_departure
from ops.vocabulary import TicketClass, TicketStatus, WorkOrderStatus


def test_lookup_by_customer_number_any_case_shows_contact_and_recent_tickets(session_factory, build, t0):
    with transaction(session_factory) as db:
        customer = build.customer(customer_no="GD000042", phone="+56 9 5555 0199",
                                  emergency_contact_name="Rosa Díaz", emergency_contact_phone="+56 9 1111 2222",
                                  emergency_contact_note="daughter", lives_alone=True)
        db.add(customer)
        db.flush()
        for hours in (48, 2, 24):
            db.add(build.ticket(customer_id=customer.id, received_at=t0 - timedelta(hours=hours)))
        db.add(build.customer(customer_no="GD000043"))
    with session_factory() as db:
        cards = lookup_customers(db, " gd000042 ", recent=2)
    assert [c.customer_no for c in cards] == ["GD000042"]
    card = cards[0]
    assert card.has_emergency_contact and card.lives_alone
    assert card.emergency_contact_name == "Rosa Díaz" and card.emergency_contact_note == "daughter"
    assert [t.received_at for t in card.recent_tickets] == [t0 - timedelta(hours=2), t0 - timedelta(hours=24)]


def test_lookup_by_phone_compares_digits_and_accepts_a_missing_prefix(session_factory, build):
    with transaction(session_factory) as db:
        db.add(build.customer(customer_no="GD000001", phone="+56 9 5555 0199"))
        db.add(build.customer(customer_no="GD000002", phone="+56 (51) 221-3344"))
        db.add(build.customer(customer_no="GD000003", phone=None))
    with session_factory() as db:
        assert [c.customer_no for c in lookup_customers(db, "955550199")] == ["GD000001"]
        assert [c.customer_no for c in lookup_customers(db, "+56 9 5555-0199")] == ["GD000001"]
        assert [c.customer_no for c in lookup_customers(db, "51 221 3344")] == ["GD000002"]
        assert lookup_customers(db, "0199") == []  # too short to be anyone's number
        assert lookup_customers(db, "") == []
        assert lookup_customers(db, "GD999999") == []
    assert phone_digits("+56 (9) 5555-0199") == "56955550199"


def test_ticket_summary_has_deadlines_and_reporters(session_factory, build, t0):
    with transaction(session_factory) as db:
        ticket = build.ticket()
        db.add(ticket)
        db.flush()
        ticket_id = ticket.id
    with session_factory() as db:
        summary = ticket_summary(db, ticket_id)
        assert ticket_summary(db, ticket_id + 999) is None
    assert summary is not None
    assert summary.ticket_class == 1 and summary.deadlines.depart_by == t0 + timedelta(minutes=30)


def test_class1_alarm_lists_emergencies_until_a_crew_departs(session_factory, build, t0):
    with transaction(session_factory) as db:
        crew, crew2, crew3 = build.crew(), build.crew(), build.crew()
        waiting = build.ticket(ticket_no="WAIT", received_at=t0 - timedelta(minutes=12))
        dispatched = build.ticket(ticket_no="DISP", received_at=t0 - timedelta(minutes=5))
        departed = build.ticket(ticket_no="GONE", status=TicketStatus.EN_ROUTE)
        class2 = build.ticket(ticket_no="C2", ticket_class=TicketClass.URGENT, proposed_class=TicketClass.URGENT)
        closed = build.ticket(ticket_no="DONE", status=TicketStatus.CLOSED)
        cancelled_order = build.ticket(ticket_no="REASSIGNED", received_at=t0 - timedelta(minutes=1))
        db.add_all([crew, crew2, crew3, waiting, dispatched, departed, class2, closed, cancelled_order])
        db.add(build.work_order(dispatched, crew))
        db.add(build.work_order(departed, crew2, status=WorkOrderStatus.EN_ROUTE,
                                departed_at=t0 + timedelta(minutes=4)))
        db.add(build.work_order(cancelled_order, crew3, status=WorkOrderStatus.CANCELLED,
                                departed_at=t0 - timedelta(seconds=30), cancelled_at=t0,
                                cancel_reason="crew broke down"))
    with session_factory() as db:
        alerts = class1_awaiting_departure(db, t0)
    assert [a.ticket_no for a in alerts] == ["WAIT", "DISP", "REASSIGNED"]
    assert [a.minutes_since_report for a in alerts] == [12, 5, 1]
    assert alerts[0].crew_code is None and alerts[1].crew_code == crew.code
