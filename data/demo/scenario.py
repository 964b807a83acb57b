"""The demo scenario as plain data: computed from (service area, seed, now), written by ``data.demo``.

Nothing here touches the database, the wall clock or the global random state: every random draw
comes from ``numpy.random.Generator`` streams spawned from the seed, one per part (people, crews,
history, the present moment), so the same inputs always give the same scenario, and changing how
one part is drawn does not reshuffle the others.

How the history is made (the README paragraph lives in the module docstring of ``data.demo``):
arrivals are a Poisson process per local day with an hour-of-day profile; each report is a symptom
with R5 answers drawn from conditional probabilities and classified by ``ops.rules.classify``; the
work is then simulated job by job in dispatch order against the crews' occupancy, with drive times
from the road network's shortest paths from each depot, so a busy crew makes the next job late the
way it would on a real day. The state at ``now`` is where that simulation is cut off, plus a small
set of hand-placed reports that put every stage of the lifecycle on the map.
"""

from __future__ import annotations

import heapq
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from shapely.geometry import shape

from data.demo import texts
from data.service_area import ServiceArea
from ops.rules import ClassificationInput, classify
from ops.services.bulk_import import (
    CallbackIn,
    ComplaintIn,
    CustomerIn,
    DistrictIn,
    HistoricalTicket,
    RepairRecordIn,
    WorkOrderTimeline,
)
from ops.vocabulary import (
    Answer,
    Channel,
    ComplaintStatus,
    CrewStatus,
    FollowUpStatus,
    Judgement,
    RepairResult,
    Role,
    ShiftPattern,
    Skill,
    Symptom,
    TicketClass,
)
from optimizer.network import RoadNetwork

# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoConfig:
    """The size of the scenario; the defaults are the demo, tests shrink it to stay fast."""

    customers: int = 5000
    history_days: int = 90
    arrivals_per_day: float = 25.0
    crews_per_depot: int = 4
    emergency_contact_share: float = 0.03

    def __post_init__(self) -> None:
        if self.customers < 10:
            raise ValueError("customers: the demo needs at least 10 customers")
        if self.history_days < 1:
            raise ValueError("history_days: at least one day of history")
        if self.arrivals_per_day <= 0:
            raise ValueError("arrivals_per_day must be positive")
        if not 1 <= self.crews_per_depot <= 9:
            raise ValueError("crews_per_depot: 1 to 9")


#: One login per role; the crew member is linked to the first member of the first crew.
DEMO_USERS: tuple[tuple[str, Role], ...] = (
    ("hotline", Role.HOTLINE_AGENT),
    ("dispatcher", Role.DISPATCHER),
    ("supervisor", Role.SUPERVISOR),
    ("crew", Role.CREW_MEMBER),
    ("callback", Role.CALLBACK_AGENT),
    ("quality", Role.QUALITY_INSPECTOR),
    ("manager", Role.MANAGER),
    ("planner", Role.PLANNER),
    ("admin", Role.ADMIN),
)

#: Relative arrivals by local hour: quiet nights, peaks 8–11 and 18–21.
HOUR_PROFILE = np.array([0.4, 0.3, 0.25, 0.25, 0.3, 0.5, 1.0, 2.0, 3.6, 4.0, 3.8, 3.4,
                         2.8, 2.6, 2.6, 2.6, 2.8, 3.0, 3.6, 4.0, 3.8, 3.2, 1.8, 0.9])

#: Symptom mix; with the odour model below, classify() yields about 8% / 45% / 47% for classes 1/2/3.
SYMPTOM_MIX: tuple[tuple[Symptom, float], ...] = (
    (Symptom.GAS_LEAK, 0.048), (Symptom.PIPE_DAMAGE, 0.006), (Symptom.FIRE, 0.0015),
    (Symptom.EXPLOSION, 0.0005),
    (Symptom.NO_GAS, 0.12), (Symptom.ABNORMAL_FLAME, 0.07), (Symptom.METER_FAULT, 0.09),
    (Symptom.VALVE_DAMAGE, 0.04), (Symptom.APPLIANCE_FAULT, 0.13), (Symptom.OTHER, 0.03),
    (Symptom.INSTALLATION, 0.09), (Symptom.MODIFICATION, 0.04), (Symptom.CONSULTATION, 0.12),
    (Symptom.MAINTENANCE, 0.214),
)
#: P(odour yes), P(odour unknown) by kind of symptom.
ODOUR = {"emergency": (0.85, 0.10), "fault": (0.025, 0.03), "request": (0.003, 0.04)}

#: R4.1 channel mix as drawn; the counter is open only in office hours (about half of the reports), and
#: reports drawn for it outside them go to the hotline, so the result is about 60/20/15/5.
CHANNEL_MIX: tuple[tuple[Channel, float], ...] = (
    (Channel.HOTLINE, 0.55), (Channel.WEB_APP, 0.20), (Channel.WECHAT, 0.15), (Channel.COUNTER, 0.10),
)

#: What a job needs the crew to be able to do; class 1 always needs leak repair.
SKILL_FOR: dict[Symptom, Skill] = {
    Symptom.GAS_LEAK: Skill.LEAK_REPAIR, Symptom.PIPE_DAMAGE: Skill.LEAK_REPAIR,
    Symptom.FIRE: Skill.LEAK_REPAIR, Symptom.EXPLOSION: Skill.LEAK_REPAIR,
    Symptom.NO_GAS: Skill.PIPEWORK, Symptom.VALVE_DAMAGE: Skill.PIPEWORK, Symptom.OTHER: Skill.PIPEWORK,
    Symptom.ABNORMAL_FLAME: Skill.APPLIANCE, Symptom.APPLIANCE_FAULT: Skill.APPLIANCE,
    Symptom.MAINTENANCE: Skill.APPLIANCE, Symptom.CONSULTATION: Skill.APPLIANCE,
    Symptom.METER_FAULT: Skill.METER,
    Symptom.INSTALLATION: Skill.INSTALLATION, Symptom.MODIFICATION: Skill.INSTALLATION,
}
REPAIR_KIND: dict[Skill, str] = {
    Skill.LEAK_REPAIR: "leak", Skill.PIPEWORK: "pipework", Skill.APPLIANCE: "appliance",
    Skill.METER: "meter", Skill.INSTALLATION: "installation",
}

