"""The coverage read model: the one reader the coverage page, the API and the benchmark use.

Who can reach where within T minutes, from the crews' live positions or from the depots of a planned
shift, at a chosen hour's speeds; what is lost when one crew (or one depot's crews) is unavailable;
and MEXCLP's expected coverage with the busy fraction fitted from history. The computation is
:mod:`optimizer.coverage`; this module reads the database (crews, customers, districts, work orders)
per call and caches what belongs to the network (node → hex, node weights, crew-time matrices).
"""

from __future__ import annotations

import math
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops.coverage_weights import NodeDistricts, customers_per_node, node_districts, node_weights
from ops.errors import Problems, check_aware
from ops.models import Crew, Depot, Ticket, WorkOrder
from ops.reads.schedule import ON_SHIFT
from ops.rules import to_local
from ops.shifts import shift_for
from ops.vocabulary import CrewStatus, ShiftPattern
from optimizer.coverage import (
    DEFAULT_LIMIT_MIN,
    HexIndex,
    expected_from_counts,
    hex_index,
    hex_median,
    hex_sum,
    nearest_minutes,
    reach_counts,
    reverse_times,
    weighted_quantile,
    weighted_share,
)
from optimizer.network import RoadNetwork

__all__ = [
    "CoverageQuery",
    "CoverageReport",
    "CoverageSource",
    "DemandHex",
    "HexCoverage",
    "ReachableCrew",
    "RiskHex",
    "coverage",
    "demand",
    "depot_names",
    "excluded",
    "live_sources",
    "plan_sources",
    "reachable_crews",
    "risk_hexes",
    "validate",
    "whole_number",
]

MINUTES_MAX = DEFAULT_LIMIT_MIN
RESOLUTIONS = range(7, 11)
MODES = ("live", "plan")
SCOPES = ("available", "on_shift")
#: The thresholds the page's stepped colour scale and the headline figures always show.
HEADLINE_MINUTES = (15, 30)
#: The busy fraction is fitted over this much history ...
BUSY_HISTORY = timedelta(days=28)
#: ... kept below this (at q = 1 MEXCLP says nothing is ever covered) ...
BUSY_MAX = 0.95
#: ... and, without any history, taken as this: a utility crew spends about a fifth of its shift on
#: repairs in a normal week (the staffing notes' simulation at 5 crews); the report says it was not fitted.
DEFAULT_BUSY_FRACTION = 0.2
#: The period of tickets the risk view counts when none is chosen.
DEMAND_PERIOD = timedelta(days=28)


@dataclass(frozen=True)
class CoverageQuery:
    """What the page's controls (or the API's parameters) ask for; validated by :func:`coverage`."""

    minutes: int = 30                 # 1..180
    mode: str = "live"                # "live" | "plan"
    scope: str = "available"          # live: "available" crews only | "on_shift" (every crew on shift)
    shift: str | None = None          # plan: "day" | "night" (ops.vocabulary.ShiftPattern)
    weekday: int | None = None        # plan: 0=Monday..6; default today
    hour: int | None = None           # 0..23 local; None = now's local hour (hourly speed factors)
    exclude_crew: int | None = None   # what-if: this crew unavailable
    exclude_depot: int | None = None  # what-if: this depot's crews unavailable
    resolution: int = 8               # H3 resolution 7..10


@dataclass(frozen=True)
class CoverageSource:
    """A crew whose position the figures start from (live: last position; plan: its depot)."""

    crew_id: int
    code: str
    lon: float
    lat: float
    node: int
    depot_id: int | None


@dataclass(frozen=True)
class HexCoverage:
    """One H3 hexagon: its median drive time from the nearest crew and what lives in it."""

    hex_id: str                       # H3 id as a string (integer ids overflow JavaScript numbers)
    minutes: float | None             # None: no crew reaches it within the search limit
    population: float
    customers: int
    nodes: int
    district: str | None              # code of the district holding most of its nodes
    expected: float                   # MEXCLP: mean over its nodes of P(some free crew within T)
    boundary: list[list[float]]       # [[lng, lat], ...] closed ring (GeoJSON order)
    minutes_before: float | None = None  # what-if: the minutes with every crew available
    tier: int = 0                     # the band of tiers(): thresholds 15, 30 and T in order, then beyond
    tier_before: int = 0


