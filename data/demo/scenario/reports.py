"""Drawing a report as a caller gives it: the symptom, then the R5.2/R5.3 answers it makes likely.

Which symptoms are an emergency by themselves (R6.1) and which are scheduled work (R6.4) is not
written down here: :func:`symptom_class` asks ``ops.rules.classify``, so the demo follows the rule
table in force and there is one list of those symptoms.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from data.demo.scenario.config import ODOUR, SYMPTOM_MIX
from data.demo.scenario.sampling import weighted
from ops.rules import ClassificationInput, classify
from ops.vocabulary import Answer, Judgement, Symptom, TicketClass

__all__ = ["draw_report", "proposed_class", "symptom_class"]


@functools.cache
def symptom_class(symptom: Symptom) -> TicketClass:
    """The class ``symptom`` has by itself: no smell of gas, no alarming answer, a "general" judgement.

    That is class 1 for the R6.1 emergency symptoms, class 3 for the R6.4 scheduled-work requests and
    class 2 for the other faults; the demo uses it to make the answers and the fault's age fit the symptom.
    """
    return classify(ClassificationInput(
        symptom, odour=Answer.NO, abnormal_noise=Answer.NO, people_on_site=Answer.NO,
        ventilated=Answer.NO, valve_closed=Answer.NO, judgement=Judgement.GENERAL,
    )).ticket_class


def _answer(rng: np.random.Generator, p_yes: float, p_unknown: float) -> Answer:
    u = rng.random()
    return Answer.YES if u < p_yes else Answer.UNKNOWN if u < p_yes + p_unknown else Answer.NO


def draw_report(rng: np.random.Generator) -> dict[str, Any]:
    """A report as a caller gives it: the symptom, then the R5.2/R5.3 answers it makes likely."""
    symptom = weighted(rng, SYMPTOM_MIX)
    own_class = symptom_class(symptom)
    odour = _answer(rng, *ODOUR[own_class])
    emergency_like = own_class is TicketClass.EMERGENCY or odour is not Answer.NO
    return {
        "symptom": symptom,
        "odour": odour,
        "abnormal_noise": _answer(rng, 0.25 if emergency_like else 0.04, 0.05),
        "people_on_site": _answer(rng, 0.85, 0.05),
        "ventilated": _answer(rng, 0.55, 0.2) if emergency_like else _answer(rng, 0.2, 0.3),
        "valve_closed": _answer(rng, 0.45, 0.2) if emergency_like else _answer(rng, 0.05, 0.3),
        # R5.4: agents judge the obvious emergencies as such, and very rarely anything else.
        "agent_judgement": Judgement.EMERGENCY if (own_class is TicketClass.EMERGENCY and rng.random() < 0.9)
        or rng.random() < 0.004 else Judgement.GENERAL,
    }


def proposed_class(report: dict[str, Any]) -> TicketClass:
    """The class ``ops.rules.classify`` proposes for a drawn report (R6.5)."""
    return classify(ClassificationInput(
        report["symptom"], odour=report["odour"], abnormal_noise=report["abnormal_noise"],
        people_on_site=report["people_on_site"], ventilated=report["ventilated"],
        valve_closed=report["valve_closed"], judgement=report["agent_judgement"],
    )).ticket_class
