"""``GET /coverage/positions``'s query and answer (issue 13), beside :mod:`dashboard.api_models`.

Kept apart only because that module is near its size limit; :mod:`dashboard.api_docs` documents
:data:`MODELS` from both. The query is the coverage map's, so the crews and the figures standing
still are the ones the map shows, plus how many crews may move and which model places them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, Field

from dashboard.api_models import CoverageQuery, CoverageSourceOut, Out, integer
from ops.errors import ID_MAX
from ops.reads import coverage as coverage_read
from ops.reads import standing

__all__ = ["MODELS", "PositionsOut", "PositionsQuery", "StandingMoveOut"]


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
MODELS: Mapping[str, type[BaseModel]] = {m.__name__: m for m in (PositionsQuery, PositionsOut)}
