"""R5.6 likely duplicates.

Each test is named after the RULES.md rule it checks.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ops.rules import (
    DUPLICATE_RELATED_SYMPTOMS,
    REQUEST_SYMPTOMS,
    DuplicateCandidate,
    RuleSettings,
    is_possible_duplicate,
)
from ops.vocabulary import Answer, Symptom
from optimizer.geo import haversine_m
from tests.unit.rules.common import DEFAULTS, T0

# Coquimbo, Plaza de Armas
LON, LAT = -71.3436, -29.9533
# 100 m and 200 m north (1 degree of latitude is ~111.195 km)
LAT_100M = LAT + 100 / 111_195
LAT_200M = LAT + 200 / 111_195


def cand(symptom=Symptom.GAS_LEAK, lat=LAT, reported_at=T0, is_open=True, odour=Answer.NO):
    return DuplicateCandidate(symptom, LON, lat, reported_at, is_open, odour)


def test_r5_6_haversine():
    assert haversine_m(0, 0, 0, 1) == pytest.approx(111_195, rel=1e-4)
    assert haversine_m(LON, LAT, LON, LAT_100M) == pytest.approx(100, abs=0.01)
    assert haversine_m(LON, LAT, LON, LAT) == 0
    assert haversine_m(0, 0, 180, 0) == pytest.approx(20_015_087, rel=1e-4)


def test_r5_6_leak_nearby_is_possible_duplicate():
    now = T0 + timedelta(hours=1)
    assert is_possible_duplicate(cand(lat=LAT_100M), cand(Symptom.PIPE_DAMAGE), now, rules=DEFAULTS)


def test_r5_6_too_far_is_not_duplicate():
    assert not is_possible_duplicate(cand(lat=LAT_200M), cand(), T0, rules=DEFAULTS)
    assert is_possible_duplicate(cand(lat=LAT_200M), cand(), T0, rules=RuleSettings(duplicate_radius_m=250))


def test_r5_6_window_is_6_hours():
    existing = cand(reported_at=T0)
    assert is_possible_duplicate(cand(), existing, T0 + timedelta(hours=6), rules=DEFAULTS)
    assert not is_possible_duplicate(cand(), existing, T0 + timedelta(hours=6, seconds=1), rules=DEFAULTS)


def test_r5_6_closed_ticket_is_not_duplicate():
    assert not is_possible_duplicate(cand(), cand(is_open=False), T0, rules=DEFAULTS)


def test_r5_6_unrelated_symptom_is_not_duplicate():
    assert not is_possible_duplicate(cand(Symptom.GAS_LEAK), cand(Symptom.APPLIANCE_FAULT), T0, rules=DEFAULTS)
    assert not is_possible_duplicate(cand(Symptom.INSTALLATION), cand(Symptom.INSTALLATION), T0, rules=DEFAULTS)


def test_r5_6_supply_symptoms_are_related():
    assert is_possible_duplicate(cand(Symptom.NO_GAS), cand(Symptom.VALVE_DAMAGE), T0, rules=DEFAULTS)
    assert is_possible_duplicate(cand(Symptom.METER_FAULT), cand(Symptom.NO_GAS), T0, rules=DEFAULTS)


def test_r5_6_odour_makes_any_report_leak_related():
    assert is_possible_duplicate(cand(Symptom.APPLIANCE_FAULT, odour=Answer.YES), cand(Symptom.GAS_LEAK), T0,
                                 rules=DEFAULTS)
    assert not is_possible_duplicate(cand(Symptom.APPLIANCE_FAULT, odour=Answer.UNKNOWN), cand(Symptom.GAS_LEAK),
                                     T0, rules=DEFAULTS)


def test_r5_6_groups_cover_every_fault_and_no_request():
    grouped = set().union(*DUPLICATE_RELATED_SYMPTOMS)
    assert grouped == set(Symptom) - set(REQUEST_SYMPTOMS)


def test_r5_6_candidate_validation():
    with pytest.raises(ValueError, match="lat"):
        DuplicateCandidate(Symptom.GAS_LEAK, LON, 95.0, T0)
    with pytest.raises(ValueError, match="reported_at"):
        DuplicateCandidate(Symptom.GAS_LEAK, LON, LAT, datetime(2026, 3, 10, 14, 0))