@dataclass(frozen=True)
class CoverageReport:
    """Everything the coverage page shows for one query."""

    query: CoverageQuery
    hour: int
    weight_kind: str                  # "population" | "customers" | "nodes": what the shares weigh
    sources: list[CoverageSource]
    hexes: list[HexCoverage]
    population_share_15: float
    population_share_30: float
    population_share: float           # within query.minutes
    customer_share_15: float
    customer_share_30: float
    customer_share: float
    share: float                      # within query.minutes, by weight_kind
    p90_minutes: float | None         # by weight_kind; None: 90% is never reached
    busy_fraction: float
    busy_fitted: bool                 # False: no history, the default was used
    expected_share: float             # by weight_kind: mean P(some free crew within T)
    # What-if (None/empty when nothing is excluded):
    excluded: list[CoverageSource] = field(default_factory=list)
    baseline_share: float | None = None
    baseline_population_share: float | None = None
    baseline_customer_share: float | None = None
    lost_population: float = 0.0     # people who drop out of query.minutes
    lost_customers: int = 0
    changed_hexes: list[str] = field(default_factory=list)  # hexes whose tier changed


@dataclass(frozen=True)
class ReachableCrew:
    crew_id: int
    code: str
    status: str
    minutes: float


@dataclass(frozen=True)
class DemandHex:
    hex_id: str
    class1: int
    class2: int
    ticket_ids: tuple[int, ...]


@dataclass(frozen=True)
class RiskHex:
    """A hex with much class-1 demand and poor coverage, with what the page lists for it."""

    hex_id: str
    district: str | None
    class1: int
    minutes: float | None
    expected: float
    population: float
    ticket_ids: tuple[int, ...]


def validate(db: Session, query: CoverageQuery) -> None:
    """Refuse a query naming every bad parameter at once (422 at the API, a message on the page)."""
    found = Problems()
    if not whole_number(query.minutes) or not 1 <= query.minutes <= MINUTES_MAX:
        found.add("coverage.minutes", "minutes", {"max": MINUTES_MAX})
    if query.mode not in MODES:
        found.add("coverage.mode", "mode")
    if query.scope not in SCOPES:
        found.add("coverage.scope", "scope")
    if query.shift is not None and query.shift not in {p.value for p in ShiftPattern}:
        found.add("coverage.shift", "shift", {"value": query.shift})
    if query.weekday is not None and (not whole_number(query.weekday) or not 0 <= query.weekday <= 6):
        found.add("coverage.weekday", "weekday")
    if query.hour is not None and (not whole_number(query.hour) or not 0 <= query.hour <= 23):
        found.add("coverage.hour", "hour")
    if not whole_number(query.resolution) or query.resolution not in RESOLUTIONS:
        found.add("coverage.resolution", "resolution", {"min": RESOLUTIONS.start, "max": RESOLUTIONS.stop - 1})
    if query.exclude_crew is not None and (
            not whole_number(query.exclude_crew) or db.get(Crew, query.exclude_crew) is None):
        found.add("coverage.crew_unknown", "exclude_crew", {"value": query.exclude_crew})
    if query.exclude_depot is not None and (
            not whole_number(query.exclude_depot) or db.get(Depot, query.exclude_depot) is None):
        found.add("depot.not_found", "exclude_depot", {"value": query.exclude_depot})
    found.raise_if_any()


def whole_number(value: object) -> bool:
    """A whole number an INTEGER column can hold (``True`` is not a number of anything)."""
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**31