#: Crew templates by position within a depot: every depot has leak-repair crews on both shifts.
CREW_TEMPLATES: tuple[tuple[ShiftPattern, tuple[Skill, ...]], ...] = (
    (ShiftPattern.DAY, (Skill.LEAK_REPAIR, Skill.PIPEWORK, Skill.METER)),
    (ShiftPattern.DAY, (Skill.LEAK_REPAIR, Skill.APPLIANCE, Skill.METER)),
    (ShiftPattern.DAY, (Skill.INSTALLATION, Skill.APPLIANCE, Skill.METER, Skill.PIPEWORK)),
    (ShiftPattern.NIGHT, (Skill.LEAK_REPAIR, Skill.PIPEWORK, Skill.APPLIANCE, Skill.METER)),
)
SHIFT_HOURS = {ShiftPattern.DAY: (8, 20), ShiftPattern.NIGHT: (20, 8)}

#: (name, latitude quantile): north (La Serena), centre, south (Coquimbo) on the default area.
DEPOT_SITES = (("Base Norte", 0.85), ("Base Centro", 0.50), ("Base Sur", 0.12))

#: Class-3 appointment slots: two hours, starting at these local hours.
SLOT_HOURS = (8, 10, 12, 14, 16)
SLOT_LENGTH = timedelta(hours=2)


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DepotSpec:
    name: str
    node: int
    lon: float
    lat: float
    district_code: str | None


@dataclass(frozen=True)
class CrewSpec:
    code: str
    name: str
    depot: int
    skills: tuple[Skill, ...]
    shift_pattern: ShiftPattern
    shift_start_hour: int
    shift_end_hour: int
    members: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class UserSpec:
    username: str
    display_name: str
    roles: tuple[Role, ...]


@dataclass(frozen=True)
class Ping:
    at: datetime
    lon: float
    lat: float
    speed_kmh: float | None = None
    heading_deg: float | None = None


@dataclass(frozen=True)
class CrewState:
    code: str
    status: CrewStatus
    pings: tuple[Ping, ...]


@dataclass
class Scenario:
    districts: list[DistrictIn]
    customers: list[CustomerIn]
    depots: list[DepotSpec]
    crews: list[CrewSpec]
    users: list[UserSpec]
    tickets: list[HistoricalTicket]
    crew_states: list[CrewState]
    stats: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _minutes(value: float) -> timedelta:
    """Whole seconds, so stored timestamps stay readable and identical across platforms."""
    return timedelta(seconds=round(value * 60.0))


def choice(rng: np.random.Generator, items: Sequence[Any]) -> Any:
    return items[int(rng.integers(len(items)))]


def weighted(rng: np.random.Generator, pairs: Sequence[tuple[Any, float]]) -> Any:
    weights = np.array([w for _, w in pairs], dtype=float)
    return pairs[int(rng.choice(len(pairs), p=weights / weights.sum()))][0]


def person_name(rng: np.random.Generator, surname: str | None = None) -> str:
    first = choice(rng, texts.FIRST_NAMES_F if rng.random() < 0.5 else texts.FIRST_NAMES_M)
    return f"{first} {surname or choice(rng, texts.SURNAMES)} {choice(rng, texts.SURNAMES)}"


def mobile_number(rng: np.random.Generator) -> str:
    return f"+56 9 {int(rng.integers(1000, 10000))} {int(rng.integers(1000, 10000))}"


def _phone(rng: np.random.Generator) -> str:
    if rng.random() < 0.15:
        return f"+56 51 2{int(rng.integers(10, 100))} {int(rng.integers(1000, 10000))}"
    return mobile_number(rng)


