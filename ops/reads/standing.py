"""Where to stand (issue 13): the one reader behind the coverage page's suggestion and its API.

The idle crews are moved to waiting places that cover more of the service area within T minutes
(:func:`optimizer.covering.suggest_positions`, MCLP, or MEXCLP with the fitted busy fraction); the
crews that are not idle stay where they are and still count, since a crew on a job covers its
surroundings once it is done. The measure, the crews and the weights are the coverage report's
(:mod:`ops.reads.coverage`): standing still here is what the map shows for the same query, so the
gain is read against the figure the manager is looking at.

Which crews may move:

- live: the crews of the query's scope at their last position; those available *and* holding no
  order (current or queued) may move, as a standby can only go to them
  (:func:`ops.services.standby.send_standby`); every other one is fixed where it is;
- plan: every planned crew (at its depot) may move: the suggestion is where to station them.

``crews=N`` moves at most N of them: the N whose place adds least to the coverage as it stands
(MCLP: the weight only they reach; MEXCLP: the expected weight lost without them), ties by code.
Taking them away costs least, so they are the ones to send elsewhere; the others stay fixed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops.coverage_weights import customers_per_node, node_districts, node_weights
from ops.errors import Problems, ServiceError, check_aware
from ops.models import Crew, Depot, WorkOrder
from ops.queries import order_is_active
from ops.reads.coverage import (
    CoverageQuery,
    CoverageSource,
    busy_fraction,
    excluded,
    live_sources,
    plan_sources,
    validate,
    whole_number,
)
from ops.rules import to_local
from ops.vocabulary import CrewStatus
from optimizer.covering import candidate_nodes, cover_matrix, suggest_positions
from optimizer.network import RoadNetwork

__all__ = ["MODELS", "StandingMove", "StandingSuggestion", "suggest_standing"]

MODELS = ("mclp", "mexclp")
#: How long the MIP may run for one suggestion (the page waits for it; a stopped solver's answer is
#: still never worse than standing still).
TIME_LIMIT_S = 1.5


@dataclass(frozen=True)
class StandingMove:
    """Send crew ``crew_id`` from where it is to a waiting place ``minutes`` of driving away."""

    crew_id: int
    code: str
    from_lon: float
    from_lat: float
    to_lon: float
    to_lat: float
    to_node: int
    street: str | None     # a street at the target node (None: unnamed, or no names given)
    district: str | None   # code of the district holding the target node
    minutes: float
    from_street: str | None = None    # the same for the node the crew leaves
    from_district: str | None = None


@dataclass(frozen=True)
class StandingSuggestion:
    """The moves and the coverage within ``query.minutes`` standing still against after them.

    ``covered_*`` is weight of ``weight_kind`` (MEXCLP: expected weight, the chance that a free crew
    is within reach), ``share_*`` the same over the total; both count the fixed crews too.
    """

    query: CoverageQuery
    hour: int
    model: str
    weight_kind: str
    busy_fraction: float | None   # MEXCLP only
    busy_fitted: bool | None
    movable: list[CoverageSource]
    fixed: list[CoverageSource]
    moves: list[StandingMove]
    covered_before: float
    covered_after: float
    share_before: float
    share_after: float
    total_weight: float
    status: str                   # the solver's: optimal | feasible | greedy | not_solved


def _check(db: Session, query: CoverageQuery, crews: int | None, model: str) -> None:
    """Every bad parameter at once: the coverage query's, the count of crews and the model."""
    found = Problems()
    try:
        validate(db, query)
    except ServiceError as exc:
        for p in exc.problems:
            found.add(p.code, p.field, p.params)
    if crews is not None and (not whole_number(crews) or crews < 1):
        found.add("coverage.crews", "crews")
    if model not in MODELS:
        found.add("coverage.model", "model")
    found.raise_if_any()


def _idle_ids(db: Session) -> set[int]:
    """Crews a standby can go to: available and holding no order, current or queued."""
    busy = sa.select(WorkOrder.crew_id).where(WorkOrder.crew_id.is_not(None), order_is_active())
    return set(db.scalars(sa.select(Crew.id).where(Crew.status == CrewStatus.AVAILABLE, Crew.id.not_in(busy))))


