"""Crew work queues (R7.6) on a real database: queueing, promotion, diversion, moves and races."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ops import unit_of_work
from ops.db import transaction
from ops.errors import ConflictError, NotFoundError, ServiceError
from ops.models import QUEUE_RANK_GAP, AuditEvent, Crew, PlanInForce, Ticket, WorkOrder
from ops.permissions import PermissionDenied
from ops.queue_ranks import queued_orders, rank_at
from ops.reads.crew_queue import crew_queues
from ops.scheduler import run_escalations
from ops.services import work_orders as wo
from ops.services.queue import move_order
from ops.vocabulary import CrewStatus, TicketStatus, WorkOrderStatus
from tests.integration.dispatch_world import NETWORK, SUPERVISOR, World

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
Q, D = WorkOrderStatus.QUEUED, WorkOrderStatus.DISPATCHED
REPAIR = wo.RepairIn(cause="worn seal", measures="replaced the seal", parts=[{"code": "SEAL-KIT", "qty": 1}],
                     result="fixed", customer_name="Ana Rojas", customer_confirmed=True, safety_advice_given=True,
                     gas_restored_after_check=True)


def at(m: float) -> datetime:
    return NOW + timedelta(minutes=m)


@pytest.fixture
def world(session_factory):
    with transaction(session_factory) as db:
        yield World(db, NOW)


def send(world, ticket, crew, m: float = 0, **kw) -> WorkOrder:
    return wo.confirm_dispatch(world.db, SUPERVISOR, ticket.id, crew.id, None, at(m), override_reason="by hand", **kw)


def queue_of(world, crew) -> list[int]:
    """The crew's order ids as it takes them: the current one, then the queue."""
    q = crew_queues(world.db, [crew.id])[crew.id]
    return [e.order_id for e in q.entries]


def on_site(world, crew, order, m: float) -> None:
    member = world.member(crew)
    for step in (wo.acknowledge, wo.depart, wo.arrive):
        step(world.db, member, order.id, at(m))


# ----------------------------------------------------------------------------- queueing and promotion
def test_r7_6_a_busy_crew_gets_the_order_queued_and_it_counts_as_dispatched_at_confirmation(world):
    crew = world.crew(13)
    first = send(world, world.ticket(14, 2), crew)
    t2 = world.ticket(20, 2)
    second = send(world, t2, crew, 5)
    assert (first.status, second.status) == (D, Q)
    assert second.dispatched_at == at(5) and second.current_since is None and second.queue_rank is not None
    assert first.current_since == at(0) and first.queue_rank is None
    assert t2.status is TicketStatus.DISPATCHED  # R6.3/R14.1: dispatched when confirmed
    assert crew.status is CrewStatus.DISPATCHED
    assert queue_of(world, crew) == [first.id, second.id]


def test_r7_6_positions_plan_in_force_and_the_end(world):
    crew = world.crew(13)
    current = send(world, world.ticket(14, 2), crew)
    a = send(world, world.ticket(20, 2), crew)             # the end
    b = send(world, world.ticket(21, 2), crew)             # the end
    c = send(world, world.ticket(22, 3), crew, position=1)  # next
    assert queue_of(world, crew) == [current.id, c.id, a.id, b.id]
    # No position given: where the plan in force routes the ticket among the queued ones.
    t = world.ticket(23, 2)
    world.db.add(PlanInForce(created_at=NOW, source="test", used_fallback=False, routes={
        str(crew.id): [{"ticket_id": tid} for tid in (current.ticket_id, c.ticket_id, t.id, a.ticket_id)]}))
    world.db.flush()
    d = send(world, t, crew, 1)
    assert queue_of(world, crew) == [current.id, c.id, d.id, a.id, b.id]
    with pytest.raises(ServiceError) as err:
        send(world, world.ticket(24, 2), crew, position=0)
    assert (err.value.code, err.value.field) == ("queue.position", "position")


