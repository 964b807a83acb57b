"""The coverage read model: the one reader the coverage page, the API and the benchmark use.

Who can reach where within T minutes, from the crews' live positions or from the depots of a planned
shift, at a chosen hour's speeds; what is lost when one crew (or one depot's crews) is unavailable;
and MEXCLP's expected coverage with the busy fraction fitted from history. The computation is
:mod:`optimizer.coverage`; this module reads the database (crews, customers, districts, work orders)
per call and caches what belongs to the network (node → hex, node weights, crew-time matrices).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

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
    "reachable_crews",
    "risk_hexes",
]


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
    tier: int = 0                     # 0: ≤ 15 min, 1: ≤ 30, 2: ≤ T (when T > 30), 3: beyond
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


def coverage(db: Session, network: RoadNetwork, now: datetime, query: CoverageQuery) -> CoverageReport:
    """The coverage report for ``query``; raises :class:`ops.errors.ServiceError` naming each bad parameter."""
    raise NotImplementedError


def reachable_crews(db: Session, network: RoadNetwork, now: datetime, lon: float, lat: float, minutes: int,
                    hour: int | None = None) -> list[ReachableCrew]:
    """Crews on shift that can reach (lon, lat) within ``minutes``, fastest first (one reverse search)."""
    raise NotImplementedError


def demand(db: Session, network: RoadNetwork, now: datetime, since: datetime, until: datetime,
           classes: tuple[int, ...] = (1, 2), resolution: int = 8) -> list[DemandHex]:
    """Tickets of ``classes`` reported in [since, until) per hex."""
    raise NotImplementedError


def risk_hexes(report: CoverageReport, demand_hexes: list[DemandHex], *, top: int = 20) -> list[RiskHex]:
    """Hexes with class-1 demand and coverage worse than the query's threshold, worst first."""
    raise NotImplementedError
