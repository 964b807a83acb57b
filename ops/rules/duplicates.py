"""R5.6 likely duplicates: a hint to the hotline agent that a new report may be an open incident.

Only a hint: the agent decides whether to link. "Within 150 m" is measured as the great-circle
distance between the two reports (:func:`optimizer.geo.haversine_m`), which needs no road network.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ops.clock import as_utc, require_aware
from ops.rules.settings import RuleSettings, resolve
from ops.vocabulary import Answer, Symptom
from optimizer.geo import haversine_m

__all__ = [
    "DUPLICATE_RELATED_SYMPTOMS",
    "DuplicateCandidate",
    "is_possible_duplicate",
    "symptoms_related",
]

#: R5.6 (product): symptoms that may describe the same incident. Two reports are related when a
#: group holds both symptoms; a report with an odour answered *yes* also counts as a leak.
#: Scheduled-work requests are per customer and belong to no group.
DUPLICATE_RELATED_SYMPTOMS: tuple[frozenset[Symptom], ...] = (
    # escaping gas and what it causes
    frozenset({Symptom.GAS_LEAK, Symptom.PIPE_DAMAGE, Symptom.FIRE, Symptom.EXPLOSION, Symptom.VALVE_DAMAGE}),
    # supply and pressure: an outage shows up as no gas, a weak flame or a "broken" meter
    frozenset({Symptom.NO_GAS, Symptom.ABNORMAL_FLAME, Symptom.METER_FAULT, Symptom.VALVE_DAMAGE,
               Symptom.PIPE_DAMAGE}),
    # burner trouble reported as either
    frozenset({Symptom.APPLIANCE_FAULT, Symptom.ABNORMAL_FLAME}),
    frozenset({Symptom.OTHER}),
)
_LEAK_GROUP = DUPLICATE_RELATED_SYMPTOMS[0]


@dataclass(frozen=True)
class DuplicateCandidate:
    """A report as far as R5.6 cares: where, what, when, and whether its ticket is still open."""

    symptom: Symptom
    lon: float
    lat: float
    reported_at: datetime
    is_open: bool = True
    odour: Answer = Answer.NO

    def __post_init__(self) -> None:
        object.__setattr__(self, "symptom", Symptom(self.symptom))
        object.__setattr__(self, "odour", Answer(self.odour))
        if not -180.0 <= self.lon <= 180.0:
            raise ValueError(f"lon: {self.lon} is not a longitude")
        if not -90.0 <= self.lat <= 90.0:
            raise ValueError(f"lat: {self.lat} is not a latitude")
        require_aware(self.reported_at, "reported_at")


def _groups(report: DuplicateCandidate) -> set[frozenset[Symptom]]:
    groups = {g for g in DUPLICATE_RELATED_SYMPTOMS if report.symptom in g}
    if report.odour is Answer.YES:
        groups.add(_LEAK_GROUP)
    return groups


def symptoms_related(a: DuplicateCandidate, b: DuplicateCandidate) -> bool:
    """R5.6 "related symptom", per :data:`DUPLICATE_RELATED_SYMPTOMS`."""
    return bool(_groups(a) & _groups(b))


def is_possible_duplicate(
    new: DuplicateCandidate,
    existing: DuplicateCandidate,
    now: datetime,
    rules: RuleSettings | None = None,
) -> bool:
    """R5.6: ``existing`` is open, within the radius, reported within the window, with a related symptom.

    Only a hint: the agent decides whether to link. Both bounds are inclusive.
    """
    r = resolve(rules)
    require_aware(now, "now")
    if not existing.is_open:
        return False
    if as_utc(now) - as_utc(existing.reported_at) > timedelta(hours=r.duplicate_window_hours):
        return False
    if not symptoms_related(new, existing):
        return False
    return haversine_m(new.lon, new.lat, existing.lon, existing.lat) <= r.duplicate_radius_m