def test_r7_6_a_queued_order_becomes_current_when_the_previous_one_ends(world):
    crew = world.crew(13)
    first = send(world, world.ticket(14, 2), crew)
    second = send(world, world.ticket(20, 3), crew, 1)
    third = send(world, world.ticket(21, 2), crew, 2)
    on_site(world, crew, first, 10)
    wo.complete(world.db, world.member(crew), first.id, REPAIR, at(50))
    assert (second.status, second.current_since, second.queue_rank) == (D, at(50), None)
    assert second.dispatched_at == at(1)  # still dispatched at its confirmation
    assert third.status is Q and crew.status is CrewStatus.DISPATCHED
    promote = world.db.scalar(sa.select(AuditEvent).where(AuditEvent.action == "order.promote"))
    assert promote.entity_id == str(second.id) and promote.before["status"] == "queued"
    # Not fixed ends the current order too: the next one follows.
    on_site(world, crew, second, 55)
    wo.not_fixed(world.db, world.member(crew), second.id, "part out of stock", at(70))
    assert third.status is D and third.current_since == at(70)
    on_site(world, crew, third, 75)
    wo.complete(world.db, world.member(crew), third.id, REPAIR, at(90))
    assert crew.status is CrewStatus.AVAILABLE and queue_of(world, crew) == []


def test_r7_6_cancelling_the_current_order_promotes_the_next_and_cancelling_a_queued_one_just_cancels_it(world):
    crew = world.crew(13)
    first = send(world, world.ticket(14, 2), crew)
    second = send(world, world.ticket(20, 2), crew, 1)
    third = send(world, world.ticket(21, 3), crew, 2)
    wo.cancel(world.db, SUPERVISOR, third.id, "customer is away", at(3))
    assert third.status is WorkOrderStatus.CANCELLED and third.queue_rank is None
    assert third.ticket.status is TicketStatus.NEW  # back to new: a dispatcher must send someone
    assert first.status is D and crew.status is CrewStatus.DISPATCHED  # the crew is untouched
    wo.cancel(world.db, SUPERVISOR, first.id, "van broke down", at(4))
    assert (second.status, second.current_since) == (D, at(4))
    assert queue_of(world, crew) == [second.id]
    # Reassigning the current order away promotes the next too (here: nothing left, the crew is free).
    other = world.crew(35)
    moved = wo.reassign(world.db, SUPERVISOR, second.id, other.id, "closer crew", at(5))
    assert moved.crew_id == other.id and crew.status is CrewStatus.AVAILABLE


def test_r7_2_the_acknowledgement_clock_runs_from_promotion_not_from_confirmation(world):
    crew = world.crew(13)
    first = send(world, world.ticket(14, 2), crew)
    second = send(world, world.ticket(20, 2), crew, 2)
    on_site(world, crew, first, 1)
    assert run_escalations(world.db, at(40), NETWORK).escalated == []  # queued 38 min: no R7.2 clock yet
    wo.complete(world.db, world.member(crew), first.id, REPAIR, at(60))
    assert run_escalations(world.db, at(69), NETWORK).escalated == []
    assert run_escalations(world.db, at(71), NETWORK).escalated == [second.id]


# ----------------------------------------------------------------------------- class 1 (R7.6)
def test_r7_6_a_class1_diverting_a_crew_keeps_its_queue_intact_behind_the_class1(world):
    crew = world.crew(13)
    current = send(world, world.ticket(14, 2), crew)
    wo.acknowledge(world.db, world.member(crew), current.id, at(1))
    wo.depart(world.db, world.member(crew), current.id, at(2))
    a = send(world, world.ticket(20, 3), crew, 3)
    b = send(world, world.ticket(21, 2), crew, 4)
    leak = send(world, world.ticket(15, 1), crew, 5)
    assert leak.status is D and leak.current_since == at(5)
    assert current.status is Q and (current.acknowledged_at, current.departed_at) == (None, None)
    assert queue_of(world, crew) == [leak.id, current.id, a.id, b.id]  # the diverted job heads the queue
    assert current.ticket.status is TicketStatus.DISPATCHED and crew.status is CrewStatus.DISPATCHED