def coverage(db: Session, network: RoadNetwork, now: datetime, query: CoverageQuery) -> CoverageReport:
    """The coverage report for ``query``; raises :class:`ops.errors.ServiceError` naming each bad parameter.

    Shares and the 90th percentile are computed over road nodes weighted by ``weight_kind``; the hexes
    only draw them. With an exclusion, the figures are those without the excluded crews, and the
    ``baseline_*`` fields and ``minutes_before`` give the figures with every crew.
    """
    check_aware(now, "now")
    validate(db, query)
    hour = query.hour if query.hour is not None else to_local(now).hour
    sources = live_sources(db, network, query.scope) if query.mode == "live" else \
        plan_sources(db, network, now, query)
    gone = [i for i, s in enumerate(sources) if excluded(query, s)]
    nodes = [s.node for s in sources]
    kept = [n for i, n in enumerate(nodes) if i not in gone]
    before = cached_search(network, ("nearest", hour, tuple(nodes)),
                           lambda: nearest_minutes(network, nodes, hour=hour))
    after = cached_search(network, ("nearest", hour, tuple(kept)),
                          lambda: nearest_minutes(network, kept, hour=hour)) if gone else before

    areas = node_districts(db, network)
    customers = customers_per_node(db, network)
    kind, weights = node_weights(areas.population, customers)
    busy, fitted = busy_fraction(db, now)
    limit = query.minutes
    counts = cached_search(network, ("reach", hour, tuple(kept), limit),
                           lambda: reach_counts(network, kept, limit, hour=hour))
    expected = expected_from_counts(counts, busy)
    total_weight = float(weights.sum())

    def shares(minutes: np.ndarray) -> dict[str, float]:
        return {
            "population_share_15": weighted_share(minutes, areas.population, 15),
            "population_share_30": weighted_share(minutes, areas.population, 30),
            "population_share": weighted_share(minutes, areas.population, limit),
            "customer_share_15": weighted_share(minutes, customers, 15),
            "customer_share_30": weighted_share(minutes, customers, 30),
            "customer_share": weighted_share(minutes, customers, limit),
            "share": weighted_share(minutes, weights, limit),
        }

    now_shares = shares(after)
    p90 = weighted_quantile(after, weights, 0.9)
    hexes, changed = _hexes(hex_index(network, query.resolution), areas, customers, after, before, expected, limit,
                            excluded=bool(gone))
    what_if = {}
    if gone:
        base = shares(before)
        dropped = (before <= limit) & (after > limit)
        what_if = {"excluded": [sources[i] for i in gone], "baseline_share": base["share"],
                   "baseline_population_share": base["population_share"],
                   "baseline_customer_share": base["customer_share"],
                   "lost_population": float(areas.population[dropped].sum()),
                   "lost_customers": round(customers[dropped].sum()), "changed_hexes": changed}
    return CoverageReport(
        query=query, hour=hour, weight_kind=kind, sources=[s for i, s in enumerate(sources) if i not in gone],
        hexes=hexes, **now_shares, p90_minutes=p90 if math.isfinite(p90) else None, busy_fraction=busy,
        busy_fitted=fitted, expected_share=float((weights * expected).sum() / total_weight) if total_weight else 0.0,
        **what_if,
    )


def excluded(query: CoverageQuery, source: CoverageSource) -> bool:
    """Whether the what-if of ``query`` takes ``source`` away (its crew, or its depot's crews)."""
    return ((query.exclude_crew is not None and source.crew_id == query.exclude_crew)
            or (query.exclude_depot is not None and source.depot_id == query.exclude_depot))


def tiers(minutes: np.ndarray, limit: int) -> np.ndarray:
    """0: within 15 min, 1: within 30, then within ``limit`` if it is another threshold, then beyond."""
    thresholds = np.asarray(sorted({*HEADLINE_MINUTES, limit}), dtype=float)
    return np.searchsorted(thresholds, minutes, side="left")