def bearing(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    y = math.sin(math.radians(lon2 - lon1)) * math.cos(math.radians(lat2))
    x = (math.cos(math.radians(lat1)) * math.sin(math.radians(lat2))
         - math.sin(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.cos(math.radians(lon2 - lon1)))
    return round(math.degrees(math.atan2(y, x)) % 360.0, 1) % 360.0


def on_shift(crew: CrewSpec, local_hour: int) -> bool:
    """Whether a local hour falls inside the crew's shift (a night shift runs past midnight)."""
    start, end = crew.shift_start_hour, crew.shift_end_hour
    if start < end:
        return start <= local_hour < end
    return local_hour >= start or local_hour < end


# --------------------------------------------------------------------------------------------
# Geography: districts, customers, depots
# --------------------------------------------------------------------------------------------


def _districts(area: ServiceArea) -> tuple[list[DistrictIn], list[tuple[str, Any, int]]]:
    features = sorted(area.districts["features"], key=lambda f: str(f["properties"]["code"]))
    result, geoms = [], []
    for feature in features:
        props = feature["properties"]
        geom = shape(feature["geometry"])
        if geom.is_empty:
            continue
        population = int(props.get("population") or 0)
        result.append(DistrictIn(
            code=str(props["code"]), name=str(props.get("name") or props["code"]),
            geometry=json.dumps(feature["geometry"]), population=population, source=f"demo:{area.name}",
        ))
        geoms.append((str(props["code"]), geom, population))
    return result, geoms


def _node_districts(net: RoadNetwork, geoms: list[tuple[str, Any, int]]) -> np.ndarray:
    """Index into ``geoms`` of the district holding each node, or -1 (the first by code wins)."""
    owner = np.full(net.n_nodes, -1, dtype=np.int64)
    for i, (_, geom, _) in enumerate(geoms):
        free = owner < 0
        if not free.any():
            break
        inside = shapely.contains_xy(geom, net.lon[free], net.lat[free])
        idx = np.flatnonzero(free)[inside]
        owner[idx] = i
    return owner


def _allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Largest-remainder apportionment: whole counts proportional to ``weights`` summing to ``total``."""
    if weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    quota = total * weights / weights.sum()
    counts = np.floor(quota).astype(np.int64)
    short = total - int(counts.sum())
    order = np.lexsort((np.arange(len(weights)), -(quota - counts)))
    counts[order[:short]] += 1
    return counts


def _street(area: ServiceArea, node: int) -> str:
    name = area.node_street[node] if node < len(area.node_street) else ""
    return name.strip() or texts.NO_STREET


@dataclass
class _Customers:
    records: list[CustomerIn]
    nodes: np.ndarray
    district_codes: list[str]
    names: list[str]
    phones: list[str]


def _customers(rng: np.random.Generator, area: ServiceArea, geoms: list[tuple[str, Any, int]],
               owner: np.ndarray, config: DemoConfig) -> _Customers:
    populations = np.array([p if (owner == i).any() else 0 for i, (_, _, p) in enumerate(geoms)], dtype=float)
    if populations.sum() <= 0:  # no population data: spread over the districts by their node count
        populations = np.bincount(owner[owner >= 0], minlength=len(geoms)).astype(float)
    counts = _allocate(config.customers, populations)
    nodes, district_idx = [], []
    for i, count in enumerate(counts):
        if count == 0:
            continue
        candidates = np.flatnonzero(owner == i)
        nodes.append(rng.choice(candidates, size=int(count), replace=True))
        district_idx.append(np.full(int(count), i))
    node_arr = np.concatenate(nodes)
    dist_arr = np.concatenate(district_idx)
    order = rng.permutation(len(node_arr))  # customer numbers are not sorted by district
    node_arr, dist_arr = node_arr[order], dist_arr[order]
    net = area.network
    records, names, phones, codes = [], [], [], []
    contact = rng.random(len(node_arr)) < config.emergency_contact_share
    for k, (node, d) in enumerate(zip(node_arr.tolist(), dist_arr.tolist(), strict=True)):
        surname = choice(rng, texts.SURNAMES)
        name = person_name(rng, surname)
        phone = _phone(rng)
        door = str(int(rng.integers(1, 3000)))
        kwargs: dict[str, Any] = {}
        if contact[k]:
            kwargs = {
                "emergency_contact_name": person_name(rng, surname), "emergency_contact_phone": mobile_number(rng),
                "emergency_contact_note": choice(rng, texts.EMERGENCY_CONTACT_NOTES),
                "lives_alone": True, "vulnerable": True,
            }
        code = geoms[d][0]
        records.append(CustomerIn(
            customer_no=f"GD{k + 1:06d}", name=name, address=f"{_street(area, node)} {door}",
            door_no=door, lon=float(net.lon[node]), lat=float(net.lat[node]), phone=phone,
            district_code=code, **kwargs,
        ))
        names.append(name)
        phones.append(phone)
        codes.append(code)
    return _Customers(records, node_arr, codes, names, phones)


def _depots(net: RoadNetwork, geoms: list[tuple[str, Any, int]], owner: np.ndarray) -> list[DepotSpec]:
    """Depot nodes at latitude quantiles, near the middle of the network's width there."""
    depots: list[DepotSpec] = []
    used: set[int] = set()
    x, y = net.projection.forward(net.lon, net.lat)
    for name, quantile in DEPOT_SITES:
        lat_q = float(np.quantile(net.lat, quantile))
        band = np.flatnonzero(np.abs(net.lat - lat_q) <= 0.004)
        if len(band) < 5:
            band = np.argsort(np.abs(net.lat - lat_q))[:50]
        lon_mid = float(np.median(net.lon[band]))
        tx, ty = net.projection.forward(np.array([lon_mid]), np.array([lat_q]))
        dist = np.hypot(x - tx[0], y - ty[0])
        for node in np.argsort(dist, kind="stable").tolist():
            if node not in used:
                break
        used.add(node)
        d = int(owner[node])
        depots.append(DepotSpec(name, int(node), float(net.lon[node]), float(net.lat[node]),
                                geoms[d][0] if d >= 0 else None))
    return depots


def _crews(rng: np.random.Generator, depots: list[DepotSpec], config: DemoConfig) -> list[CrewSpec]:
    crews = []
    n = 0
    for d, depot in enumerate(depots):
        area_word = depot.name.split()[-1]
        for position in range(config.crews_per_depot):
            pattern, skills = CREW_TEMPLATES[position % len(CREW_TEMPLATES)]
            start, end = SHIFT_HOURS[pattern]
            n += 1
            size = 2 + int(rng.random() < 0.5)
            members = tuple((person_name(rng), mobile_number(rng)) for _ in range(size))
            crews.append(CrewSpec(
                code=f"CR{n:02d}", name=f"Cuadrilla {area_word} {position + 1}", depot=d,
                skills=tuple(sorted(skills)), shift_pattern=pattern, shift_start_hour=start,
                shift_end_hour=end, members=members,
            ))
    return crews


def _users(rng: np.random.Generator, crews: list[CrewSpec]) -> list[UserSpec]:
    users = []
    for username, role in DEMO_USERS:
        display = crews[0].members[0][0] if role is Role.CREW_MEMBER else person_name(rng)
        users.append(UserSpec(username, display, (role,)))
    return users


# --------------------------------------------------------------------------------------------
# Reports: symptom, answers, class
# --------------------------------------------------------------------------------------------


def _symptom_kind(symptom: Symptom) -> str:
    if symptom in (Symptom.GAS_LEAK, Symptom.PIPE_DAMAGE, Symptom.FIRE, Symptom.EXPLOSION):
        return "emergency"
    if symptom in (Symptom.INSTALLATION, Symptom.MODIFICATION, Symptom.CONSULTATION, Symptom.MAINTENANCE):
        return "request"
    return "fault"


def _answer(rng: np.random.Generator, p_yes: float, p_unknown: float) -> Answer:
    u = rng.random()
    return Answer.YES if u < p_yes else Answer.UNKNOWN if u < p_yes + p_unknown else Answer.NO


def draw_report(rng: np.random.Generator) -> dict[str, Any]:
    """A report as a caller gives it: the symptom, then the R5.2/R5.3 answers it makes likely."""
    symptom = weighted(rng, SYMPTOM_MIX)
    kind = _symptom_kind(symptom)
    odour = _answer(rng, *ODOUR[kind])
    emergency_like = kind == "emergency" or odour is not Answer.NO
    report = {
        "symptom": symptom,
        "odour": odour,
        "abnormal_noise": _answer(rng, 0.25 if emergency_like else 0.04, 0.05),
        "people_on_site": _answer(rng, 0.85, 0.05),
        "ventilated": _answer(rng, 0.55, 0.2) if emergency_like else _answer(rng, 0.2, 0.3),
        "valve_closed": _answer(rng, 0.45, 0.2) if emergency_like else _answer(rng, 0.05, 0.3),
        # R5.4: agents judge the obvious emergencies as such, and very rarely anything else.
        "agent_judgement": Judgement.EMERGENCY if (kind == "emergency" and rng.random() < 0.9)
        or rng.random() < 0.004 else Judgement.GENERAL,
    }
    return report


def _proposed(report: dict[str, Any]) -> TicketClass:
    return classify(ClassificationInput(
        report["symptom"], odour=report["odour"], abnormal_noise=report["abnormal_noise"],
        people_on_site=report["people_on_site"], ventilated=report["ventilated"],
        valve_closed=report["valve_closed"], judgement=report["agent_judgement"],
    )).ticket_class


# --------------------------------------------------------------------------------------------
# The simulation
# --------------------------------------------------------------------------------------------


@dataclass
class _Draft:
    """A ticket being built: the HistoricalTicket fields plus what the simulation needs."""

    fields: dict[str, Any]
    node: int
    customer: int | None
    final_class: TicketClass
    skill: Skill
    orders: list[WorkOrderTimeline] = field(default_factory=list)
    complaints: list[ComplaintIn] = field(default_factory=list)
    #: Full (uncut) milestones of the active order, for crew positions at ``now``.
    active: dict[str, Any] | None = None
    last_score: int | None = None
    late: bool = False


class _Simulator:
    def __init__(self, area: ServiceArea, zone: ZoneInfo, now: datetime, crews: list[CrewSpec],
                 depots: list[DepotSpec], customers: _Customers, rng: np.random.Generator) -> None:
        self.area = area
        self.net = area.network
        self.zone = zone
        self.now = now
        self.crews = crews
        self.depots = depots
        self.customers = customers
        self.rng = rng
        # Free-flow seconds from each depot to every node, scaled by the hour's congestion.
        self.depot_times = np.vstack([self.net.one_to_all(d.node) for d in depots])
        profile = self.net.speed_profile
        self.hour_factor = [2.0 / (profile.arterial[h] + profile.local[h]) for h in range(24)]
        self.busy_until: list[datetime] = [datetime.min.replace(tzinfo=UTC)] * len(crews)
        self.last_site: list[tuple[datetime, int] | None] = [None] * len(crews)
        self.active: dict[int, _Draft] = {}

    # -- time helpers
    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.zone)

    def at_local(self, day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute, second), tzinfo=self.zone).astimezone(UTC)

    def drive(self, crew: int, node: int, at: datetime, *, noisy: bool = True) -> timedelta:
        seconds = float(self.depot_times[self.crews[crew].depot, node]) * self.hour_factor[self.local(at).hour]
        if noisy:
            seconds *= float(self.rng.uniform(0.9, 1.15))
        return timedelta(seconds=round(seconds + 60.0))

    def pick_crew(self, skill: Skill, at: datetime, node: int) -> int:
        """The capable on-shift crew that can be there first: the nearest depot's, unless busy."""
        hour = self.local(at).hour
        everyone = list(range(len(self.crews)))
        on = [c for c in everyone if on_shift(self.crews[c], hour)]
        capable = [c for c in on if skill in self.crews[c].skills] or on or everyone

        def eta(c: int) -> tuple[datetime, int]:
            return max(at, self.busy_until[c]) + self.drive(c, node, at, noisy=False), c

        return min(capable, key=eta)

    # -- the history, job by job in dispatch order
    def run(self, drafts: list[_Draft]) -> None:
        heap: list[tuple[datetime, int, int, int]] = []
        for i, d in enumerate(drafts):
            heapq.heappush(heap, (self._first_ready(d), i, i, 0))
        seq = len(drafts)
        while heap:
            ready, _, i, visit = heapq.heappop(heap)
            if ready > self.now:
                continue
            draft = drafts[i]
            follow_up = self._visit(draft, ready, visit)
            if follow_up is not None and visit == 0:
                seq += 1
                heapq.heappush(heap, (follow_up, seq, i, 1))

    def _first_ready(self, d: _Draft) -> datetime:
        received = d.fields["received_at"]
        rng = self.rng
        if d.final_class is TicketClass.EMERGENCY:
            return received + _minutes(rng.uniform(1.0, 6.0))
        if d.final_class is TicketClass.URGENT:
            late = rng.random() < 0.05
            return received + _minutes(rng.uniform(121, 200) if late else rng.uniform(10, 100))
        # Dispatched so that the crew gets there inside the slot (a few late), not held idle for hours.
        slot_start = d.fields["slot_start"]
        offset = rng.uniform(115, 180) if rng.random() < 0.06 else rng.uniform(-20, 75)
        ready = slot_start + _minutes(offset - 30)
        local = self.local(ready)
        if local.hour < 8:
            ready = self.at_local(local.date(), 8) + _minutes(rng.uniform(0, 10))
        return max(ready, received + _minutes(10))

    def _visit(self, d: _Draft, ready: datetime, visit: int) -> datetime | None:
        """Dispatch, drive, repair and call back; returns when a further visit is needed."""
        rng = self.rng
        cls = d.final_class
        received = d.fields["received_at"]
        crew = self.pick_crew(d.skill, ready, d.node)
        dispatched = max(ready, self.busy_until[crew])
        if dispatched > self.now:
            return None  # still waiting in the queue at "now": the ticket is open, unassigned
        auto = False
        dispatched_by: str | None = "supervisor"
        pre_alerted = None
        if cls is TicketClass.EMERGENCY and visit == 0:
            pre_alerted = received + timedelta(seconds=int(rng.integers(5, 20)))
            three = received + timedelta(minutes=3)
            if dispatched >= three:
                # R7.3: nobody confirmed within 3 minutes, so the scheduler dispatched the top crew.
                auto = dispatched == ready and self.busy_until[crew] <= three
                if auto:
                    dispatched = received + timedelta(minutes=3, seconds=int(rng.integers(0, 20)))
                    dispatched_by = None
        elif rng.random() < 0.4:
            dispatched_by = "dispatcher"
        ack_late = rng.random() < (0.02 if cls is TicketClass.EMERGENCY else 0.06)
        acknowledged = dispatched + _minutes(
            rng.uniform(11, 25) if ack_late else rng.uniform(0.3, 3.0) if cls is TicketClass.EMERGENCY
            else rng.uniform(1, 9))
        drive = self.drive(crew, d.node, acknowledged)
        if cls is TicketClass.EMERGENCY and visit == 0:
            target = rng.uniform(31, 50) if rng.random() < 0.025 else rng.triangular(3, 9, 25)
            departed = max(acknowledged + _minutes(rng.uniform(0.5, 2)), received + _minutes(target))
        elif cls is TicketClass.SCHEDULED and visit == 0:
            # R6.4: never before the slot opens; lateness comes from the dispatch and busy crews.
            departed = max(acknowledged + _minutes(rng.uniform(5, 20)), d.fields["slot_start"] - drive)
        else:
            # Mostly straight out; some wait for parts or access (day shift only: the night crew is alone).
            u = rng.random() if 8 <= self.local(acknowledged).hour < 17 else 0.0
            prep = rng.uniform(5, 25) if u < 0.80 else rng.uniform(60, 200) if u < 0.94 else rng.uniform(240, 420)
            departed = acknowledged + _minutes(prep)
        arrived = departed + drive
        repair_minutes = {TicketClass.EMERGENCY: (30, 120), TicketClass.URGENT: (30, 150),
                          TicketClass.SCHEDULED: (30, 90)}[cls]
        completed = arrived + _minutes(rng.uniform(*repair_minutes))
        self.busy_until[crew] = completed + self.drive(crew, d.node, completed, noisy=False)

        # Was it on time (R14.1)? The customer's view of it drives the score and complaints.
        if cls is TicketClass.EMERGENCY:
            late = departed - received > timedelta(minutes=30)
        elif cls is TicketClass.URGENT:
            late = arrived - received > timedelta(hours=4)
        else:
            late = not (d.fields["slot_start"] <= arrived <= d.fields["slot_end"])
        d.late = d.late or late

        # The repair record (R9) and the result: about 92% fixed at the first visit.
        if visit == 0:
            u = rng.random()
            good = 0.94 if cls is TicketClass.EMERGENCY else 0.92
            result = RepairResult.FIXED if u < good else (
                RepairResult.NEEDS_FOLLOW_UP if u < good + 0.05 else RepairResult.NOT_FIXED)
        else:
            result = RepairResult.FIXED
        kind = REPAIR_KIND[d.skill]
        cause, measures, parts = choice(rng, texts.REPAIRS[kind])
        reporter = d.fields["reporter_name"]
        reading = None
        if cls is TicketClass.EMERGENCY:
            ppm = float(round(rng.uniform(50, 2000) if kind == "leak" and parts else rng.uniform(0, 20), 1))
            reading = (ppm, arrived + _minutes(rng.uniform(1, 5)))
        repair = RepairRecordIn(
            cause=cause, measures=measures, result=result,
            customer_confirmation=choice(rng, texts.CONFIRMATIONS).format(name=reporter),
            parts_replaced=tuple({"name": p, "standard": "NCh (national standard)", "qty": 1} for p in parts),
            gas_reading_ppm=reading[0] if reading else None, gas_reading_at=reading[1] if reading else None,
            safety_advice_given=rng.random() < 0.98,
            gas_restored_after_check=result is RepairResult.FIXED and d.fields["symptom"] is not Symptom.CONSULTATION,
            filed_by="crew" if crew == 0 else None,
        )

        # The R10 callback: 24 h (48 h for class 1), inside calling hours, a few late or unreachable.
        window = 40.0 if cls is TicketClass.EMERGENCY else 20.0
        delay = rng.uniform(1, window) if rng.random() < 0.94 else rng.uniform(window + 5, window + 30)
        called = self._calling_hours(completed + _minutes(60 * delay))
        unreachable = rng.random() < 0.03
        # A revisit settles it; after a first visit 1% of "fixed" faults are back by the callback (R10.3).
        fixed_said = result is RepairResult.FIXED and (visit > 0 or rng.random() > 0.01)
        score = int(rng.choice([1, 2, 3, 4, 5], p=[0.03, 0.04, 0.10, 0.28, 0.55]))
        if late and rng.random() < 0.7:
            score -= 1
        if not fixed_said:
            score -= int(rng.integers(1, 3))
        score = max(1, min(5, score))
        on_time_said = (not late) if rng.random() > 0.08 else late
        if unreachable:
            callback = CallbackIn(called_at=called, score=None, arrived_on_time=None, courteous=None,
                                  fully_fixed=None, agent="callback", status=FollowUpStatus.UNREACHABLE,
                                  attempts=3)
        else:
            callback = CallbackIn(
                called_at=called, score=score,
                arrived_on_time=Answer.YES if on_time_said else Answer.NO,
                courteous=Answer.YES if rng.random() < 0.95 else choice(rng, (Answer.NO, Answer.UNKNOWN)),
                fully_fixed=Answer.YES if fixed_said else Answer.NO,
                suggestions=choice(rng, texts.CALLBACK_SUGGESTIONS) if rng.random() < 0.1 else None,
                agent="callback",
            )
            d.last_score = score

        # Cut at "now": only what has happened by then is recorded.
        now = self.now
        stamp = {"acknowledged_at": acknowledged, "departed_at": departed, "arrived_at": arrived,
                 "completed_at": completed}
        cut = {k: (v if v <= now else None) for k, v in stamp.items()}
        done = completed <= now
        d.orders.append(WorkOrderTimeline(
            crew_code=self.crews[crew].code, dispatched_at=dispatched, auto_dispatched=auto,
            dispatched_by=dispatched_by, pre_alerted_at=pre_alerted,
            eta_seconds_at_dispatch=int(drive.total_seconds()),
            repair=repair if done else None, callback=callback if done and called <= now else None, **cut,
        ))
        if not done:
            d.active = {"crew": crew, "dispatched": dispatched, **stamp}
            self.active[crew] = d
            return None
        self.last_site[crew] = (completed, d.node)
        self._maybe_complaint(d, completed, called if called <= now else None)
        if result is not RepairResult.FIXED:
            if cls is not TicketClass.SCHEDULED:
                return completed + _minutes(60 * rng.uniform(1, 6))
            return self._working_hours(completed + _minutes(60 * rng.uniform(2, 20)))
        if not fixed_said and not unreachable and called <= now:
            return called + _minutes(60 * rng.uniform(2, 24))  # R10.3: the callback reopened it
        return None

    def _working_hours(self, at: datetime) -> datetime:
        """``at``, or the next morning when it falls outside the day shift's booking hours (08-17)."""
        local = self.local(at)
        if 8 <= local.hour < 17:
            return at
        day = local.date() if local.hour < 8 else local.date() + timedelta(days=1)
        return self.at_local(day, 8) + _minutes(self.rng.uniform(0, 120))

    def _calling_hours(self, at: datetime) -> datetime:
        local = self.local(at)
        if 9 <= local.hour < 20:
            return at
        day = local.date() if local.hour < 9 else local.date() + timedelta(days=1)
        return self.at_local(day, 9) + _minutes(self.rng.uniform(0, 90))

    def _maybe_complaint(self, d: _Draft, completed: datetime, called: datetime | None) -> None:
        rng = self.rng
        if d.complaints:
            return
        p = 0.006 + (0.07 if (d.last_score or 5) <= 2 else 0.0) + (0.015 if d.late else 0.0)
        if rng.random() >= p:
            return
        received = (called or completed) + _minutes(60 * rng.uniform(0.5, 48))
        if received > self.now:
            return
        age = self.now - received
        status = ComplaintStatus.OPEN
        resolved_at = resolution = satisfied = None
        if age > timedelta(days=7):
            resolved_at = min(self.now, received + _minutes(60 * 24 * rng.uniform(1, 6)))
            status, resolution = ComplaintStatus.RESOLVED, choice(rng, texts.RESOLUTIONS)
            satisfied = bool(rng.random() < 0.85)
        elif age > timedelta(days=1):
            status = ComplaintStatus.IN_PROGRESS
        d.complaints.append(ComplaintIn(
            received_at=received, channel=weighted(rng, ((Channel.HOTLINE, 0.6), (Channel.WECHAT, 0.25),
                                                           (Channel.WEB_APP, 0.15))),
            description=choice(rng, texts.COMPLAINTS), handler="quality", status=status,
            resolved_at=resolved_at, resolution=resolution, customer_satisfied=satisfied,
        ))