def test_r7_6_a_class1_for_a_crew_on_site_is_queued_first_never_pulling_it_off(world):
    crew = world.crew(13)
    current = send(world, world.ticket(14, 2), crew)
    a = send(world, world.ticket(20, 3), crew, 1)
    on_site(world, crew, current, 10)
    leak = send(world, world.ticket(15, 1), crew, 12)
    assert current.status is WorkOrderStatus.ON_SITE and leak.status is Q
    assert queue_of(world, crew) == [current.id, leak.id, a.id]
    assert crew.status is CrewStatus.ON_SITE


# ----------------------------------------------------------------------------- moves
def test_move_within_the_queue_to_another_crew_and_back_to_unassigned(world):
    crew, other = world.crew(13), world.crew(35)
    current = send(world, world.ticket(14, 2), crew)
    a = send(world, world.ticket(20, 2), crew, 1)
    b = send(world, world.ticket(21, 2), crew, 2)
    c = send(world, world.ticket(22, 3), crew, 3)
    assert move_order(world.db, SUPERVISOR, c.id, at(4), crew_id=crew.id, position=1, reason=None) is c
    assert queue_of(world, crew) == [current.id, c.id, a.id, b.id]
    with pytest.raises(ServiceError) as err:  # to a crew other than the recommended one: a reason
        move_order(world.db, SUPERVISOR, a.id, at(5), crew_id=other.id, position=None, reason=" ")
    assert err.value.field == "reason"
    moved = move_order(world.db, SUPERVISOR, a.id, at(5), crew_id=other.id, position=None, reason="closer")
    assert a.status is WorkOrderStatus.CANCELLED and moved.crew_id == other.id and moved.status is D
    assert queue_of(world, crew) == [current.id, c.id, b.id] and other.status is CrewStatus.DISPATCHED
    with pytest.raises(ServiceError):
        move_order(world.db, SUPERVISOR, b.id, at(6), crew_id=None, position=None, reason=None)
    assert move_order(world.db, SUPERVISOR, b.id, at(6), crew_id=None, position=None, reason="customer away") \
        is None
    assert b.ticket.status is TicketStatus.NEW
    # The current order back into its queue (not yet on site): the next one becomes current.
    move_order(world.db, SUPERVISOR, current.id, at(7), crew_id=crew.id, position=1, reason="parts first")
    assert queue_of(world, crew) == [c.id, current.id] and c.current_since == at(7)
    actions = world.db.scalars(sa.select(AuditEvent.action).where(AuditEvent.action == "order.move")).all()
    assert len(actions) == 4 + 1  # within, to another crew (old + new order), unassign, back into the queue


def test_move_refuses_what_the_rules_forbid(world):
    crew, other = world.crew(13), world.crew(35)
    current = send(world, world.ticket(14, 2), crew)
    on_site(world, crew, current, 5)
    with pytest.raises(ConflictError) as err:  # a crew on site is never pulled off
        move_order(world.db, SUPERVISOR, current.id, at(6), crew_id=other.id, position=None, reason="x")
    assert err.value.code == "order.wrong_step"
    with pytest.raises(PermissionDenied):
        move_order(world.db, world.member(crew), current.id, at(6), crew_id=None, position=None, reason="x")
    with pytest.raises(NotFoundError):
        move_order(world.db, SUPERVISOR, current.id, at(6), crew_id=99_999, position=None, reason="x")
    with pytest.raises(ConflictError) as err:
        move_order(world.db, SUPERVISOR, current.id, at(6), crew_id=crew.id, position=1, reason="x", version=0)
    assert err.value.field == "version"


def test_ranks_are_renumbered_when_two_neighbours_leave_no_room(world):
    crew = world.crew(13)
    send(world, world.ticket(14, 2), crew)
    orders = [send(world, world.ticket(20 + i, 2), crew, i + 1) for i in range(3)]
    orders[0].queue_rank, orders[1].queue_rank, orders[2].queue_rank = 5, 6, 7  # no room between 5 and 6
    world.db.flush()
    rank = rank_at(world.db, crew.id, 1)
    ranks = [o.queue_rank for o in queued_orders(world.db, crew.id)]
    assert ranks == [0, QUEUE_RANK_GAP, 2 * QUEUE_RANK_GAP] and ranks[0] < rank < ranks[1]
    inserted = send(world, world.ticket(30, 2), crew, 9, position=2)
    assert [o.id for o in queued_orders(world.db, crew.id)] == [orders[0].id, inserted.id, orders[1].id, orders[2].id]