def _hexes(index: HexIndex, areas: NodeDistricts, customers: np.ndarray, after: np.ndarray, before: np.ndarray,
           expected: np.ndarray, limit: int, *, excluded: bool) -> tuple[list[HexCoverage], list[str]]:
    minutes = hex_median(index, after)
    minutes_before = hex_median(index, before) if excluded else minutes
    tier, tier_before = tiers(minutes, limit), tiers(minutes_before, limit)
    population = hex_sum(index, areas.population)
    n_customers = hex_sum(index, customers)
    mean_expected = hex_sum(index, expected) / index.counts
    district = _hex_districts(index, areas.node_district, len(areas.codes))
    out, changed = [], []
    for h, hex_id in enumerate(index.hex_ids):
        if tier[h] != tier_before[h]:
            changed.append(hex_id)
        out.append(HexCoverage(
            hex_id=hex_id, minutes=_finite(minutes[h]), population=float(population[h]),
            customers=round(n_customers[h]), nodes=int(index.counts[h]),
            district=areas.codes[district[h]] if district[h] >= 0 else None, expected=float(mean_expected[h]),
            boundary=[list(p) for p in index.boundaries[h]],
            minutes_before=_finite(minutes_before[h]), tier=int(tier[h]), tier_before=int(tier_before[h])))
    return out, changed


def _finite(value: float) -> float | None:
    return round(float(value), 2) if math.isfinite(value) else None


def _hex_districts(index: HexIndex, node_district: np.ndarray, n_districts: int) -> np.ndarray:
    """Per hex, the district holding most of its nodes (-1: none); ties go to the first by code."""
    result = np.full(len(index.hex_ids), -1, dtype=np.int64)
    inside = node_district >= 0
    if not inside.any():
        return result
    key = index.node_hex[inside] * n_districts + node_district[inside]
    pairs, counts = np.unique(key, return_counts=True)
    hexes, districts = pairs // n_districts, pairs % n_districts
    order = np.lexsort((districts, -counts, hexes))  # per hex: most nodes first, then lowest code
    first = np.ones(len(order), dtype=bool)
    first[1:] = hexes[order][1:] != hexes[order][:-1]
    result[hexes[order][first]] = districts[order][first]
    return result


# ----------------------------------------------------------------------------- sources
def live_sources(db: Session, network: RoadNetwork, scope: str) -> list[CoverageSource]:
    """Crews at their last known position: the available ones, or every crew on shift."""
    statuses = (CrewStatus.AVAILABLE,) if scope == "available" else ON_SHIFT
    rows = db.execute(sa.select(Crew.id, Crew.code, Crew.last_lon, Crew.last_lat, Crew.depot_id)
                      .where(Crew.active.is_(True), Crew.status.in_(statuses), Crew.last_lon.is_not(None),
                             Crew.last_lat.is_not(None)).order_by(Crew.code)).all()
    return _placed(network, [(r.id, r.code, r.last_lon, r.last_lat, r.depot_id) for r in rows])


def plan_day(now: datetime, weekday: int | None) -> datetime:
    """The local date planned for: the next ``weekday`` from today (today itself if it matches)."""
    today = to_local(now).date()
    ahead = 0 if weekday is None else (weekday - today.weekday()) % 7
    return today + timedelta(days=ahead)


def plan_sources(db: Session, network: RoadNetwork, now: datetime, query: CoverageQuery) -> list[CoverageSource]:
    """Crews whose roster works the chosen shift on the chosen weekday, placed at their depot."""
    day = plan_day(now, query.weekday)
    stmt = (sa.select(Crew, Depot.lon, Depot.lat).join(Depot, Crew.depot_id == Depot.id)
            .where(Crew.active.is_(True)).order_by(Crew.code))
    if query.shift is not None:
        stmt = stmt.where(Crew.shift_pattern == ShiftPattern(query.shift))
    rows = [(c.id, c.code, lon, lat, c.depot_id) for c, lon, lat in db.execute(stmt).all()
            if shift_for(c, day) is not None]
    return _placed(network, rows)


def _placed(network: RoadNetwork, rows: list[tuple[int, str, float, float, int | None]]) -> list[CoverageSource]:
    if not rows:
        return []
    nodes = network.snap([r[2] for r in rows], [r[3] for r in rows])[0]
    return [CoverageSource(crew_id=r[0], code=r[1], lon=float(r[2]), lat=float(r[3]), node=int(n), depot_id=r[4])
            for r, n in zip(rows, nodes.tolist(), strict=True)]