# --------------------------------------------------------------------------------------------
# Building tickets
# --------------------------------------------------------------------------------------------


def _draft(sim: _Simulator, rng: np.random.Generator, received: datetime, report: dict[str, Any], *,
           street_leak_ok: bool = True, avoid: set[int] | None = None) -> _Draft:
    """A ticket draft for ``report`` received at ``received``: customer, channel, class, slot."""
    customers = sim.customers
    area = sim.area
    symptom: Symptom = report["symptom"]
    proposed = _proposed(report)
    local = sim.local(received)
    # R4.1 channel; the counter is only open in office hours.
    channel = weighted(rng, CHANNEL_MIX)
    if channel is Channel.COUNTER and not (8 <= local.hour < 18 and local.weekday() < 6):
        channel = Channel.HOTLINE
    k = int(rng.integers(len(customers.records)))
    while avoid and k in avoid and len(avoid) < len(customers.records):
        k = int(rng.integers(len(customers.records)))
    node = int(customers.nodes[k])
    street_leak = street_leak_ok and symptom in (Symptom.GAS_LEAK, Symptom.PIPE_DAMAGE) and rng.random() < 0.15
    if street_leak:  # R5.1: a passer-by reports a leak in the street; no customer number
        customer_no = None
        reporter, phone = person_name(rng), mobile_number(rng)
        address = f"{_street(area, node)} (street, near no. {int(rng.integers(1, 3000))})"
        door = None
    else:
        rec = customers.records[k]
        customer_no = rec.customer_no
        reporter = customers.names[k] if rng.random() < 0.8 else person_name(rng, customers.names[k].split()[1])
        phone = customers.phones[k] if reporter == customers.names[k] else mobile_number(rng)
        address, door = rec.address, rec.door_no
    kind = _symptom_kind(symptom)
    started_minutes = (rng.uniform(2, 60) if kind == "emergency" else rng.uniform(10, 600) if kind == "fault"
                       else rng.uniform(600, 60 * 24 * 14))
    fault_started = received - _minutes(started_minutes)
    final = proposed
    change: dict[str, Any] = {}
    u = rng.random()
    if proposed is TicketClass.SCHEDULED and u < 0.015:
        final = TicketClass.URGENT
        change = {"class_change_reason": "Customer is elderly and has no hot water; raised to urgent.",
                  "class_changed_by": "hotline"}
    elif proposed is TicketClass.URGENT and u < 0.005 and symptom is Symptom.METER_FAULT:
        final = TicketClass.SCHEDULED
        change = {"class_change_reason": "Meter still works; customer prefers an appointment.",
                  "class_changed_by": "hotline"}
    elif (proposed is TicketClass.EMERGENCY and kind == "fault" and report["odour"] is Answer.UNKNOWN
          and report["agent_judgement"] is Judgement.GENERAL and u < 0.15):
        final = TicketClass.URGENT
        change = {"class_change_reason": "Supervisor called back: no smell of gas at the premises.",
                  "class_changed_by": "supervisor"}
    if change:
        change["class_changed_at"] = received + _minutes(rng.uniform(1, 4))
    slot: dict[str, Any] = {}
    if final is TicketClass.SCHEDULED:
        lead = int(rng.choice([1, 2, 3], p=[0.7, 0.25, 0.05]))
        day = local.date() + timedelta(days=lead)
        if day.weekday() == 6:  # no appointments on Sundays
            day += timedelta(days=1)
        start = sim.at_local(day, int(rng.choice(SLOT_HOURS)))
        slot = {"slot_start": start, "slot_end": start + SLOT_LENGTH}
    voice = channel in (Channel.HOTLINE, Channel.COUNTER)
    safety: dict[str, Any] = {}
    if TicketClass.EMERGENCY in (proposed, final):
        safety = {
            "safety_script_given_at": received + (_minutes(rng.uniform(0.5, 2)) if voice else timedelta(seconds=5)),
            "safety_script_given_by": "hotline" if voice else None,
            "major_leak": symptom is Symptom.GAS_LEAK and rng.random() < 0.2,
        }
    fields = {
        "channel": channel, "received_at": received, "reporter_name": reporter, "reporter_phone": phone,
        "address": address, "door_no": door, "customer_no": customer_no,
        "district_code": customers.district_codes[k],
        "lon": float(sim.net.lon[node]), "lat": float(sim.net.lat[node]),
        "fault_started_at": fault_started, "fault_duration_minutes": int(started_minutes),
        "description": choice(rng, texts.DESCRIPTIONS[symptom]),
        "special_requests": choice(rng, texts.SPECIAL_REQUESTS) if rng.random() < 0.06 else None,
        "ticket_class": final, "created_by": "hotline" if voice else None,
        **report, **change, **slot, **safety,
    }
    skill = Skill.LEAK_REPAIR if final is TicketClass.EMERGENCY else SKILL_FOR[symptom]
    return _Draft(fields=fields, node=node, customer=None if street_leak else k, final_class=final, skill=skill)


