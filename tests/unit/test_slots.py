"""R6.4 appointment slots: the insertion grader agrees with a brute-force enumeration on small worlds.

The brute force rebuilds every crew's route with the new job at every position, simulates it from
scratch and judges it by the definitions of :mod:`optimizer.slots` (arrival inside the slot, no
committed job later than ``max(deadline, arrival before)``, route end within ``max(shift end, end
before)``), then grades each slot from that enumeration alone.
"""

from __future__ import annotations

import random

import pytest

from optimizer.dispatch_types import MatrixTravel, NetworkTravel
from optimizer.network import grid_network
from optimizer.slots import CrewDay, DayTravel, Grade, NewJob, Slot, Stop, grade_slots

GRID = grid_network(5, 5, spacing_m=300.0)  # 30 s per block
TRAVEL = NetworkTravel(GRID)
SECONDS = TRAVEL.matrix(range(GRID.n_nodes), range(GRID.n_nodes), None)
DAY0 = 8 * 3600
MARGIN = 60 * 60  # wide, so that the random worlds give tight slots too
INF = float("inf")


def _simulate(crew: CrewDay, stops: list[Stop | NewJob], slot: Slot | None, d) -> tuple[list[int], int]:
    """Arrival at each item and the end of the last service."""
    t, node, arrivals = crew.start_s, crew.node, []
    for s in stops:
        a = t + d(node, s.node)
        arrivals.append(a)
        if isinstance(s, NewJob):
            start = max(a, slot.start_s)
        else:
            start = max(a, s.earliest_s) if s.earliest_s is not None else a
        t, node = start + s.service_s, s.node
    return arrivals, t


def _brute(crews: list[CrewDay], job: NewJob, slot: Slot, d) -> list[tuple[int, int, int, int]]:
    """(crew id, position, extra drive, slack) of every valid insertion."""
    out = []
    for crew in crews:
        if job.required_skill is not None and job.required_skill not in crew.skills:
            continue
        base = list(crew.stops)
        base_arr, base_end = _simulate(crew, base, None, d)
        for p in range(len(base) + 1):
            route = [*base[:p], job, *base[p:]]
            arr, end = _simulate(crew, route, slot, d)
            if arr[p] > slot.end_s:
                continue
            ok, slack = True, slot.end_s - arr[p]
            for k, s in enumerate(base):
                new = arr[k if k < p else k + 1]
                if s.latest_s is None:
                    continue
                if new > max(s.latest_s, base_arr[k]):
                    ok = False
                if k >= p and base_arr[k] <= s.latest_s:
                    slack = min(slack, s.latest_s - new)
            if end > max(crew.end_s, base_end):
                ok = False
            if base_end <= crew.end_s:
                slack = min(slack, crew.end_s - end)
            if ok:
                prev = crew.node if p == 0 else base[p - 1].node
                if p < len(base):
                    extra = d(prev, job.node) + d(job.node, base[p].node) - d(prev, base[p].node)
                else:
                    extra = d(prev, job.node)
                out.append((crew.crew_id, p, extra, slack))
    return out


def _brute_grade(valid: list[tuple[int, int, int, int]]) -> tuple[Grade, set[tuple[int, int]], int | None]:
    """The grade, the (crew, extra) pairs that may be the answer, and the least extra drive."""
    roomy = [v for v in valid if v[3] >= MARGIN]
    pool = roomy or valid
    if not pool:
        return Grade.NOT_POSSIBLE, set(), None
    least = min(v[2] for v in pool)
    return (Grade.FEASIBLE if roomy else Grade.TIGHT), {(v[0], v[2]) for v in pool if v[2] == least}, least


def _world(rng: random.Random, n_nodes: int):
    crews = []
    for cid in range(rng.randint(1, 4)):
        start = DAY0 + rng.choice([0, 0, 1800, 3600])
        stops, t = [], start
        for sid in range(rng.randint(0, 5)):
            kind = rng.random()
            service = rng.choice([600, 1200, 1800, 3600])
            t += rng.randint(0, 3) * 1800
            if kind < 0.4:   # a booked class 3: a 2-hour slot
                s0 = DAY0 + rng.randint(0, 4) * 7200
                stop = Stop(cid * 10 + sid, rng.randrange(n_nodes), service, s0, s0 + 7200)
            elif kind < 0.7:  # a deadline only (possibly already missed)
                stop = Stop(cid * 10 + sid, rng.randrange(n_nodes), service, None, t + rng.randint(-900, 5400))
            else:
                stop = Stop(cid * 10 + sid, rng.randrange(n_nodes), service)
            stops.append(stop)
        end = DAY0 + rng.choice([6, 8, 10]) * 3600
        skills = frozenset(rng.sample(["install", "meter"], rng.randint(0, 2)))
        crews.append(CrewDay(cid, rng.randrange(n_nodes), start, end, tuple(stops), skills, f"C{cid}"))
    job = NewJob(rng.randrange(n_nodes), rng.choice([1800, 3600, 5400]), rng.choice([None, None, "install"]))
    slots = [Slot(DAY0 + k * 7200, DAY0 + (k + 1) * 7200) for k in range(6)]
    return crews, job, slots


def _check(crews, job, slots, travel, d) -> list[Grade]:
    grades = grade_slots(crews, job, slots, travel, margin_s=MARGIN)
    for slot, g in zip(slots, grades, strict=True):
        expected, answers, least = _brute_grade(_brute(crews, job, slot, d))
        assert g.grade is expected, (slot, g, expected)
        if expected is Grade.NOT_POSSIBLE:
            assert g.best is None
        else:
            assert (g.crew_id, g.extra_drive_s) in answers and g.extra_drive_s == least
    return [g.grade for g in grades]