def test_crew_queues_reads_every_crew_in_one_query(world, engine):
    crews = [world.crew(13), world.crew(35), world.crew(0)]
    for i, crew in enumerate(crews[:2]):
        for j in range(3):
            send(world, world.ticket(14 + j + 5 * i, 3 if j == 2 else 2), crew, j)
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        queues = crew_queues(world.db)
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    q = queues[crews[0].id]
    assert q.current.position == 0 and [e.position for e in q.queued] == [1, 2]
    scheduled = q.queued[1]
    assert scheduled.ticket_class == 3 and scheduled.window_end == scheduled.deadline is not None
    assert queues[crews[2].id].current is None and queues[crews[2].id].entries == ()


# ----------------------------------------------------------------------------- races (two sessions)
#: Where the second confirmation has to wait for the first's transaction: SQLite queues writers at
#: ``BEGIN IMMEDIATE``; PostgreSQL lets it read (not seeing the first's rows) and write until then.
BLOCKED_BY_THE_FIRST = ("BEGIN IMMEDIATE", "UPDATE tickets", "INSERT INTO work_orders")


def _race(session_factory, engine, first, second) -> dict[str, object]:
    """``first`` runs in a transaction held open until ``second`` (another thread, another session,
    through ``unit_of_work.run`` as every entry point) is about to send the statement that must wait
    for it; then the first commits. A barrier, not a sleep, makes the two overlap every time."""
    barrier = threading.Barrier(2, timeout=10)
    outcome: dict[str, object] = {}
    racer: list[threading.Thread] = []

    def meet_the_first(conn, cursor, statement, parameters, context, executemany) -> None:
        if threading.current_thread() in racer and "at_barrier" not in outcome \
                and statement.lstrip().startswith(BLOCKED_BY_THE_FIRST):
            outcome["at_barrier"] = statement.lstrip()[:23]
            barrier.wait()

    def run_second() -> None:
        try:
            order = unit_of_work.run(session_factory, second)
            outcome["second"] = (order.status, order.queue_rank)
        except ConflictError as exc:
            outcome["conflict"] = (exc.code, exc.field)
        except threading.BrokenBarrierError:
            outcome["error"] = "the first gave up waiting"

    sa.event.listen(engine, "before_cursor_execute", meet_the_first)
    try:
        with transaction(session_factory) as db:
            order = first(db)
            outcome["first"] = (order.status, order.queue_rank)
            racer.append(threading.Thread(target=run_second))
            racer[0].start()
            barrier.wait()
        racer[0].join(10)
    finally:
        sa.event.remove(engine, "before_cursor_execute", meet_the_first)
    assert not racer[0].is_alive()
    return outcome


def _setup(session_factory, classes: tuple[int, ...], *, busy: bool) -> dict[str, int]:
    with transaction(session_factory) as db:
        w = World(db, NOW)
        crew, other = w.crew(13), w.crew(35)
        ids = {"crew": crew.id, "other": other.id}
        if busy:
            current = wo.confirm_dispatch(db, SUPERVISOR, w.ticket(14, 2).id, crew.id, None, NOW,
                                          override_reason="x")
            ids["current"] = current.id
            ids["queued"] = wo.confirm_dispatch(db, SUPERVISOR, w.ticket(15, 2).id, crew.id, None, NOW,
                                                override_reason="x").id
        for i, cls in enumerate(classes):
            ids[f"t{i}"] = w.ticket(20 + i, cls).id
    return ids


def _confirm(ticket_id: int, crew_id: int, **kw):
    return lambda db: wo.confirm_dispatch(db, SUPERVISOR, ticket_id, crew_id, None, at(1), override_reason="x",
                                          **kw)