def _history_drafts(sim: _Simulator, rng: np.random.Generator, config: DemoConfig) -> list[_Draft]:
    now = sim.now
    start = now - timedelta(days=config.history_days)
    first_day = sim.local(start).date()
    last_day = sim.local(now).date()
    drafts = []
    weights = HOUR_PROFILE / HOUR_PROFILE.sum()
    day = first_day
    while day <= last_day:
        n = int(rng.poisson(config.arrivals_per_day))
        hours = rng.choice(24, size=n, p=weights)
        seconds = rng.integers(0, 3600, size=n)
        times = sorted(sim.at_local(day, int(h)) + timedelta(seconds=int(s)) for h, s in zip(hours, seconds, strict=True))
        for received in times:
            report = draw_report(rng)
            draft = _draft(sim, rng, received, report)
            if start <= received <= now - timedelta(minutes=1):
                drafts.append(draft)
        day += timedelta(days=1)
    return drafts


# --------------------------------------------------------------------------------------------
# The present moment: hand-placed open tickets and crew positions
# --------------------------------------------------------------------------------------------

#: (stage, class) of the reports placed at "now" so that the map shows every lifecycle stage. Listed
#: in the order crews are handed out: at night only the few night crews are free, and they should
#: show movement (en route, on site) before anything else.
PRESENT_STAGES: tuple[tuple[str, TicketClass], ...] = (
    ("new", TicketClass.EMERGENCY),
    ("en_route", TicketClass.EMERGENCY),
    ("on_site", TicketClass.URGENT),
    ("dispatched", TicketClass.URGENT),
    ("en_route", TicketClass.URGENT),
    ("acknowledged", TicketClass.URGENT),
    ("on_site", TicketClass.SCHEDULED),
    ("dispatched_ack_overdue", TicketClass.URGENT),
    ("new", TicketClass.URGENT),
    ("new", TicketClass.URGENT),
)