@pytest.mark.parametrize("seed", range(40))
def test_grades_agree_with_brute_force_on_the_grid(seed: int) -> None:
    rng = random.Random(seed)
    seen = set()
    for _ in range(15):
        crews, job, slots = _world(rng, GRID.n_nodes)
        seen |= set(_check(crews, job, slots, TRAVEL, lambda a, b: int(SECONDS[a, b])))
    assert seen == set(Grade)  # each world set tries every grade, so agreeing is not trivially "all feasible"


def test_grades_agree_on_non_metric_travel() -> None:
    """Random asymmetric times that break the triangle inequality: a detour may arrive earlier."""
    rng = random.Random(7)
    grades = set()
    for _ in range(300):
        n = 8
        m = [[0 if i == j else rng.randint(60, 3000) for j in range(n)] for i in range(n)]
        travel = MatrixTravel(m)
        crews, job, slots = _world(rng, n)
        grades |= set(_check(crews, job, slots, travel, lambda a, b, m=m: m[a][b]))
    assert grades == set(Grade)  # the worlds exercise all three grades


def test_waiting_for_the_slot_counts_against_the_shift() -> None:
    """Arriving before the slot opens, the crew waits; the job must still end inside the shift.

    The crew's shift ends 3 h 10 min into the day and the job takes an hour: booked 0–2 h it ends at
    1 h 1 min (plenty to spare), booked 2–4 h it ends at 3 h (10 min to spare: tight), booked 4–6 h
    it would end after the shift (not possible).
    """
    crew = CrewDay(1, 0, DAY0, DAY0 + 3 * 3600 + 600, label="C1")
    slots = [Slot(DAY0 + k * 7200, DAY0 + (k + 1) * 7200) for k in range(3)]
    g = grade_slots([crew], NewJob(2, 3600), slots, TRAVEL)
    assert [x.grade for x in g] == [Grade.FEASIBLE, Grade.TIGHT, Grade.NOT_POSSIBLE]
    assert g[0].best.arrival_s == DAY0 + 60 and g[0].extra_drive_s == 60
    assert g[1].best.slack_s == 600


def test_a_committed_job_may_not_become_late() -> None:
    """The only room is before a committed job whose deadline the detour would break."""
    stop = Stop(1, 4, 600, None, DAY0 + 1800)  # due within 30 min, 2 min away
    crew = CrewDay(1, 0, DAY0, DAY0 + 90 * 60, (stop,), label="C1")
    g = grade_slots([crew], NewJob(2, 3600), [Slot(DAY0, DAY0 + 7200)], TRAVEL)
    # before the stop: it would arrive after 1 h 2 min (late); after it: the job ends at 1 h 13 min,
    # inside the 1 h 30 min shift with 17 min to spare
    assert g[0].grade is Grade.FEASIBLE and g[0].best.position == 1 and g[0].best.slack_s == 17 * 60


def test_no_skilled_crew_means_not_possible() -> None:
    crew = CrewDay(1, 0, DAY0, DAY0 + 8 * 3600, skills=frozenset({"meter"}))
    g = grade_slots([crew], NewJob(3, 600, "install"), [Slot(DAY0, DAY0 + 7200)], TRAVEL)
    assert g[0].grade is Grade.NOT_POSSIBLE and g[0].crew_id is None


def test_day_travel_can_be_reused_for_several_jobs() -> None:
    rng = random.Random(3)
    crews, job, slots = _world(rng, GRID.n_nodes)
    day = DayTravel(crews, TRAVEL, None)
    for node in (0, 12, 24):
        j = NewJob(node, job.service_s)
        assert grade_slots(crews, j, slots, day) == grade_slots(crews, j, slots, TRAVEL)


def test_a_placed_booking_takes_the_room_it_needs() -> None:
    """Once a booked job is placed on the only crew, the same slot can no longer take a second long job."""
    from optimizer.slots import place

    crew = CrewDay(1, 0, DAY0, DAY0 + 3 * 3600, label="C1")  # room for one 90-min job, not two
    slot = Slot(DAY0, DAY0 + 7200)
    day = DayTravel([crew], TRAVEL, None)
    assert grade_slots([crew], NewJob(24, 5400), [slot], day)[0].grade is Grade.FEASIBLE
    crews, ins = place([crew], Stop(99, 12, 5400, slot.start_s, slot.end_s), day)
    assert ins is not None and [s.id for s in crews[0].stops] == [99]
    assert grade_slots(crews, NewJob(24, 5400), [slot], day)[0].grade is Grade.NOT_POSSIBLE
    assert grade_slots(crews, NewJob(24, 5400), [slot], TRAVEL)[0].grade is Grade.NOT_POSSIBLE


def test_kept_rows_give_the_network_times_and_the_same_grades() -> None:
    from optimizer.slots import RowCacheTravel

    kept = RowCacheTravel(GRID, max_rows=4)
    nodes = [0, 7, 13, 24, 3, 18]
    assert (kept.matrix(nodes, nodes, None) == TRAVEL.matrix(nodes, nodes, None)).all()
    assert (kept.matrix(nodes[:2], nodes, None) == TRAVEL.matrix(nodes[:2], nodes, None)).all()  # some evicted
    rng = random.Random(11)
    for _ in range(20):
        crews, job, slots = _world(rng, GRID.n_nodes)
        assert grade_slots(crews, job, slots, kept) == grade_slots(crews, job, slots, TRAVEL)