def test_two_confirmations_racing_for_one_place_in_a_crews_queue(session_factory, engine, backend):
    ids = _setup(session_factory, (2, 2), busy=True)
    outcome = _race(session_factory, engine, _confirm(ids["t0"], ids["crew"], position=1),
                    _confirm(ids["t1"], ids["crew"], position=1))
    assert "error" not in outcome, outcome
    with session_factory() as db:
        queue = [(o.ticket_id, o.queue_rank) for o in queued_orders(db, ids["crew"])]
        ranks = [r for _, r in queue]
        assert len(set(ranks)) == len(ranks)  # never two orders on one place
        already = db.get(WorkOrder, ids["queued"]).ticket_id
    if backend == "postgresql":  # both read the same queue: the index refuses the second
        assert outcome["conflict"] == ("conflict", "status"), outcome
        assert [t for t, _ in queue] == [ids["t0"], already]
    else:  # SQLite: the second queued behind the first's transaction, then took place 1 itself
        assert outcome["at_barrier"].startswith("BEGIN IMMEDIATE") and "second" in outcome, outcome
        assert [t for t, _ in queue][:2] == [ids["t1"], ids["t0"]]


def test_two_confirmations_racing_for_one_ticket_one_succeeds_one_is_refused(session_factory, engine, backend):
    ids = _setup(session_factory, (2,), busy=False)
    outcome = _race(session_factory, engine, _confirm(ids["t0"], ids["crew"]), _confirm(ids["t0"], ids["other"]))
    assert outcome["first"][0] is D, outcome
    code = outcome["conflict"][0]  # type: ignore[index]
    # PostgreSQL: the unique index (or the ticket's version) refuses the second write; SQLite: the second
    # waited, then found the ticket no longer waiting for a crew.
    assert code == ("conflict" if backend == "postgresql" else "ticket.not_waiting"), outcome
    with session_factory() as db:
        orders = db.scalars(sa.select(WorkOrder).where(WorkOrder.ticket_id == ids["t0"])).all()
        assert [(o.crew_id, o.status) for o in orders] == [(ids["crew"], D)]
        assert db.get(Crew, ids["other"]).status is CrewStatus.AVAILABLE


def test_two_confirmations_racing_for_a_free_crew_never_give_it_two_current_orders(
        session_factory, engine, backend):
    ids = _setup(session_factory, (2, 3), busy=False)
    outcome = _race(session_factory, engine, _confirm(ids["t0"], ids["crew"]), _confirm(ids["t1"], ids["crew"]))
    with session_factory() as db:
        statuses = sorted(o.status for o in db.scalars(sa.select(WorkOrder).where(WorkOrder.crew_id == ids["crew"])))
        t1 = db.get(Ticket, ids["t1"])
    if backend == "postgresql":
        assert outcome["conflict"] == ("conflict", "status") and statuses == [D], outcome
        assert t1.status is TicketStatus.NEW
    else:  # serialised: the second finds the crew busy and queues behind the first
        assert outcome["second"][0] is Q and statuses == sorted([D, Q]), outcome


def test_a_move_to_another_crew_keeps_the_recommendation_the_order_was_confirmed_against(world):
    """R13.1: the new order keeps what the system recommended; moved to that crew it is recorded as
    followed, to any other crew as an override with the move's reason."""
    from ops.services.dispatching import recommend

    near, far = world.crew(0), world.crew(35)
    ticket = world.ticket(1, 2)
    rec = recommend(world.db, SUPERVISOR, ticket.id, 2, now=NOW, network=NETWORK)
    assert rec.top.crew_id == near.id
    first = wo.confirm_dispatch(world.db, SUPERVISOR, ticket.id, far.id, rec.recommendation_id, NOW,
                                override_reason="far crew asked for it")
    back = move_order(world.db, SUPERVISOR, first.id, at(1), crew_id=near.id, position=None,
                      reason="the near crew is free")  # a current order: the move itself needs a reason
    assert back.recommended_crew_id == near.id and back.recommendation["decision"] == "followed"
    assert back.recommendation["recommendation_id"] == rec.recommendation_id and back.override_reason is None
    again = move_order(world.db, SUPERVISOR, back.id, at(2), crew_id=far.id, position=None, reason="swap")
    assert again.recommendation["decision"] == "override" and again.override_reason == "swap"
