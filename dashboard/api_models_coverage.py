"""The coverage API's queries and answers (``GET /coverage``, ``/coverage/demand``, ``/coverage/positions``).

Beside :mod:`dashboard.api_models`, whose building blocks (``Out``, ``integer``, ``parse_query``) they
use; :mod:`dashboard.api_docs` documents :data:`MODELS` from both. The positions query is the coverage
map's, so the crews and the figures standing still are the ones the map shows, plus how many crews
may move and which model places them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from dashboard.api_models import Out, Time, integer
from ops.errors import ID_MAX
from ops.reads import coverage as coverage_read
from ops.reads import standing
from ops.vocabulary import ShiftPattern

__all__ = ["MODELS", "CoverageOut", "CoverageQuery", "DemandOut", "DemandQuery", "PositionsOut", "PositionsQuery",
           "StandingMoveOut"]


class CoverageQuery(BaseModel):
    """``GET /coverage``: query parameters are text, so numbers are parsed from it."""

    model_config = ConfigDict(extra="forbid")

    minutes: integer(1, coverage_read.MINUTES_MAX, "the drive-time threshold T") = 30
    mode: Literal[coverage_read.MODES] = Field("live", description="live positions, or the depots of a planned shift")
    scope: Literal[coverage_read.SCOPES] = Field("available", description="live: available crews, or all on shift")
    shift: ShiftPattern | None = Field(None, description="plan: the shift pattern (default: every crew of the day)")
    weekday: integer(0, 6, "plan: 0 = Monday; default today") | None = None
    hour: integer(0, 23, "local hour whose road speeds are used; default now") | None = None
    exclude_crew: integer(1, ID_MAX, "what-if: this crew is unavailable") | None = None
    exclude_depot: integer(1, ID_MAX, "what-if: this depot's crews are unavailable") | None = None
    resolution: integer(coverage_read.RESOLUTIONS.start, coverage_read.RESOLUTIONS.stop - 1, "H3 resolution") = 8


def _not_a_number(value: Any) -> Any:
    """Query text is parsed leniently, and pydantic reads "0.5" as a Unix time: a time must be written out."""
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*", value):
        raise ValueError("a time in ISO 8601 with its UTC offset, not a number")
    return value


QueryTime = Annotated[Time, BeforeValidator(_not_a_number)]


class DemandQuery(CoverageQuery):
    """``GET /coverage/demand``: the coverage parameters plus the period of the tickets counted."""

    since: QueryTime | None = Field(None, description="default: 28 days before until")
    until: QueryTime | None = Field(None, description="default: now")


class CoverageSourceOut(Out):
    crew_id: int
    code: str
    lon: float
    lat: float


class HexFeatureOut(Out):
    type: Literal["Feature"]
    id: str = Field(description="the H3 cell id, as a string (64-bit ids do not fit a JavaScript number)")
    geometry: dict[str, Any] = Field(description="a Polygon whose ring is [lng, lat] pairs")
    properties: dict[str, Any] = Field(description="minutes (null: not reached), minutes_before, population, "
                                                   "customers, nodes, expected, district, tier")


class HexCollectionOut(Out):
    type: Literal["FeatureCollection"]
    features: list[HexFeatureOut]


class CoverageOut(Out):
    minutes: int
    hour: int
    weight_kind: Literal["population", "customers", "nodes"] = Field(description="what the shares weigh")
    population_share: float = Field(description="share of the population within minutes")
    customer_share: float = Field(description="share of the customers within minutes")
    share: float = Field(description="share of weight_kind within minutes")
    population_share_15: float
    population_share_30: float
    customer_share_15: float
    customer_share_30: float
    p90_minutes: float | None = Field(description="the time within which 90% of weight_kind is reached")
    busy_fraction: float
    busy_fitted: bool = Field(description="false: no history, a default busy fraction was used")
    expected_share: float = Field(description="MEXCLP: mean chance that a free crew is within minutes")
    sources: list[CoverageSourceOut]
    excluded: list[CoverageSourceOut]
    baseline_population_share: float | None
    baseline_customer_share: float | None
    lost_population: float
    lost_customers: int
    changed_hexes: list[str]
    hexes: HexCollectionOut


class RiskHexOut(Out):
    hex_id: str
    district: str | None
    class1: int
    minutes: float | None
    expected: float
    population: float
    ticket_ids: list[int]


class DemandHexOut(Out):
    hex_id: str
    class1: int
    class2: int
    ticket_ids: list[int]


class DemandOut(Out):
    since: str
    until: str
    demand: list[DemandHexOut]
    risk: list[RiskHexOut]



class PositionsQuery(CoverageQuery):
    """``GET /coverage/positions``: the coverage parameters, how many crews may move, and the model."""

    scope: Literal[coverage_read.SCOPES] = Field(
        "on_shift", description="live: on_shift (default) keeps busy crews where they are, still covering; "
                                "available ignores them")
    resolution: integer(coverage_read.RESOLUTIONS.start, coverage_read.RESOLUTIONS.stop - 1,
                        "H3 resolution the demand is grouped at for the solver (the verdict is on road nodes)") = 9
    crews: integer(1, ID_MAX, "move at most this many idle crews (the least needed where they stand); "
                              "default every idle crew; more than are idle is a 422") | None = None
    model: Literal[standing.MODELS] = Field(
        "mclp", description="mclp: covered weight; mexclp: expected covered weight at the fitted busy fraction")


class StandingMoveOut(Out):
    crew_id: int
    code: str
    from_lon: float
    from_lat: float
    to_lon: float
    to_lat: float
    street: str | None = Field(description="a street at the waiting place, when the map names one")
    district: str | None = Field(description="code of the district holding the waiting place")
    from_street: str | None = Field(description="a street where the crew is now, when the map names one")
    from_district: str | None = Field(description="code of the district the crew leaves")
    minutes: float = Field(description="the drive there at the hour's speeds")


class PositionsOut(Out):
    minutes: int
    hour: int
    model: Literal[standing.MODELS]
    weight_kind: Literal["population", "customers", "nodes"] = Field(description="what the figures weigh")
    busy_fraction: float | None = Field(description="mexclp: the busy fraction used")
    busy_fitted: bool | None = Field(description="mexclp: false when no history, a default was used")
    moves: list[StandingMoveOut]
    movable: list[CoverageSourceOut] = Field(description="the crews that were free to move")
    fixed: list[CoverageSourceOut] = Field(description="crews kept where they are; their coverage counts")
    share_before: float = Field(description="share of weight_kind within minutes standing still "
                                            "(mexclp: expected share)")
    share_after: float = Field(description="the same after the moves; never below share_before")
    covered_before: float
    covered_after: float
    gain: float = Field(description="share_after - share_before")
    status: str = Field(description="the solver's end: optimal, feasible or greedy")


#: The models :mod:`dashboard.api_docs` adds to those of :mod:`dashboard.api_models`.
MODELS: Mapping[str, type[BaseModel]] = {m.__name__: m for m in (
    CoverageQuery, DemandQuery, CoverageOut, DemandOut, PositionsQuery, PositionsOut)}
