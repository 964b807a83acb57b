"""R7.6 / issue 12: the top recommendation for a class 1 can always be sent, overrunning crews included.

On the demo world at several hours: every class 1 waiting for a crew (the demo's own, and a fresh one
next to every crew on site, evaluated 90 minutes on so that every crew on site has overrun its
expected time) is recommended and its top option confirmed: the crew is sent at once, or, when it is
on a job it cannot leave, the class 1 is queued first behind that job. And on a small world, a crew
on site past its expected end is given a realistic finish and says so.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from data.demo import seed_demo
from data.service_area import ServiceArea
from ops.db import make_engine, make_session_factory, transaction
from ops.expected_finish import OVERRUN_FLOOR_MINUTES, remaining_seconds
from ops.models import Ticket, WorkOrder
from ops.queries import awaiting_crew
from ops.reads.crew_queue import crew_queues
from ops.services import work_orders as wo
from ops.services.dispatching import recommend
from ops.vocabulary import CrewStatus, TicketClass, WorkOrderStatus
from optimizer.explain import english
from tests.integration.dispatch_world import NETWORK, SUPERVISOR, World
from tests.integration.test_demo import SMALL, grid_area, settings_for  # noqa: F401 - grid_area is a fixture

#: 12:00 in Santiago; +9 h is 21:00 (shift change near), +15 h is 03:00 (night crews only).
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize("hours", [0, 9, 15])
def test_r7_6_the_top_option_of_every_class1_on_the_demo_can_be_confirmed(
        tmp_path: Path, grid_area: ServiceArea, hours: int) -> None:  # noqa: F811
    now = NOW + timedelta(hours=hours)
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    seed_demo(settings_for(url), grid_area, seed=3, now=now, config=SMALL)
    later = now + timedelta(minutes=90)  # no feed: every crew still on site has overrun by then
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    try:
        with transaction(sessions) as db:
            world = World(db, later)
            sites = db.scalars(sa.select(WorkOrder).where(WorkOrder.status == WorkOrderStatus.ON_SITE)).all()
            for i, order in enumerate(sites):
                world.ticket(0, 1, received_at=later, ticket_no=f"C1-{hours}-{i}", lon=order.ticket.lon,
                             lat=order.ticket.lat)
            waiting = db.scalars(sa.select(Ticket.id).where(awaiting_crew(), Ticket.ticket_class == 1)
                                 .order_by(Ticket.id)).all()
        assert len(waiting) >= len(sites) >= 1
        overrun_seen, overrun_sent, queued = 0, 0, 0
        for ticket_id in waiting:
            with transaction(sessions) as db:
                rec = recommend(db, SUPERVISOR, ticket_id, now=later, network=grid_area.network)
                assert rec.top is not None, ticket_id
                overrun_seen += sum(1 for o in rec.options if o.overrun_s > 0)
                order = wo.confirm_dispatch(db, SUPERVISOR, ticket_id, rec.top.crew_id, rec.recommendation_id, later)
                overrun_sent += rec.top.overrun_s > 0
                if order.status is WorkOrderStatus.QUEUED:  # behind a job it may not leave, and first
                    queued += 1
                    queue = crew_queues(db, [order.crew_id])[order.crew_id]
                    assert queue.current is not None
                    assert (queue.current.status == WorkOrderStatus.ON_SITE.value
                            or queue.current.ticket_class == int(TicketClass.EMERGENCY))
                    assert all(e.ticket_class == 1 for e in queue.queued[:queue.queued.index(
                        next(e for e in queue.queued if e.order_id == order.id))])
                else:
                    assert order.status is WorkOrderStatus.DISPATCHED
        assert overrun_seen >= 1  # the crews on site were ranked with their overrun
        assert overrun_sent >= 1  # and an overrunning crew on top was confirmed (queued first behind its job)
    finally:
        engine.dispose()


def test_r7_6_an_overrunning_crew_on_site_finishes_realistically_says_so_and_is_queued_first(session_factory):
    now = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    with transaction(session_factory) as db:
        w = World(db, now - timedelta(hours=2))
        crew = w.crew(13)
        member = w.member(crew)
        job = w.ticket(14, 2, received_at=now - timedelta(hours=2))  # no_gas: 40 min expected on site
        order = wo.confirm_dispatch(db, SUPERVISOR, job.id, crew.id, None, now - timedelta(hours=2),
                                    override_reason="x")
        for step in (wo.acknowledge, wo.depart, wo.arrive):
            step(db, member, order.id, now - timedelta(minutes=100))
        behind = w.ticket(20, 3, received_at=now - timedelta(minutes=90))
        wo.confirm_dispatch(db, SUPERVISOR, behind.id, crew.id, None, now - timedelta(minutes=90), override_reason="x")
        leak = w.ticket(14, 1, received_at=now)
        rec = recommend(db, SUPERVISOR, leak.id, now=now, network=NETWORK)
        top = rec.top
        assert top.crew_id == crew.id and top.busy and not top.diverted
        over = 100 * 60 - 40 * 60  # on site 100 min of an expected 40
        assert top.overrun_s == over
        # Not "free now": it leaves when it is expected to finish, half the overrun on (no history yet).
        assert top.departure_s - rec.now_s == remaining_seconds(100 * 60, 40 * 60) == over // 2
        assert "finishing a job on site, 1 h 00 min over." in english(top.reason) == top.explanation
        sent = wo.confirm_dispatch(db, SUPERVISOR, leak.id, crew.id, rec.recommendation_id, now)
        assert sent.status is WorkOrderStatus.QUEUED and order.status is WorkOrderStatus.ON_SITE
        queue = crew_queues(db, [crew.id])[crew.id]
        assert [e.ticket_id for e in queue.entries] == [job.id, leak.id, behind.id]  # first behind the job on site
        assert crew.status is CrewStatus.ON_SITE


def test_the_expected_finish_grows_with_the_overrun_and_learns_from_history():
    assert remaining_seconds(10 * 60, 40 * 60) == 30 * 60  # still inside the estimate
    assert remaining_seconds(41 * 60, 40 * 60) == OVERRUN_FLOOR_MINUTES * 60  # just over: the floor
    assert remaining_seconds(100 * 60, 40 * 60) < remaining_seconds(160 * 60, 40 * 60)
    # Past jobs of that kind that ran 2 h or more took 150 min on average: 50 more after 100 min.
    history = [30 * 60] * 20 + [120 * 60, 150 * 60, 150 * 60, 180 * 60, 150 * 60]
    assert remaining_seconds(100 * 60, 40 * 60, history) == 50 * 60
    assert remaining_seconds(100 * 60, 40 * 60, history[:-1]) == 30 * 60  # too few such jobs: half the overrun
