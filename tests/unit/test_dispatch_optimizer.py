"""Dispatch optimizer: hand-checked cases on a street grid, properties, fallback and int64 headroom.

On ``grid_network`` an arc is 100 m at 36 km/h = 10 s, so node ``r * cols + c`` is
``10 * (|dr| + |dc|)`` seconds from another: the right answers can be worked out by hand.
"""

from __future__ import annotations

import os
import time

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from optimizer import dispatch, routing_model
from optimizer.dispatch import build_problem, plan, recommend
from optimizer.dispatch_types import (
    CrewState,
    DispatchState,
    NetworkTravel,
    objective_headroom,
)
from optimizer.greedy import greedy_plan
from optimizer.network import grid_network
from optimizer.snapshots import make_ticket

NOW = 100_000
COLS = 10
GRID = grid_network(10, COLS)
TRAVEL = NetworkTravel(GRID)
EMER = frozenset({"emergency"})
ALL = frozenset({"emergency", "meter", "install"})


def node(r: int, c: int) -> int:
    return r * COLS + c


def crew(cid: int, at: int, *, busy: int = 0, shift_h: float = 8, skills=ALL, interruptible=False,
         current=None) -> CrewState:
    return CrewState(cid, at, NOW + busy, NOW + int(shift_h * 3600), skills, interruptible, current)


def state(crews, tickets) -> DispatchState:
    return DispatchState(NOW, None, tuple(crews), tuple(tickets), TRAVEL)


def c1(tid: int, at: int, *, ago_min: int = 0, **kw):
    return make_ticket(tid, 1, at, NOW - ago_min * 60, service_s=1800, required_skill="emergency", **kw)


def c2(tid: int, at: int, *, ago_min: int = 0, **kw):
    return make_ticket(tid, 2, at, NOW - ago_min * 60, service_s=1200, kind="meter job", **kw)


def c3(tid: int, at: int, *, slot_in_min: int = 0, **kw):
    return make_ticket(tid, 3, at, NOW - 86_400, service_s=1800, slot_start_s=NOW + slot_in_min * 60,
                       kind="installation", **kw)


BUDGET = 1.5


# ----------------------------------------------------------------------------- hand-checked
@pytest.mark.parametrize("planner", ["optimizer", "greedy"])
def test_class1_goes_to_the_nearest_free_skilled_crew(planner):
    # Crew 2 stands closest but has no emergency skill; crew 0 is 20 s away, crew 1 is 170 s away.
    s = state([crew(0, node(0, 0)), crew(1, node(9, 9)), crew(2, node(0, 1), skills=frozenset({"meter"}))],
              [c1(1, node(0, 2))])
    p = plan(s, BUDGET) if planner == "optimizer" else greedy_plan(s)
    assert p.assignment() == {1: 0}
    assert p.class1[1].departs_in_time and p.class1[1].arrival_s == NOW + 20
    assert not p.alarms


def test_two_emergencies_get_the_crews_with_the_least_total_arrival_not_the_nearest_first():
    # Ticket 1 (older) at (0, 4), ticket 2 at (0, 1); crews at (0, 0) and (0, 9). Nearest-first gives
    # ticket 1 crew 0 (40 s) and ticket 2 crew 1 (80 s); the optimum swaps them: 50 s + 10 s.
    s = state([crew(0, node(0, 0)), crew(1, node(0, 9))],
              [c1(1, node(0, 4), ago_min=2), c1(2, node(0, 1), ago_min=1)])
    assert greedy_plan(s).assignment() == {1: 0, 2: 1}
    p = plan(s, BUDGET)
    assert p.assignment() == {1: 1, 2: 0}
    assert (p.class1[1].arrival_s, p.class1[2].arrival_s) == (NOW + 50, NOW + 10)


