"""New reports for the live demo, drawn from the same demand model as the seeded history.

The symptom and the R5.2/R5.3 answers come from :func:`data.demo.scenario.draw_report` (so the class
mix is the history's: about 8% / 45% / 47%), the caller from the demo's own customers in the
database, and the channel, description and appointment slot follow the scenario's rules. What is
returned is a plain :class:`~ops.services.intake.ReportIn`: intake classifies it, sets its
deadlines and audits it exactly as it does for a hotline agent typing one in.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from data.demo import texts
from data.demo.scenario import (
    CHANNEL_MIX,
    SLOT_HOURS,
    SLOT_LENGTH,
    STREET_LEAK_SYMPTOMS,
    choice,
    draw_report,
    minutes,
    mobile_number,
    person_name,
    symptom_class,
    weighted,
)
from ops import rules
from ops.models import Customer
from ops.services.intake import ReportIn, preview_classification
from ops.vocabulary import Channel, Symptom, TicketClass

__all__ = ["draw_intake_report"]

def _channel(rng: np.random.Generator, local: datetime) -> Channel:
    """R4.1 as in the history: the counter only in office hours, else the call goes to the hotline."""
    channel = weighted(rng, CHANNEL_MIX)
    if channel is Channel.COUNTER and not (8 <= local.hour < 18 and local.weekday() < 6):
        return Channel.HOTLINE
    return channel


def _slot(rng: np.random.Generator, received: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """R6.4: the customer picks a two-hour slot on one of the next days (never a Sunday)."""
    lead = int(rng.choice([1, 2, 3], p=[0.7, 0.25, 0.05]))
    day = received.astimezone(zone).date() + timedelta(days=lead)
    if day.weekday() == 6:
        day += timedelta(days=1)
    start = datetime.combine(day, time(int(rng.choice(SLOT_HOURS))), tzinfo=zone)
    return start, start + SLOT_LENGTH


def draw_intake_report(rng: np.random.Generator, customer: Customer, received: datetime, now: datetime,
                       zone: ZoneInfo) -> ReportIn:
    """One caller's report received at ``received`` (saved at ``now``), about ``customer``'s premises."""
    model = draw_report(rng)
    symptom: Symptom = model["symptom"]
    channel = _channel(rng, received.astimezone(zone))
    street_leak = symptom in STREET_LEAK_SYMPTOMS and rng.random() < 0.15
    if street_leak:  # R5.1: a passer-by reports a leak in the street; no customer number
        street = customer.address.rsplit(" ", 1)[0] if " " in customer.address else customer.address
        reporter, phone = person_name(rng), mobile_number(rng)
        address, door, number = f"{street} (street, near no. {int(rng.integers(1, 3000))})", None, None
    else:
        surname = customer.name.split()[1] if len(customer.name.split()) > 1 else None
        reporter = customer.name if rng.random() < 0.8 else person_name(rng, surname)
        phone = customer.phone if reporter == customer.name and customer.phone else mobile_number(rng)
        address, door, number = customer.address, customer.door_no, customer.customer_no
    own_class = symptom_class(symptom)  # the fault's age fits the symptom, as in the history
    started = (rng.uniform(2, 60) if own_class is TicketClass.EMERGENCY else rng.uniform(600, 60 * 24 * 14)
               if own_class is TicketClass.SCHEDULED else rng.uniform(10, 600))
    report = ReportIn(
        channel=channel, reporter_name=reporter, phone=phone, address=address, door_no=door,
        customer_number=number, lon=customer.lon, lat=customer.lat, symptom=symptom,
        started_at=received - minutes(started), received_at=received,
        odour=model["odour"], noise=model["abnormal_noise"], people_on_site=model["people_on_site"],
        ventilated=model["ventilated"], valve_closed=model["valve_closed"], urgency=model["agent_judgement"],
        description=choice(rng, texts.DESCRIPTIONS[symptom]),
        special_requests=choice(rng, texts.SPECIAL_REQUESTS) if rng.random() < 0.06 else None,
        major_leak=symptom is Symptom.GAS_LEAK and rng.random() < 0.2,
    )
    proposed = preview_classification(report).ticket_class
    changes: dict[str, object] = {}
    if proposed is TicketClass.SCHEDULED:
        start, end = _slot(rng, received, zone)
        changes.update(appointment_start=start, appointment_end=end)
    elif proposed is TicketClass.EMERGENCY and channel.is_voice:
        # R6.2: the agent reads the safety script during the call; each line is time-stamped.
        at = min(now, received + minutes(rng.uniform(0.5, 1.5)))
        script = rules.safety_script(symptom, proposed, major_leak=report.major_leak)
        changes["safety_given"] = tuple((line.code, at) for line in script)
    return replace(report, **changes) if changes else report
