"""``/api/v1/coverage``, ``/coverage/demand`` and ``/coverage/positions``: who can reach where within T
minutes, the risk, and where the idle crews should wait.

Thin, like the other route modules: parameters are checked against :mod:`dashboard.api_models` (a 422
names every bad one), then :func:`ops.reads.coverage.coverage` computes the report that the coverage
page reads too. Hexes go out as a GeoJSON FeatureCollection with string ids and [lng, lat] rings.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from dashboard.api import api, iso, performs
from dashboard.api_models import parse_query
from dashboard.api_models_coverage import CoverageQuery as CoverageParams
from dashboard.api_models_coverage import DemandQuery, PositionsQuery
from dashboard.context import context
from ops.reads.coverage import (
    DEMAND_PERIOD,
    CoverageQuery,
    CoverageReport,
    CoverageSource,
    HexCoverage,
    coverage,
    demand,
    risk_hexes,
)
from ops.reads.standing import StandingSuggestion, suggest_standing


def _query(params: CoverageParams) -> CoverageQuery:
    return CoverageQuery(minutes=params.minutes, mode=params.mode, scope=params.scope,
                         shift=params.shift.value if params.shift is not None else None, weekday=params.weekday,
                         hour=params.hour, exclude_crew=params.exclude_crew, exclude_depot=params.exclude_depot,
                         resolution=params.resolution)


def _source(s: CoverageSource) -> dict[str, Any]:
    return {"crew_id": s.crew_id, "code": s.code, "lon": s.lon, "lat": s.lat}


def _feature(h: HexCoverage) -> dict[str, Any]:
    return {"type": "Feature", "id": h.hex_id, "geometry": {"type": "Polygon", "coordinates": [h.boundary]},
            "properties": {"minutes": h.minutes, "minutes_before": h.minutes_before, "population": h.population,
                           "customers": h.customers, "nodes": h.nodes, "expected": round(h.expected, 4),
                           "district": h.district, "tier": h.tier}}


def coverage_json(report: CoverageReport) -> dict[str, Any]:
    """The report as the API renders it (the page's CSV export can take the same rows)."""
    return {
        "minutes": report.query.minutes, "hour": report.hour, "weight_kind": report.weight_kind,
        "population_share": report.population_share, "customer_share": report.customer_share,
        "share": report.share, "population_share_15": report.population_share_15,
        "population_share_30": report.population_share_30, "customer_share_15": report.customer_share_15,
        "customer_share_30": report.customer_share_30, "p90_minutes": report.p90_minutes,
        "busy_fraction": report.busy_fraction, "busy_fitted": report.busy_fitted,
        "expected_share": report.expected_share, "sources": [_source(s) for s in report.sources],
        "excluded": [_source(s) for s in report.excluded],
        "baseline_population_share": report.baseline_population_share,
        "baseline_customer_share": report.baseline_customer_share, "lost_population": report.lost_population,
        "lost_customers": report.lost_customers, "changed_hexes": report.changed_hexes,
        "hexes": {"type": "FeatureCollection", "features": [_feature(h) for h in report.hexes]},
    }


@api.get("/coverage")
@performs("coverage.read")
def coverage_route() -> ResponseReturnValue:
    """Drive time from the nearest crew per H3 hexagon, with the headline shares and the what-if."""
    params = parse_query(CoverageParams, request.args)
    ctx = context()
    with ctx.read_session() as db:
        report = coverage(db, ctx.service_area.network, ctx.clock(), _query(params))
    return jsonify(coverage_json(report))


@api.get("/coverage/demand")
@performs("coverage.read")
def coverage_demand_route() -> ResponseReturnValue:
    """Class-1 and class-2 tickets per hexagon over a period, and the risk hexes (much class 1, poor coverage)."""
    params = parse_query(DemandQuery, request.args)
    ctx = context()
    now = ctx.clock()
    until = params.until or now
    try:
        since = params.since or until - DEMAND_PERIOD
    except OverflowError:  # an ``until`` in the first weeks of year 1
        since = datetime.min.replace(tzinfo=UTC)
    network = ctx.service_area.network
    with ctx.read_session() as db:
        report = coverage(db, network, now, _query(params))
        hexes = demand(db, network, now, since, until, resolution=params.resolution)
    return jsonify({"since": iso(since), "until": iso(until), "demand": [asdict(d) for d in hexes],
                    "risk": [asdict(r) for r in risk_hexes(report, hexes)]})



def positions_json(plan: StandingSuggestion) -> dict[str, Any]:
    """The suggestion as the API renders it."""
    moves = [{"crew_id": m.crew_id, "code": m.code, "from_lon": m.from_lon, "from_lat": m.from_lat,
              "to_lon": m.to_lon, "to_lat": m.to_lat, "street": m.street, "district": m.district,
              "from_street": m.from_street, "from_district": m.from_district, "minutes": m.minutes}
             for m in plan.moves]
    return {
        "minutes": plan.query.minutes, "hour": plan.hour, "model": plan.model, "weight_kind": plan.weight_kind,
        "busy_fraction": plan.busy_fraction, "busy_fitted": plan.busy_fitted, "moves": moves,
        "movable": [_source(s) for s in plan.movable], "fixed": [_source(s) for s in plan.fixed],
        "share_before": plan.share_before, "share_after": plan.share_after,
        "covered_before": plan.covered_before, "covered_after": plan.covered_after,
        "gain": plan.share_after - plan.share_before, "status": plan.status,
    }


@api.get("/coverage/positions")
@performs("coverage.read")
def coverage_positions_route() -> ResponseReturnValue:
    """Where the idle crews should wait to cover most within the threshold, and the coverage gained."""
    params = parse_query(PositionsQuery, request.args)
    ctx = context()
    area = ctx.service_area
    with ctx.read_session() as db:
        plan = suggest_standing(db, area.network, ctx.clock(), _query(params), crews=params.crews,
                                model=params.model, streets=area.node_street)
    return jsonify(positions_json(plan))
