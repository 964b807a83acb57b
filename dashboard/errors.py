"""Service errors at the edge: translated for a page, or turned into the REST API's 4xx body.

This is the only place that turns an :class:`ops.errors.ServiceError` into words. The template is
looked up by code, translated into the user's language, and only then are the values filled in; a
value that is itself a word (a status, a work-order step) is translated first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask import Response, jsonify

from dashboard.i18n import _
from dashboard.labels import LABELS
from ops.errors import Problem, ServiceError
from ops.messages import WORDS
from ops.permissions import PermissionDenied

__all__ = ["STATUS", "api_error", "field_texts", "problem_text", "service_error_text"]

#: The REST status code of each kind of refusal.
STATUS: Mapping[str, int] = {"invalid": 422, "not_found": 404, "conflict": 409, "forbidden": 403}


def _word(value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(_word(v) for v in value)
    text = str(getattr(value, "value", value))
    source = WORDS.get(text) or LABELS.get(text)
    return _(source) if source else text


def problem_text(problem: Problem) -> str:
    """One problem in the user's language: translate the template, then fill in the translated values."""
    return _(problem.template) % {name: _word(value) for name, value in problem.params.items()}


def service_error_text(exc: ServiceError, *, with_fields: bool = False) -> str:
    """Every problem of ``exc`` in one line, for a page's alert (``field: message`` on a form of codes)."""
    return "; ".join(f"{p.field}: {problem_text(p)}" if with_fields and p.field else problem_text(p)
                     for p in exc.problems)


def field_texts(exc: ServiceError, fields: Sequence[str], *, fallback: str | None = None,
                where: Callable[[str], str] | None = None) -> dict[str, str]:
    """``{field: message}`` for the form fields in ``fields``.

    ``where`` maps a service's field name to the form's (``reason`` → ``class_reason``); a problem
    whose field the form does not show goes under ``fallback`` (or is dropped when there is none),
    so nothing the service said is silently lost when a fallback exists.
    """
    texts: dict[str, list[str]] = {}
    for problem in exc.problems:
        name = (problem.field or "").split("[", 1)[0]
        target = where(name) if where else name
        if target not in fields:
            if fallback is None:
                continue
            target = fallback
        texts.setdefault(target, []).append(problem_text(problem))
    return {name: "; ".join(parts) for name, parts in texts.items()}


def api_error(exc: ServiceError) -> Response:
    """The API's body for a refusal: ``{"error", "code", "fields"}`` in English, with its status code."""
    body: dict[str, Any] = {"error": str(exc), "code": exc.code, "fields": exc.fields}
    if isinstance(exc, PermissionDenied):
        body["action"] = exc.action
    response = jsonify(body)
    response.status_code = STATUS[exc.kind]
    return response