def _report_of_class(rng: np.random.Generator, wanted: TicketClass) -> dict[str, Any]:
    """A report drawn from the same model, kept only if the rules classify it as ``wanted``."""
    for _ in range(10_000):
        report = draw_report(rng)
        if _proposed(report) is wanted:
            return report
    raise RuntimeError(f"could not draw a class-{int(wanted)} report")  # pragma: no cover


def _present(sim: _Simulator, rng: np.random.Generator) -> list[_Draft]:
    now = sim.now
    local_now = sim.local(now)
    drafts: list[_Draft] = []
    stages = list(PRESENT_STAGES)
    if rng.random() < 0.5:
        stages.insert(1, ("new", TicketClass.EMERGENCY))
    # One open report per customer here, so two crews are never sent to the same door by chance.
    used = {d.customer for d in sim.active.values() if d.customer is not None}
    for stage, cls in stages:
        report = _report_of_class(rng, cls)
        if stage == "new":
            ago = rng.uniform(0.5, 2.5) if cls is TicketClass.EMERGENCY else rng.uniform(10, 70)
            draft = _draft(sim, rng, now - _minutes(ago), report, street_leak_ok=False, avoid=used)
            if draft.final_class is cls:
                drafts.append(draft)
                used.add(draft.customer if draft.customer is not None else -1)
            continue
        if cls is TicketClass.SCHEDULED and not 8 <= local_now.hour < 18:
            continue  # no appointment slot is running at night
        draft = _draft(sim, rng, now - _minutes(rng.uniform(200, 400)), report, street_leak_ok=False,
                       avoid=used)
        if draft.final_class is not cls:
            continue
        placed = _place(sim, rng, draft, stage)
        if placed:
            drafts.append(draft)
            used.add(draft.customer if draft.customer is not None else -1)
    return drafts