def _least_needed(network: RoadNetwork, movable: list[CoverageSource], fixed: list[CoverageSource],
                  weights: np.ndarray, minutes: int, hour: int, busy: float | None, n: int) -> list[int]:
    """Indices (into ``movable``) of the ``n`` crews whose place adds least to coverage as it stands."""
    demand = np.flatnonzero(weights > 0)
    nodes = [s.node for s in movable] + [s.node for s in fixed]
    reach = cover_matrix(network, nodes, demand, minutes, hour=hour)
    counts = reach.sum(axis=0)
    w = weights[demand]
    if busy is None:
        loss = reach[: len(movable)] @ np.where(counts == 1, w, 0.0)
    else:  # the k-th crew in reach adds (1 - q) q^(k-1) of the weight
        loss = reach[: len(movable)] @ (w * (1.0 - busy) * busy ** np.maximum(counts - 1, 0))
    order = sorted(range(len(movable)), key=lambda i: (float(loss[i]), movable[i].code))
    return sorted(order[:n])


def suggest_standing(
    db: Session, network: RoadNetwork, now: datetime, query: CoverageQuery, *, crews: int | None = None,
    model: str = "mclp", streets: Sequence[str] | None = None,
) -> StandingSuggestion:
    """Where the idle crews of ``query`` should wait to cover most within ``query.minutes``.

    ``crews``: move at most this many (see the module docstring for which); None: every idle crew.
    ``model``: ``mclp`` (covered weight) or ``mexclp`` (expected covered weight at the busy fraction
    fitted from history). ``streets`` (the service area's ``node_street``) names the target street.
    ``query.resolution`` is the H3 resolution the demand is grouped at for the solver; the verdict
    is always taken on the road nodes. ``scope``, ``mode``, ``shift``, ``weekday``, ``hour`` and the
    exclusions choose the crews as for the coverage map. Raises :class:`ops.errors.ServiceError`
    naming every bad parameter.
    """
    check_aware(now, "now")
    _check(db, query, crews, model)
    hour = query.hour if query.hour is not None else to_local(now).hour
    if query.mode == "live":
        sources = [s for s in live_sources(db, network, query.scope) if not excluded(query, s)]
        idle = _idle_ids(db)
        movable = [s for s in sources if s.crew_id in idle]
    else:
        sources = [s for s in plan_sources(db, network, now, query) if not excluded(query, s)]
        movable = list(sources)
    if crews is not None and crews > len(movable):
        raise ServiceError("coverage.crews_idle", "crews", {"max": len(movable)})
    fixed = [s for s in sources if s not in movable]

    areas = node_districts(db, network)
    kind, weights = node_weights(areas.population, customers_per_node(db, network))
    busy, fitted = busy_fraction(db, now) if model == "mexclp" else (None, None)
    if crews is not None and crews < len(movable):
        keep = _least_needed(network, movable, fixed, weights, query.minutes, hour, busy, crews)
        fixed += [s for i, s in enumerate(movable) if i not in keep]
        movable = [movable[i] for i in keep]

    depots = db.execute(sa.select(Depot.lon, Depot.lat).order_by(Depot.id)).all()
    depot_nodes = network.snap([d.lon for d in depots], [d.lat for d in depots])[0].tolist() if depots else []
    plan = suggest_positions(
        network, [s.node for s in movable], weights, query.minutes, hour=hour,
        candidates=candidate_nodes(network, depot_nodes), busy=busy, hex_resolution=query.resolution,
        time_limit_s=TIME_LIMIT_S, fixed_nodes=[s.node for s in fixed])

    def district(node: int) -> str | None:
        i = int(areas.node_district[node])
        return areas.codes[i] if i >= 0 else None

    def street(node: int) -> str | None:
        return (streets[node] or None) if streets is not None else None

    moves = [StandingMove(
        crew_id=movable[m.crew].crew_id, code=movable[m.crew].code, from_lon=movable[m.crew].lon,
        from_lat=movable[m.crew].lat, to_lon=float(network.lon[m.to_node]), to_lat=float(network.lat[m.to_node]),
        to_node=m.to_node, street=street(m.to_node), district=district(m.to_node), minutes=round(m.minutes, 2),
        from_street=street(m.from_node), from_district=district(m.from_node)) for m in plan.moves]
    return StandingSuggestion(
        query=query, hour=hour, model=plan.model, weight_kind=kind, busy_fraction=busy, busy_fitted=fitted,
        movable=movable, fixed=fixed, moves=moves, covered_before=plan.covered_before,
        covered_after=plan.covered_after, share_before=plan.share_before, share_after=plan.share_after,
        total_weight=float(weights.sum()), status=plan.status)