def test_crew_en_route_to_class3_is_diverted_to_a_new_class1_and_the_class3_is_replanned():
    job3 = c3(1, node(0, 9), slot_in_min=60, assigned_crew=0)
    s = state([crew(0, node(0, 0), interruptible=True, current=1), crew(1, node(9, 9))],
              [job3, c1(2, node(0, 1))])
    p = plan(s, BUDGET)
    assert p.route_ids()[0][0] == 2  # the class 1 first, 10 s away
    assert 1 in p.assignment()       # the class 3 is still planned, by someone
    assert not p.dropped
    rec = recommend(c1(3, node(0, 2)), s, current=greedy_plan(state(s.crews, [job3])))
    top = rec.options[0]
    assert top.crew_id == 0 and top.diverted
    assert "diverting it delays a class-3 job (installation)" in top.explanation or not top.displaced


def test_on_site_crew_is_never_diverted():
    # Crew 0 is on site next door for another hour; crew 1 is 170 s away and free.
    s = state([crew(0, node(0, 0), busy=3600), crew(1, node(9, 9))], [c1(1, node(0, 1))])
    p = plan(s, BUDGET)
    assert p.assignment() == {1: 1}
    assert all(j.depart_s >= NOW + 3600 for j in p.routes[0])


def test_crew_en_route_to_a_class1_keeps_it_first():
    locked = c1(1, node(9, 9), ago_min=5, assigned_crew=0, locked=True)
    s = state([crew(0, node(0, 0), current=1), crew(1, node(5, 5))], [locked, c1(2, node(0, 1))])
    p = plan(s, BUDGET)
    assert p.route_ids()[0][0] == 1
    assert p.routes[0][0].locked


def test_skills_and_shift_ends_are_respected():
    # Crew 0 is nearest but lacks the meter skill; crew 1 has it but its shift ends in 10 min.
    meter = make_ticket(1, 2, node(0, 1), NOW, service_s=1200, required_skill="meter", kind="meter job")
    s = state([crew(0, node(0, 0), skills=EMER), crew(1, node(0, 2), shift_h=10 / 60),
               crew(2, node(9, 9))], [meter])
    for p in (plan(s, BUDGET), greedy_plan(s)):
        assert p.assignment() == {1: 2}


def test_ticket_nobody_can_serve_is_dropped_with_a_reason():
    t = make_ticket(1, 2, node(0, 1), NOW, service_s=1200, required_skill="welding")
    p = plan(state([crew(0, node(0, 0))], [t]), BUDGET)
    assert p.dropped and "welding" in p.dropped[0].reason


def test_late_class1_is_still_served_and_flagged():
    # Reported 40 min ago: departing within 30 min is already impossible, but it must be served.
    s = state([crew(0, node(0, 0))], [c1(1, node(0, 3), ago_min=40), c2(2, node(0, 1))])
    p = plan(s, BUDGET)
    assert p.route_ids()[0][0] == 1
    assert not p.class1[1].departs_in_time
    assert p.class1[1].alarm and p.alarms


