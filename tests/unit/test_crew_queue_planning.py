"""R7.6 in the planner: a crew's queued orders are committed to it, in queue order, and new work comes
after them; a class 1 goes where the work-order service puts it (diverting, or first in the queue).

Same street grid as ``test_dispatch_optimizer``: an arc is 10 s, node ``r * 10 + c``.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from optimizer.dispatch import plan, recommend
from optimizer.dispatch_types import plan_from_routes
from optimizer.greedy import greedy_plan
from tests.unit.test_dispatch_optimizer import BUDGET, NOW, c1, c2, c3, crew, node, state


def queued(ticket, crew_id: int, rank: int):
    return replace(ticket, assigned_crew=crew_id, locked=True, lock_rank=rank)


@pytest.mark.parametrize("planner", ["optimizer", "greedy"])
def test_r7_6_a_crews_queue_stays_on_it_in_queue_order(planner):
    # Crew 0's queue: first the far job (rank 1), then the near one (rank 2); crew 1 stands next to both,
    # yet neither is moved to it, nor are they reordered to save driving.
    far, near = queued(c2(1, node(0, 9)), 0, 1), queued(c2(2, node(0, 1)), 0, 2)
    s = state([crew(0, node(0, 0)), crew(1, node(0, 2))], [near, far, c2(3, node(5, 5))])
    p = plan(s, BUDGET) if planner == "optimizer" else greedy_plan(s)
    assert p.route_ids()[0][:2] == [1, 2]
    assert p.assignment()[3] in (0, 1)


def test_r7_6_new_class2_work_goes_after_a_crews_queue():
    s = state([crew(0, node(0, 0), current=1)],
              [queued(c2(1, node(0, 5)), 0, 0), queued(c3(2, node(0, 9)), 0, 1)])
    current = plan_from_routes(s, {0: [1, 2]})
    [option] = recommend(c2(5, node(0, 1)), s, k=1, current=current).options
    assert option.depart_s == current.routes[0][-1].end_s and not option.displaced


def test_r7_6_a_class1_for_a_crew_on_site_goes_first_in_its_queue():
    # On site for another 20 min with two class-2/3 jobs queued: the class 1 goes right after the job on site.
    s = state([crew(0, node(0, 0), busy=1200)],
              [queued(c2(1, node(0, 5)), 0, 1), queued(c3(2, node(0, 9), slot_in_min=300), 0, 2)])
    current = plan_from_routes(s, {0: [1, 2]})
    [option] = recommend(c1(5, node(0, 1)), s, k=1, current=current).options
    assert option.depart_s == NOW + 1200 and option.eta_s == NOW + 1210 and not option.diverted
    assert [d.ticket_id for d in option.displaced][:1] == [1]


def test_r7_6_a_class1_diverts_a_crew_before_its_current_job_and_its_queue_but_not_another_class1():
    s = state([crew(0, node(0, 0), interruptible=True, current=1)],
              [queued(c2(1, node(0, 5)), 0, 0), queued(c3(2, node(0, 9), slot_in_min=300), 0, 1)])
    current = plan_from_routes(s, {0: [1, 2]})
    [option] = recommend(c1(5, node(0, 1)), s, k=1, current=current).options
    assert option.diverted and option.eta_s == NOW + 10
    # A crew on its way to a class 1 keeps it; a new class 1 comes right after it, before the queue.
    s = state([crew(0, node(0, 0), current=1)],
              [queued(c1(1, node(0, 5)), 0, 0), queued(c2(2, node(0, 9)), 0, 1)])
    current = plan_from_routes(s, {0: [1, 2]})
    [option] = recommend(c1(5, node(0, 6)), s, k=1, current=current).options
    assert not option.diverted and option.depart_s == current.routes[0][0].end_s
    assert option.eta_s < current.routes[0][1].eta_s + 10