_SEARCHES: weakref.WeakKeyDictionary[RoadNetwork, OrderedDict[tuple, np.ndarray]] = weakref.WeakKeyDictionary()
_SEARCHES_KEPT = 32


def cached_search(network: RoadNetwork, key: tuple, compute: Callable[[], np.ndarray]) -> np.ndarray:
    """A per-node search result (nearest minutes, reach counts) for ``key`` (its kind, the hour, the
    crews' nodes, ...), kept for the last few keys.

    Changing the view or the resolution on the page reuses the searches; a crew moving, another crew
    set, another hour or threshold searches again, which costs milliseconds (one seeded search for
    the nearest crew; searches stopped at the threshold for the reach counts).
    """
    per_net = _SEARCHES.setdefault(network, OrderedDict())
    found = per_net.get(key)
    if found is None:
        found = compute()
        found.setflags(write=False)
        per_net[key] = found
        while len(per_net) > _SEARCHES_KEPT:
            per_net.popitem(last=False)
    else:
        per_net.move_to_end(key)
    return found


def depot_names(db: Session, ids: list[int]) -> dict[int, str]:
    """Depot names by id, for the planned what-if's choice of a depot to take off."""
    if not ids:
        return {}
    return dict(db.execute(sa.select(Depot.id, Depot.name).where(Depot.id.in_(ids))).tuples().all())


# ----------------------------------------------------------------------------- busy fraction
def busy_fraction(db: Session, now: datetime) -> tuple[float, bool]:
    """The share of crews' on-shift time spent on work orders (dispatched → completed) over 28 days.

    Each order counts from dispatch to completion (or cancellation, or now if still open), clipped to
    the window; shift time is every active crew's rostered shifts (:func:`ops.shifts.shift_for`)
    clipped likewise. Clamped to [0, 0.95]; with no order or no shift time in the window, returns
    :data:`DEFAULT_BUSY_FRACTION` and ``False`` (not fitted).
    """
    start = now - BUSY_HISTORY
    end_col = sa.func.coalesce(WorkOrder.completed_at, WorkOrder.cancelled_at)
    orders = db.execute(sa.select(WorkOrder.dispatched_at, end_col)
                        .where(WorkOrder.dispatched_at < now, sa.or_(end_col.is_(None), end_col > start))).all()
    busy = sum(max(0.0, (min(e or now, now) - max(d, start)).total_seconds()) for d, e in orders)
    shift_s = 0.0
    first_day = to_local(start).date() - timedelta(days=1)
    days = [first_day + timedelta(days=i) for i in range((to_local(now).date() - first_day).days + 1)]
    for crew in db.scalars(sa.select(Crew).where(Crew.active.is_(True))):
        for day in days:
            shift = shift_for(crew, day)
            if shift is not None:
                shift_s += max(0.0, (min(shift[1], now) - max(shift[0], start)).total_seconds())
    if busy <= 0 or shift_s <= 0:
        return DEFAULT_BUSY_FRACTION, False
    return min(max(busy / shift_s, 0.0), BUSY_MAX), True