def test_fallback_answers_fast_when_the_solver_fails(monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(routing_model, "solve", boom)
    s = state([crew(0, node(0, 0)), crew(1, node(9, 9))], [c1(1, node(0, 2)), c2(2, node(5, 5))])
    t0 = time.perf_counter()
    p = plan(s, 5.0)
    # Well before the 5-s budget (the spec's "within 1 s"; 2 s leaves room for a loaded CI machine).
    assert time.perf_counter() - t0 < 2.0
    assert p.used_fallback and "solver crashed" in p.note
    assert set(p.assignment()) == {1, 2}


def test_fallback_when_the_solver_finds_no_plan(monkeypatch):
    monkeypatch.setattr(routing_model, "solve", lambda *a, **k: routing_model.RoutingSolution(
        [[]], {}, [], 0, routing_model.SolveStatus.TIMEOUT, 0.1))
    p = plan(state([crew(0, node(0, 0))], [c2(1, node(0, 1))]), 2.0)
    assert p.used_fallback and "timeout" in p.note and p.assignment() == {1: 0}


def test_recommend_explains_a_closer_crew_that_would_delay_work():
    # Crew 0 is 10 s from the leak but driving to an installation, then a class-2 meter job already
    # 7 h 50 min old; diverting it pushes the meter job past its 8-h limit. Crew 1 is free, 50 s away.
    job3 = c3(1, node(0, 9), slot_in_min=0, assigned_crew=0)
    urgent2 = c2(2, node(0, 8), ago_min=470)
    s = state([crew(0, node(0, 0), interruptible=True, current=1), crew(1, node(0, 6))], [job3, urgent2])
    rec = recommend(c1(9, node(0, 1)), s, k=2, current=plan_with(s, {0: [1, 2], 1: []}))
    assert [o.crew_id for o in rec.options] == [1, 0]
    best, closer = rec.options
    assert best.cost_delta == 0 and not best.displaced and best.eta_s == NOW + 50
    assert "delaying no other work" in best.explanation
    assert closer.cost_delta > 0 and closer.diverted
    assert {d.ticket_id: d.delay_s for d in closer.displaced} == {1: 1800, 2: 1800}
    assert closer.explanation == ("Crew 0 arrives 1 min sooner, but diverting it delays a class-2 job (meter job) "
                                  "by 30 min (and 1 more).")
    # The sentence is rendered from the structured reason the panel translates.
    assert best.reason.kind == "best_leaves_now" and best.reason.values == {"crew": "Crew 1", "eta_s": 50}
    assert closer.reason.to_json() == {"kind": "sooner_but_costlier", "crew": "Crew 0", "gain_s": 40,
                                       "delay_s": 1800, "delayed_class": 2, "delayed_job": "meter job",
                                       "delayed_more": 1, "diverting": True}


def test_recommend_never_puts_class_2_or_3_work_before_the_order_a_crew_is_on():
    # Crew 0 is on its way to a class 3 and passes right by a new class 2: only a class 1 may divert it,
    # so the class 2 can go only after the class 3 (the work-order service would refuse the rest).
    s = state([crew(0, node(0, 0), interruptible=True, current=1)], [c3(1, node(0, 9), assigned_crew=0)])
    current = plan_with(s, {0: [1]})
    [option] = recommend(c2(5, node(0, 1)), s, k=1, current=current).options
    assert option.eta_s > current.routes[0][0].end_s and not option.displaced and not option.diverted
    [diverts] = recommend(c1(6, node(0, 1)), s, k=1, current=current).options
    assert diverts.diverted and diverts.eta_s == NOW + 10


def plan_with(s, routes):
    from optimizer.dispatch_types import plan_from_routes

    return plan_from_routes(s, routes)


# ----------------------------------------------------------------------------- headroom
def test_objective_has_int64_headroom_at_100_crews_and_500_tickets():
    grid = grid_network(30, 30)
    crews = [CrewState(i, (i * 7) % 900, NOW, NOW + 12 * 3600, ALL, False, None) for i in range(100)]
    tickets = []
    for i in range(500):
        k = 1 + i % 3
        tickets.append(make_ticket(i + 1, k, (i * 13) % 900, NOW - 600, service_s=3600,
                                   slot_start_s=NOW + 3600 if k == 3 else None))
    s = DispatchState(NOW, None, tuple(crews), tuple(tickets), NetworkTravel(grid))
    problem = build_problem(s).problem
    assert routing_model.cost_upper_bound(problem) < routing_model.COST_LIMIT / 100
    assert objective_headroom(100, tickets, problem.horizon) > 100


# ----------------------------------------------------------------------------- properties
@st.composite
def small_states(draw):
    n_crews = draw(st.integers(1, 3))
    n_t = draw(st.integers(1, 6))
    crews, tickets = [], []
    for i in range(n_crews):
        skills = frozenset(draw(st.sets(st.sampled_from(["emergency", "meter"]), max_size=2)))
        crews.append(crew(i, draw(st.integers(0, 99)), busy=draw(st.sampled_from([0, 0, 900])),
                          shift_h=draw(st.sampled_from([0.5, 4, 8])), skills=skills))
    for j in range(n_t):
        cls = draw(st.integers(1, 3))
        at = draw(st.integers(0, 99))
        skill = draw(st.sampled_from([None, "emergency", "meter"]))
        if cls == 1:
            t = make_ticket(j + 1, 1, at, NOW - draw(st.integers(0, 40)) * 60, service_s=1800,
                            required_skill=skill)
        elif cls == 2:
            t = make_ticket(j + 1, 2, at, NOW - draw(st.integers(0, 500)) * 60, service_s=1200,
                            required_skill=skill)
        else:
            t = make_ticket(j + 1, 3, at, NOW - 86_400, service_s=1800, required_skill=skill,
                            slot_start_s=NOW + draw(st.integers(-60, 300)) * 60)
        tickets.append(t)
    # One ticket may be under way (locked) on a crew that has the skill.
    if draw(st.booleans()):
        t = tickets[0]
        owners = [c for c in crews if t.required_skill is None or t.required_skill in c.skills]
        if owners:
            from dataclasses import replace

            tickets[0] = replace(t, assigned_crew=owners[0].id, locked=True)
    return state(crews, tickets)


def check_plan(p, s):
    by_id = {t.id: t for t in s.tickets}
    crews = {c.id: c for c in s.crews}
    seen = [j.ticket_id for jobs in p.routes.values() for j in jobs]
    assert len(seen) == len(set(seen)), "a ticket is assigned twice"
    assert set(seen) | {d.ticket_id for d in p.dropped} == set(by_id), "a ticket went missing"
    for cid, jobs in p.routes.items():
        for q, j in enumerate(jobs):
            t = by_id[j.ticket_id]
            assert t.required_skill is None or t.required_skill in crews[cid].skills
            assert j.locked or j.end_s <= crews[cid].shift_end_s  # under way: overtime allowed
            if t.ticket_class == 1 and t.depart_by_s is not None and j.depart_s > t.depart_by_s:
                # It left late: no earlier unlocked class-2/3 job on this crew left early enough that
                # putting the class 1 there instead would have met R6.1.
                for i in range(q):
                    other = by_id[jobs[i].ticket_id]
                    if other.ticket_class > 1 and not other.locked:
                        assert jobs[i].depart_s > t.depart_by_s
    for t in s.tickets:
        if t.locked:
            assert p.route_ids()[t.assigned_crew][0] == t.id, "a locked job moved"


@seed(20261126)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_states())
def test_plan_properties(s):
    p = plan(s, 0.7)
    check_plan(p, s)
    check_plan(greedy_plan(s), s)


