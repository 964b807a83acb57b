"""The demo scenario as plain data: computed from (service area, seed, now), written by ``data.demo``.

Nothing here touches the database, the wall clock or the global random state: every random draw
comes from ``numpy.random.Generator`` streams spawned from the seed, one per part (people, crews,
history, the present moment), so the same inputs always give the same scenario, and changing how
one part is drawn does not reshuffle the others.

How the history is made (the README paragraph lives in the module docstring of ``data.demo``):
arrivals are a Poisson process per local day with an hour-of-day profile; each report is a symptom
with R5 answers drawn from conditional probabilities and classified by ``ops.rules.classify``
(:mod:`.reports`); the work is then simulated job by job in dispatch order against the crews'
occupancy (:mod:`.history`), with drive times from the road network's shortest paths from each
depot, so a busy crew makes the next job late the way it would on a real day. The state at ``now``
is where that simulation is cut off, plus a small set of hand-placed reports that put every stage of
the lifecycle on the map (:mod:`.present`). The deadlines the simulation works against are the rule
settings in force (``ops.rules.get_rule_settings()`` unless ``rules`` is given).

The parts: :mod:`.config` (size, demand mix, crew set-up), :mod:`.geography` (districts),
:mod:`.people` (customers and logins), :mod:`.crews` (depots, crews, crew states at ``now``),
:mod:`.reports`, :mod:`.tickets` (a ticket being built), :mod:`.history` and :mod:`.present`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from data.demo.scenario.config import (
    CHANNEL_MIX,
    DEMO_USERS,
    HOUR_PROFILE,
    REPAIR_KIND,
    SHIFT_HOURS,
    SKILL_FOR,
    SLOT_HOURS,
    SLOT_LENGTH,
    STREET_LEAK_SYMPTOMS,
    DemoConfig,
)
from data.demo.scenario.crews import (
    CrewSpec,
    CrewState,
    DepotSpec,
    Ping,
    bearing,
    crew_states,
    crews,
    depots,
    on_shift,
)
from data.demo.scenario.geography import districts, node_districts
from data.demo.scenario.history import Simulator, history_drafts
from data.demo.scenario.people import UserSpec, customers, mobile_number, person_name, users
from data.demo.scenario.present import present_drafts, queued_drafts
from data.demo.scenario.reports import draw_report, symptom_class
from data.demo.scenario.sampling import choice, minutes, weighted
from data.service_area import ServiceArea
from ops.rules import RuleSettings, get_rule_settings
from ops.services.bulk_import import CustomerIn, DistrictIn, HistoricalTicket
from ops.vocabulary import Answer, RepairResult

__all__ = [
    "CHANNEL_MIX",
    "DEMO_USERS",
    "HOUR_PROFILE",
    "REPAIR_KIND",
    "SHIFT_HOURS",
    "SKILL_FOR",
    "SLOT_HOURS",
    "SLOT_LENGTH",
    "STREET_LEAK_SYMPTOMS",
    "CrewSpec",
    "CrewState",
    "DemoConfig",
    "DepotSpec",
    "Ping",
    "Scenario",
    "UserSpec",
    "bearing",
    "build_scenario",
    "choice",
    "draw_report",
    "minutes",
    "mobile_number",
    "on_shift",
    "person_name",
    "symptom_class",
    "weighted",
]


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
    #: R7.6: (ticket number, crew code) of the open tickets the seed confirms into crews' queues, in order.
    queues: list[tuple[str, str]] = field(default_factory=list)


def build_scenario(area: ServiceArea, *, seed: int, now: datetime, timezone: str,
                   config: DemoConfig | None = None, rules: RuleSettings | None = None) -> Scenario:
    """The whole demo as plain records, deterministic for (area, seed, now, timezone, config, rules)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    config = config or DemoConfig()
    rules = rules if rules is not None else get_rule_settings()
    now = now.astimezone(UTC).replace(microsecond=0)
    zone = ZoneInfo(timezone)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)]
    rng_people, rng_crews, rng_history, rng_present, _spare = streams

    district_records, geoms = districts(area)
    if not geoms:
        raise ValueError("the service area has no districts to place customers in")
    owner = node_districts(area.network, geoms)
    if (owner < 0).all():
        raise ValueError("no road network node lies inside any district")
    people = customers(rng_people, area, geoms, owner, config)
    depot_specs = depots(area.network, geoms, owner)
    crew_specs = crews(rng_crews, depot_specs, config)
    user_specs = users(rng_crews, crew_specs)

    sim = Simulator(area, zone, now, crew_specs, depot_specs, people, rng_history, rules)
    history = history_drafts(sim, rng_history, config)
    sim.run(history)
    sim.rng = rng_present
    present = present_drafts(sim, rng_present)
    present += queued_drafts(sim, rng_present, {d.customer for d in present if d.customer is not None})
    drafts = sorted(history + present, key=lambda d: d.fields["received_at"])

    tickets = []
    queues: list[tuple[str, str]] = []
    per_day: dict[date, int] = {}
    for d in drafts:
        day = sim.local(d.fields["received_at"]).date()
        per_day[day] = per_day.get(day, 0) + 1
        tickets.append(HistoricalTicket(
            ticket_no=f"GD-{day:%Y%m%d}-{per_day[day]:03d}",
            work_orders=tuple(d.orders), complaints=tuple(d.complaints), **d.fields,
        ))
        if d.queue_for is not None:
            queues.append((tickets[-1].ticket_no, sim.crews[d.queue_for].code))
    states = crew_states(sim, depot_specs)
    open_count = sum(1 for t in tickets if _is_open(t))
    stats = {"history": len(tickets) - open_count, "open": open_count, "present_placed": len(present)}
    stats["queued"] = len(queues)
    return Scenario(district_records, people.records, depot_specs, crew_specs, user_specs, tickets, states, stats,
                    queues)


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
