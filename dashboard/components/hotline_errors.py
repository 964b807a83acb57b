"""A service's refusal on the hotline form: each problem in the user's language, under the field it names.

``ops.services.intake`` names fields in the API's spelling (``location``, ``safety_given[2]``,
``reason``); this maps each to the error line of the form that shows it, so that nothing is ever
dropped (an unknown name lands beside the class decision) and what was typed stays untouched.
"""

from __future__ import annotations

from dash import Output

from dashboard.components.hotline_form import QUESTIONS
from dashboard.errors import field_texts
from ops.errors import ServiceError

#: Every form field an intake refusal can name, and the element its message is shown under.
ERROR_FIELDS = [
    "reporter_name", "phone", "customer_number", "address", "door_no", "location", "symptom",
    "started_at", "duration_minutes", "description", "special_requests", "urgency", "class",
    "class_reason", "appointment", "appointment_reason", "safety_given",
]
ERROR_FIELDS += [key for key, _text in QUESTIONS if key not in ERROR_FIELDS]

#: The error lines a save or a link fills (``hl-err-<field>``, drawn by ``hotline_form``).
ERROR_OUTPUTS = [Output(f"hl-err-{f}", "children", allow_duplicate=True) for f in ERROR_FIELDS]

def error_field(name: str) -> str:
    """Where a problem is shown: ``safety_given[2]`` under the script, ``reason`` under the class reason."""
    base = name.split("[", 1)[0]
    base = {"reason": "class_reason", "ticket_id": "class", "idempotency_key": "class",
            "received_at": "started_at", "channel": "class", "note": "description"}.get(base, base)
    return base if base in ERROR_FIELDS else "class"


def errors_out(exc: ServiceError | None = None) -> list[str]:
    """The text of every error line, in the order of :data:`ERROR_OUTPUTS` (empty clears a line)."""
    texts = field_texts(exc, ERROR_FIELDS, fallback="class", where=error_field) if exc is not None else {}
    return [texts.get(f, "") for f in ERROR_FIELDS]