def test_a_solver_that_never_returns_is_killed_and_greedy_answers_within_1_s_of_the_budget(monkeypatch):
    def hang(*a, **k):
        time.sleep(3600)

    monkeypatch.setattr(routing_model, "solve", hang)
    s = state([crew(0, node(0, 0)), crew(1, node(9, 9))], [c1(1, node(0, 2)), c2(2, node(5, 5))])
    t0 = time.perf_counter()
    p = plan(s, 1.5)
    assert time.perf_counter() - t0 < 1.5 + 1.0
    assert p.used_fallback and "no plan within the budget" in p.note
    assert set(p.assignment()) == {1, 2}


@seed(4)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_states(), st.sampled_from(["raise", "none", "hang", "die"]))
def test_fallback_always_answers(monkeypatch_states, failure):
    s = monkeypatch_states
    original = routing_model.solve

    def broken(*a, **k):
        if failure == "raise":
            raise ValueError("forced")
        if failure == "hang":
            time.sleep(3600)
        if failure == "die":
            os._exit(3)  # the solver process crashes outright (a segfault looks the same)
        return routing_model.RoutingSolution([[]], {}, [], 0, routing_model.SolveStatus.NO_SOLUTION, 0.0)

    budget = 0.8 if failure == "hang" else 3.0
    routing_model.solve = broken
    try:
        t0 = time.perf_counter()
        p = dispatch.plan(s, budget)
        assert time.perf_counter() - t0 < (budget + 1.0 if failure == "hang" else 2.0)
    finally:
        routing_model.solve = original
    assert p.note
    # Either the greedy fallback, or nothing was left for a solver to do (every ticket unservable).
    assert p.used_fallback or not any(p.routes.values())
    check_plan(p, s)


def test_a_job_under_way_past_every_shift_end_is_finished_in_overtime():
    # The only crew is 90 s from its locked class 1 with 10 min of shift left: the plan keeps it.
    locked = c1(1, node(0, 9), assigned_crew=0, locked=True)
    s = state([crew(0, node(0, 0), shift_h=10 / 60, current=1)], [locked])
    p = plan(s, BUDGET)
    assert not p.used_fallback and p.route_ids()[0] == [1]