def _place(sim: _Simulator, rng: np.random.Generator, d: _Draft, stage: str) -> bool:
    """Give ``d`` an active work order at ``stage`` with an idle, on-shift crew; False if none fits."""
    now = sim.now
    hour = sim.local(now).hour
    idle = [c for c in range(len(sim.crews)) if c not in sim.active and on_shift(sim.crews[c], hour)
            and sim.busy_until[c] <= now]
    capable = [c for c in idle if d.skill in sim.crews[c].skills]
    for crew in sorted(capable, key=lambda c: (sim.depot_times[sim.crews[c].depot, d.node], c)):
        drive = sim.drive(crew, d.node, now)
        m = _minutes
        arrived = departed = acknowledged = None
        if stage in ("dispatched", "dispatched_ack_overdue"):
            dispatched = now - (m(rng.uniform(11, 15)) if stage == "dispatched_ack_overdue" else m(rng.uniform(2, 8)))
        elif stage == "acknowledged":
            acknowledged = now - m(rng.uniform(2, 10))
            dispatched = acknowledged - m(rng.uniform(1, 6))
        elif stage == "en_route":
            departed = now - drive * float(rng.uniform(0.2, 0.7))
            acknowledged = departed - m(rng.uniform(2, 6))
            dispatched = acknowledged - m(rng.uniform(0.5, 2))
        else:  # on_site
            arrived = now - m(rng.uniform(5, 45))
            if d.final_class is TicketClass.SCHEDULED:
                slot_start = sim.at_local(sim.local(now).date(), max(h for h in SLOT_HOURS if h <= hour))
                d.fields.update(slot_start=slot_start, slot_end=slot_start + SLOT_LENGTH)
                arrived = max(arrived, slot_start)
            departed = arrived - drive
            acknowledged = departed - m(rng.uniform(5, 20))
            dispatched = acknowledged - m(rng.uniform(1, 8))
        last = sim.last_site[crew]
        if last is not None and last[0] > dispatched:
            continue  # the crew was still busy then
        if d.final_class is TicketClass.SCHEDULED:  # booked the day before
            received = d.fields["slot_start"] - timedelta(days=1) - m(rng.uniform(0, 300))
        else:
            gap = rng.uniform(1, 3) if d.final_class is TicketClass.EMERGENCY else rng.uniform(15, 80)
            received = dispatched - m(gap)
        _retime(d, received)
        sim.busy_until[crew] = now + drive + m(60)
        full_arrival = arrived or (departed + drive if departed else now + drive)
        stamp = {"acknowledged_at": acknowledged, "departed_at": departed, "arrived_at": arrived,
                 "completed_at": None}
        d.orders.append(WorkOrderTimeline(
            crew_code=sim.crews[crew].code, dispatched_at=dispatched,
            auto_dispatched=False, dispatched_by="supervisor",
            pre_alerted_at=received + timedelta(seconds=10) if d.final_class is TicketClass.EMERGENCY else None,
            eta_seconds_at_dispatch=int(drive.total_seconds()), **stamp,
        ))
        d.active = {"crew": crew, "dispatched": dispatched, **stamp, "arrived_at": full_arrival}
        sim.active[crew] = d
        return True
    return False


def _retime(d: _Draft, received: datetime) -> None:
    """Move a draft's report time, keeping the intervals that hang off it."""
    shift = received - d.fields["received_at"]
    for key in ("received_at", "fault_started_at", "class_changed_at", "safety_script_given_at"):
        if d.fields.get(key) is not None:
            d.fields[key] = d.fields[key] + shift


