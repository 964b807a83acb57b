"""A ticket being built: the report's customer, channel, class change and slot, before any work on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from data.demo import texts
from data.demo.scenario.config import (
    CHANNEL_MIX,
    SKILL_FOR,
    SLOT_HOURS,
    SLOT_LENGTH,
    STREET_LEAK_SYMPTOMS,
)
from data.demo.scenario.geography import street
from data.demo.scenario.people import mobile_number, person_name
from data.demo.scenario.reports import proposed_class, symptom_class
from data.demo.scenario.sampling import choice, minutes, weighted
from ops.services.bulk_import import ComplaintIn, WorkOrderTimeline
from ops.vocabulary import Answer, Channel, Judgement, Skill, Symptom, TicketClass

if TYPE_CHECKING:
    from data.demo.scenario.history import Simulator

__all__ = ["Draft", "draft_ticket", "retime"]


@dataclass
class Draft:
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
    #: R7.6: the crew (index) whose queue the seed confirms this open ticket into, behind its current job.
    queue_for: int | None = None


def draft_ticket(sim: Simulator, rng: np.random.Generator, received: datetime, report: dict[str, Any], *,
                 street_leak_ok: bool = True, avoid: set[int] | None = None) -> Draft:
    """A ticket draft for ``report`` received at ``received``: customer, channel, class, slot."""
    customers = sim.customers
    area = sim.area
    symptom: Symptom = report["symptom"]
    proposed = proposed_class(report)
    local = sim.local(received)
    # R4.1 channel; the counter is only open in office hours.
    channel = weighted(rng, CHANNEL_MIX)
    if channel is Channel.COUNTER and not (8 <= local.hour < 18 and local.weekday() < 6):
        channel = Channel.HOTLINE
    k = int(rng.integers(len(customers.records)))
    while avoid and k in avoid and len(avoid) < len(customers.records):
        k = int(rng.integers(len(customers.records)))
    node = int(customers.nodes[k])
    street_leak = street_leak_ok and symptom in STREET_LEAK_SYMPTOMS and rng.random() < 0.15
    if street_leak:  # R5.1: a passer-by reports a leak in the street; no customer number
        customer_no = None
        reporter, phone = person_name(rng), mobile_number(rng)
        address = f"{street(area, node)} (street, near no. {int(rng.integers(1, 3000))})"
        door = None
    else:
        rec = customers.records[k]
        customer_no = rec.customer_no
        reporter = customers.names[k] if rng.random() < 0.8 else person_name(rng, customers.names[k].split()[1])
        phone = customers.phones[k] if reporter == customers.names[k] else mobile_number(rng)
        address, door = rec.address, rec.door_no
    own_class = symptom_class(symptom)
    started_minutes = (rng.uniform(2, 60) if own_class is TicketClass.EMERGENCY
                       else rng.uniform(10, 600) if own_class is TicketClass.URGENT
                       else rng.uniform(600, 60 * 24 * 14))
    fault_started = received - minutes(started_minutes)
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
    elif (proposed is TicketClass.EMERGENCY and own_class is TicketClass.URGENT
          and report["odour"] is Answer.UNKNOWN and report["agent_judgement"] is Judgement.GENERAL and u < 0.15):
        final = TicketClass.URGENT
        change = {"class_change_reason": "Supervisor called back: no smell of gas at the premises.",
                  "class_changed_by": "supervisor"}
    if change:
        change["class_changed_at"] = received + minutes(rng.uniform(1, 4))
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
            "safety_script_given_at": received + (minutes(rng.uniform(0.5, 2)) if voice else timedelta(seconds=5)),
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
    return Draft(fields=fields, node=node, customer=None if street_leak else k, final_class=final, skill=skill)


def retime(d: Draft, received: datetime) -> None:
    """Move a draft's report time, keeping the intervals that hang off it."""
    shift = received - d.fields["received_at"]
    for key in ("received_at", "fault_started_at", "class_changed_at", "safety_script_given_at"):
        if d.fields.get(key) is not None:
            d.fields[key] = d.fields[key] + shift
