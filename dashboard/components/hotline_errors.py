"""A service's refusal on the hotline form: each problem in the user's language, under the field it names.

``ops.services.intake`` names fields in the API's spelling (``location``, ``safety_given[2]``,
``reason``); this maps each to the error line of the form that shows it, so that nothing is ever
dropped (an unknown name lands beside the class decision) and what was typed stays untouched.
"""

from __future__ import annotations

import re

from dash import Output

from dashboard.components.hotline_form import QUESTIONS
from dashboard.i18n import _

#: Every form field an IntakeError can name, and the element its message is shown under.
ERROR_FIELDS = [
    "reporter_name", "phone", "customer_number", "address", "door_no", "location", "symptom",
    "started_at", "duration_minutes", "description", "special_requests", "urgency", "class",
    "class_reason", "appointment", "safety_given",
]
ERROR_FIELDS += [key for key, _text in QUESTIONS if key not in ERROR_FIELDS]

#: The error lines a save or a link fills (``hl-err-<field>``, drawn by ``hotline_form``).
ERROR_OUTPUTS = [Output(f"hl-err-{f}", "children", allow_duplicate=True) for f in ERROR_FIELDS]

#: R6.5 refusals from ``ops.rules.check_class_change`` carry the classes in the text: matched to translate them.
_LOWER_SUPERVISOR = re.compile(r"^Lowering a class-(\d) ticket to class (\d) needs a supervisor \(R6\.5\)\.$")
_LOWER_REASON = re.compile(r"^Lowering a ticket from class (\d) to class (\d) needs a reason \(R6\.5\)\.$")


def problem_text(message: str) -> str:
    """A service error message in the user's language.

    The intake service marks its messages with ``N_`` so they are in the catalogs; a message that is
    not (a new one) comes back from gettext as it is, never hidden.
    """
    m = _LOWER_SUPERVISOR.match(message)
    if m:
        return _("Lowering a class-{a} ticket to class {b} needs a supervisor (R6.5).").format(a=m[1], b=m[2])
    m = _LOWER_REASON.match(message)
    if m:
        return _("Lowering a ticket from class {a} to class {b} needs a reason (R6.5).").format(a=m[1], b=m[2])
    return _(message) if message else message  # gettext("") is the catalog's header


def error_field(name: str) -> str:
    """Where a problem is shown: ``safety_given[2]`` under the script, ``reason`` under the class reason."""
    base = name.split("[", 1)[0]
    base = {"reason": "class_reason", "ticket_id": "class", "idempotency_key": "class",
            "received_at": "started_at", "channel": "class", "note": "description"}.get(base, base)
    return base if base in ERROR_FIELDS else "class"


def errors_out(problems: dict[str, str] | None = None) -> list[str]:
    """The text of every error line, in the order of :data:`ERROR_OUTPUTS` (empty clears a line)."""
    texts: dict[str, list[str]] = {}
    for name, message in (problems or {}).items():
        texts.setdefault(error_field(name), []).append(problem_text(message))
    return ["; ".join(texts.get(f, [])) for f in ERROR_FIELDS]