# ----------------------------------------------------------------------------- reverse search, demand, risk
def reachable_crews(db: Session, network: RoadNetwork, now: datetime, lon: float, lat: float, minutes: int,
                    hour: int | None = None) -> list[ReachableCrew]:
    """Crews on shift that can reach (lon, lat) within ``minutes``, fastest first (one reverse search)."""
    found = Problems()
    if not whole_number(minutes) or not 1 <= minutes <= MINUTES_MAX:
        found.add("coverage.minutes", "minutes", {"max": MINUTES_MAX})
    if hour is not None and (not whole_number(hour) or not 0 <= hour <= 23):
        found.add("coverage.hour", "hour")
    if not (isinstance(lon, int | float) and isinstance(lat, int | float) and -180 <= lon <= 180
            and -90 <= lat <= 90):
        found.add("location.invalid", "lon")
    found.raise_if_any()
    hour = hour if hour is not None else to_local(now).hour
    target = int(network.snap(lon, lat)[0][0])
    back = reverse_times(network, target, hour=hour)
    rows = db.execute(sa.select(Crew.id, Crew.code, Crew.status, Crew.last_lon, Crew.last_lat)
                      .where(Crew.active.is_(True), Crew.status.in_(ON_SHIFT), Crew.last_lon.is_not(None),
                             Crew.last_lat.is_not(None))).all()
    if not rows:
        return []
    nodes = network.snap([r.last_lon for r in rows], [r.last_lat for r in rows])[0]
    out = [ReachableCrew(crew_id=r.id, code=r.code, status=str(r.status), minutes=round(float(back[n]), 2))
           for r, n in zip(rows, nodes.tolist(), strict=True) if back[n] <= minutes]
    return sorted(out, key=lambda c: (c.minutes, c.code))


def demand(db: Session, network: RoadNetwork, now: datetime, since: datetime, until: datetime,
           classes: tuple[int, ...] = (1, 2), resolution: int = 8) -> list[DemandHex]:
    """Tickets of ``classes`` received in [since, until) per hex, most class-1 first.

    A ticket counts in the hex of its nearest road node, so demand lands on the same hexes as the
    coverage figures (a ticket on a beach with no road counts where a crew would stop).
    """
    check_aware(since, "since")
    check_aware(until, "until")
    found = Problems()
    if until <= since:
        found.add("coverage.period", "until")
    if not whole_number(resolution) or resolution not in RESOLUTIONS:
        found.add("coverage.resolution", "resolution", {"min": RESOLUTIONS.start, "max": RESOLUTIONS.stop - 1})
    found.raise_if_any()
    rows = db.execute(sa.select(Ticket.id, Ticket.ticket_class, Ticket.lon, Ticket.lat)
                      .where(Ticket.received_at >= since, Ticket.received_at < until,
                             Ticket.ticket_class.in_(list(classes))).order_by(Ticket.id)).all()
    if not rows:
        return []
    index = hex_index(network, resolution)
    hexes = index.node_hex[network.snap([r.lon for r in rows], [r.lat for r in rows])[0]]
    per_hex: dict[int, list] = {}
    for r, h in zip(rows, hexes.tolist(), strict=True):
        per_hex.setdefault(h, []).append(r)
    out = [DemandHex(hex_id=index.hex_ids[h], class1=sum(int(r.ticket_class) == 1 for r in rs),
                     class2=sum(int(r.ticket_class) == 2 for r in rs), ticket_ids=tuple(r.id for r in rs))
           for h, rs in per_hex.items()]
    return sorted(out, key=lambda d: (-d.class1, -d.class2, d.hex_id))


def risk_hexes(report: CoverageReport, demand_hexes: list[DemandHex], *, top: int = 20) -> list[RiskHex]:
    """Hexes with class-1 demand and poor coverage, worst first.

    Poor: the median time is beyond the query's minutes, or MEXCLP's chance that a free crew is in
    reach is under 90%. Worst first by class-1 count × (1 − expected): the class-1 calls expected to
    find no free crew in time. ``demand_hexes`` must be at the report's resolution.
    """
    by_id = {h.hex_id: h for h in report.hexes}
    risky = []
    for d in demand_hexes:
        h = by_id.get(d.hex_id)
        if h is None or d.class1 == 0:
            continue
        if h.minutes is None or h.minutes > report.query.minutes or h.expected < 0.9:
            risky.append(RiskHex(hex_id=d.hex_id, district=h.district, class1=d.class1, minutes=h.minutes,
                                 expected=h.expected, population=h.population, ticket_ids=d.ticket_ids))
    risky.sort(key=lambda r: (-r.class1 * (1.0 - r.expected), -(r.minutes or math.inf), r.hex_id))
    return risky[:top]