def _path_position(net: RoadNetwork, path: np.ndarray, fraction: float) -> tuple[float, float, float | None, float | None]:
    """(lon, lat, speed km/h, heading) at ``fraction`` of the travel time along ``path``."""
    if len(path) < 2:
        node = int(path[0])
        return float(net.lon[node]), float(net.lat[node]), None, None
    graph = net.graph
    times, lengths = [], []
    for u, v in zip(path[:-1].tolist(), path[1:].tolist(), strict=True):
        lo, hi = graph.indptr[u], graph.indptr[u + 1]
        j = lo + int(np.flatnonzero(graph.indices[lo:hi] == v)[0])
        times.append(float(graph.data[j]))
        lengths.append(float(net.arc_length_m[j]))
    cum = np.concatenate([[0.0], np.cumsum(times)])
    target = min(max(fraction, 0.0), 1.0) * cum[-1]
    i = int(min(np.searchsorted(cum, target, side="right") - 1, len(times) - 1))
    within = (target - cum[i]) / times[i] if times[i] > 0 else 0.0
    u, v = int(path[i]), int(path[i + 1])
    lon = float(net.lon[u] + within * (net.lon[v] - net.lon[u]))
    lat = float(net.lat[u] + within * (net.lat[v] - net.lat[u]))
    speed = round(lengths[i] / times[i] * 3.6, 1) if times[i] > 0 else None
    return lon, lat, speed, bearing(float(net.lon[u]), float(net.lat[u]), float(net.lon[v]), float(net.lat[v]))


def _crew_states(sim: _Simulator, depots: list[DepotSpec]) -> list[CrewState]:
    now = sim.now
    net = sim.net
    hour = sim.local(now).hour
    ping_offsets = (timedelta(minutes=9), timedelta(minutes=6), timedelta(minutes=3), timedelta(0))
    states = []
    for c, crew in enumerate(sim.crews):
        depot = depots[crew.depot]
        d = sim.active.get(c)
        pings: list[Ping] = []
        if d is not None and d.active is not None:
            a = d.active
            if a["arrived_at"] is not None and a["arrived_at"] <= now:
                status = CrewStatus.ON_SITE
            elif a["departed_at"] is not None and a["departed_at"] <= now:
                status = CrewStatus.EN_ROUTE
            else:
                status = CrewStatus.DISPATCHED
            path = net.path(depot.node, d.node) if status is not CrewStatus.DISPATCHED else None
            for off in ping_offsets:
                at = now - off
                if status is CrewStatus.DISPATCHED or a["departed_at"] is None or at < a["departed_at"]:
                    pings.append(Ping(at, depot.lon, depot.lat, 0.0, None))
                    continue
                assert path is not None
                total = (a["arrived_at"] - a["departed_at"]).total_seconds()
                fraction = (at - a["departed_at"]).total_seconds() / total if total > 0 else 1.0
                if fraction >= 1.0:
                    pings.append(Ping(at, float(net.lon[d.node]), float(net.lat[d.node]), 0.0, None))
                else:
                    lon, lat, speed, heading = _path_position(net, path, fraction)
                    pings.append(Ping(at, lon, lat, speed, heading))
        elif on_shift(crew, hour):
            status = CrewStatus.AVAILABLE
            last = sim.last_site[c]
            if last is not None and now - last[0] <= timedelta(minutes=60):
                lon, lat = float(net.lon[last[1]]), float(net.lat[last[1]])
            else:
                lon, lat = depot.lon, depot.lat
            pings = [Ping(now - off, lon, lat, 0.0, None) for off in ping_offsets]
        else:
            status = CrewStatus.OFF_SHIFT
            local_now = sim.local(now)
            end = sim.at_local(local_now.date(), crew.shift_end_hour % 24)
            if end > now:
                end -= timedelta(days=1)
            pings = [Ping(end, depot.lon, depot.lat, 0.0, None)]
        states.append(CrewState(crew.code, status, tuple(pings)))
    return states


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def build_scenario(area: ServiceArea, *, seed: int, now: datetime, timezone: str,
                   config: DemoConfig | None = None) -> Scenario:
    """The whole demo as plain records, deterministic for (area, seed, now, timezone, config)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    config = config or DemoConfig()
    now = now.astimezone(UTC).replace(microsecond=0)
    zone = ZoneInfo(timezone)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)]
    rng_people, rng_crews, rng_history, rng_present, _spare = streams

    districts, geoms = _districts(area)
    if not geoms:
        raise ValueError("the service area has no districts to place customers in")
    owner = _node_districts(area.network, geoms)
    if (owner < 0).all():
        raise ValueError("no road network node lies inside any district")
    customers = _customers(rng_people, area, geoms, owner, config)
    depots = _depots(area.network, geoms, owner)
    crews = _crews(rng_crews, depots, config)
    users = _users(rng_crews, crews)

    sim = _Simulator(area, zone, now, crews, depots, customers, rng_history)
    history = _history_drafts(sim, rng_history, config)
    sim.run(history)
    sim.rng = rng_present
    present = _present(sim, rng_present)
    drafts = sorted(history + present, key=lambda d: d.fields["received_at"])

    tickets = []
    per_day: dict[date, int] = {}
    for d in drafts:
        day = sim.local(d.fields["received_at"]).date()
        per_day[day] = per_day.get(day, 0) + 1
        tickets.append(HistoricalTicket(
            ticket_no=f"GD-{day:%Y%m%d}-{per_day[day]:03d}",
            work_orders=tuple(d.orders), complaints=tuple(d.complaints), **d.fields,
        ))
    states = _crew_states(sim, depots)
    open_count = sum(1 for t in tickets if _is_open(t))
    stats = {"history": len(tickets) - open_count, "open": open_count, "present_placed": len(present)}
    return Scenario(districts, customers.records, depots, crews, users, tickets, states, stats)


def _is_open(ticket: HistoricalTicket) -> bool:
    """Mirror of the importer's status rule, for the summary line only."""
    if not ticket.work_orders:
        return True
    last = ticket.work_orders[-1]
    if last.completed_at is None:
        return True
    repair_ok = last.repair is not None and RepairResult(last.repair.result) is RepairResult.FIXED
    said_no = last.callback is not None and last.callback.fully_fixed == Answer.NO
    return not repair_ok or said_no


__all__ = [
    "DEMO_USERS",
    "CrewSpec",
    "CrewState",
    "DemoConfig",
    "DepotSpec",
    "Ping",
    "Scenario",
    "UserSpec",
    "build_scenario",
    "on_shift",
]
