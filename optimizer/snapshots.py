"""Seeded dispatch snapshots and the metrics every plan is judged on (benchmarks and tests).

A snapshot is a realistic mid-morning state on a road network: crews spread over the city, some on
site, some en route (to class 2/3 work, which a class 1 may interrupt, or to a class 1, which it may
not), and open tickets of all classes with deadlines relative to their report times (R6.1: depart in
30 min, 60-min on-site target; R6.3: 4 h target and 8 h limit; R6.4: a 2-h appointment slot). The
deadline values are the ``ops.rules`` defaults, passed in as numbers so ``optimizer/`` stays free of
``ops``. Same seed, same snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.dispatch_types import (
    CLASS1,
    CLASS2,
    DEFAULT_WEIGHTS,
    CrewState,
    DispatchState,
    NetworkTravel,
    Plan,
    TicketState,
    TravelTimes,
    plan_cost,
)
from optimizer.network import RoadNetwork


@dataclass(frozen=True)
class Deadlines:
    """Minutes from report (ops.rules defaults)."""

    class1_depart: int = 30
    class1_onsite_target: int = 60
    class2_onsite_target: int = 240
    class2_onsite_limit: int = 480


SKILLS = ("emergency", "meter", "install")
CLASS2_KINDS = ("meter job", "no-gas job", "appliance job", "valve job")
CLASS3_KINDS = ("installation", "maintenance visit", "modification", "consultation")


def make_ticket(tid: int, ticket_class: int, node: int, reported_s: int, *, service_s: int,
                deadlines: Deadlines = Deadlines(), slot_start_s: int | None = None,
                slot_hours: int = 2, required_skill: str | None = None, kind: str = "",
                assigned_crew: int | None = None, locked: bool = False) -> TicketState:
    """A ticket with its deadlines filled in from the report time, as ops.rules would."""
    m = 60
    if ticket_class == CLASS1:
        return TicketState(tid, CLASS1, node, reported_s, service_s,
                           depart_by_s=reported_s + deadlines.class1_depart * m,
                           onsite_target_s=reported_s + deadlines.class1_onsite_target * m,
                           required_skill=required_skill, assigned_crew=assigned_crew, locked=locked,
                           kind=kind or "leak")
    if ticket_class == CLASS2:
        return TicketState(tid, CLASS2, node, reported_s, service_s,
                           onsite_target_s=reported_s + deadlines.class2_onsite_target * m,
                           onsite_limit_s=reported_s + deadlines.class2_onsite_limit * m,
                           required_skill=required_skill, assigned_crew=assigned_crew, locked=locked,
                           kind=kind)
    start = slot_start_s if slot_start_s is not None else reported_s + 86_400
    return TicketState(tid, 3, node, reported_s, service_s, slot_start_s=start,
                       slot_end_s=start + slot_hours * 3600, required_skill=required_skill,
                       assigned_crew=assigned_crew, locked=locked, kind=kind)


def make_snapshot(network: RoadNetwork, seed: int, *, n_crews: int = 60, n_tickets: int = 300,
                  travel: TravelTimes | None = None, deadlines: Deadlines = Deadlines(),
                  class1_share: float = 0.04) -> DispatchState:
    """A deterministic dispatch state for ``seed`` (see the module docstring for its make-up).

    ``class1_share`` of the open (unassigned) tickets are class 1: 4% is an ordinary morning; a
    surge (a storm, a pressure fault) at 15% makes class 1 compete for crews, so the optimizer must
    divert crews en route to class 2/3 work (preemption) and choose which emergency gets which crew.
    """
    rng = np.random.default_rng(seed)
    day = 86_400 * 30
    now = day + 9 * 3600 + int(rng.integers(0, 3 * 3600))  # 09:00–12:00
    nodes = network.n_nodes
    crews: list[CrewState] = []
    tickets: list[TicketState] = []
    tid = 1

    n_onsite = n_crews // 4
    n_enroute = n_crews // 6
    n_enroute_c1 = max(1, n_crews // 30)
    for i in range(n_crews):
        skills = {s for s, p in zip(SKILLS, (0.8, 0.5, 0.5), strict=True) if rng.random() < p}
        if i == 0:
            skills = set(SKILLS)  # at least one crew can do anything
        shift_end = day + 17 * 3600 + int(rng.integers(0, 3)) * 3600  # 17:00–19:00
        node = int(rng.integers(0, nodes))
        if i < n_onsite:
            crews.append(CrewState(i, node, now + int(rng.integers(5, 90)) * 60, shift_end,
                                   frozenset(skills), False, None))
            continue
        if i < n_onsite + n_enroute + n_enroute_c1:
            c1 = i >= n_onsite + n_enroute
            if c1:
                skills.add("emergency")
                t = make_ticket(tid, CLASS1, int(rng.integers(0, nodes)), now - int(rng.integers(5, 20)) * 60,
                                service_s=int(rng.integers(30, 60)) * 60, deadlines=deadlines,
                                required_skill="emergency", assigned_crew=i, locked=True)
            elif rng.random() < 0.5:
                t = make_ticket(tid, CLASS2, int(rng.integers(0, nodes)),
                                now - int(rng.integers(10, 300)) * 60, service_s=int(rng.integers(20, 60)) * 60,
                                deadlines=deadlines, kind=str(rng.choice(CLASS2_KINDS)), assigned_crew=i)
            else:
                slot = now + int(rng.integers(0, 2)) * 3600
                t = make_ticket(tid, 3, int(rng.integers(0, nodes)), now - 3 * 86_400,
                                service_s=int(rng.integers(30, 90)) * 60, slot_start_s=slot,
                                kind=str(rng.choice(CLASS3_KINDS)), assigned_crew=i)
            tickets.append(t)
            crews.append(CrewState(i, node, now, shift_end, frozenset(skills), not c1, t.id))
            tid += 1
            continue
        crews.append(CrewState(i, node, now, shift_end, frozenset(skills), False, None))

    remaining = n_tickets - len(tickets)
    n_c1 = max(1, round(remaining * class1_share))
    n_c2 = round(remaining * 0.48)
    for k in range(remaining):
        node = int(rng.integers(0, nodes))
        if k < n_c1:
            t = make_ticket(tid, CLASS1, node, now - int(rng.integers(0, 25)) * 60,
                            service_s=int(rng.integers(30, 60)) * 60, deadlines=deadlines,
                            required_skill="emergency")
        elif k < n_c1 + n_c2:
            t = make_ticket(tid, CLASS2, node, now - int(rng.integers(0, 360)) * 60,
                            service_s=int(rng.integers(20, 60)) * 60, deadlines=deadlines,
                            required_skill="meter" if rng.random() < 0.3 else None,
                            kind=str(rng.choice(CLASS2_KINDS)))
        else:
            slot = now + int(rng.integers(-1, 7)) * 3600
            t = make_ticket(tid, 3, node, now - int(rng.integers(1, 10)) * 86_400,
                            service_s=int(rng.integers(30, 90)) * 60, slot_start_s=slot,
                            required_skill="install" if rng.random() < 0.4 else None,
                            kind=str(rng.choice(CLASS3_KINDS)))
        tickets.append(t)
        tid += 1
    return DispatchState(now_s=now, hour=(now // 3600) % 24, crews=tuple(crews), tickets=tuple(tickets),
                         travel=travel or NetworkTravel(network))


def evaluate(plan: Plan, state: DispatchState) -> dict[str, float | int]:
    """Compliance, class by class from the most urgent down, plus lateness, drive and the objective.

    Lateness sums, over served tickets, arrival past the class's main deadline (class 1: 60-min
    on-site target; class 2: 4 h; class 3: slot end), in minutes. Unserved tickets are counted apart.
    """
    by_id = {t.id: t for t in state.tickets}
    arrival = {j.ticket_id: j for jobs in plan.routes.values() for j in jobs}
    out: dict[str, float | int] = {}
    c1 = [t for t in state.open_tickets() if t.ticket_class == CLASS1]
    c1_arr = [(arrival[t.id].eta_s - t.reported_s) / 60 for t in c1 if t.id in arrival]
    out["class1_total"] = len(c1)
    out["class1_depart_by"] = sum(1 for s in plan.class1.values() if s.departs_in_time)
    out["class1_mean_arrival_min"] = round(float(np.mean(c1_arr)), 2) if c1_arr else 0.0
    out["class1_unserved"] = sum(1 for t in c1 if t.id not in arrival)
    c2 = [t for t in state.open_tickets() if t.ticket_class == CLASS2]
    out["class2_total"] = len(c2)
    out["class2_onsite_target"] = sum(1 for t in c2 if t.id in arrival and arrival[t.id].eta_s <= t.onsite_target_s)
    out["class2_onsite_limit"] = sum(1 for t in c2 if t.id in arrival and arrival[t.id].eta_s <= t.onsite_limit_s)
    out["class2_unserved"] = sum(1 for t in c2 if t.id not in arrival)
    c3 = [t for t in state.open_tickets() if t.ticket_class == 3]
    out["class3_total"] = len(c3)
    out["class3_in_slot"] = sum(1 for t in c3 if t.id in arrival and arrival[t.id].eta_s <= t.slot_end_s)
    out["class3_unserved"] = sum(1 for t in c3 if t.id not in arrival)
    late = 0.0
    for tid, j in arrival.items():
        t = by_id[tid]
        due = t.slot_end_s if t.ticket_class == 3 else t.onsite_target_s
        if due is not None:
            late += max(0, j.eta_s - due) / 60
    out["total_lateness_min"] = round(late, 1)
    out["total_drive_min"] = round(sum(j.drive_s for j in arrival.values()) / 60, 1)
    out["objective"] = plan_cost(plan, state)
    # Without the lateness already sunk before ``now`` (a ticket reported 3 h ago costs that much
    # whoever serves it) and without drop penalties (unserved tickets are counted class by class
    # above; most are slots after every shift ends): the part a planner can change, on which budget
    # gaps are measured without being diluted by constants.
    sunk = sum(DEFAULT_WEIGHTS.job_cost(by_id[tid], state.now_s) for tid in arrival)
    drops = sum(DEFAULT_WEIGHTS.drop_penalty(by_id[d.ticket_id]) for d in plan.dropped)
    out["objective_controllable"] = out["objective"] - sunk - drops
    return out
