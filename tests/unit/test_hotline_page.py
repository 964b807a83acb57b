"""The hotline page: registered and guarded as "ticket.create", service errors shown at their field, translated."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from flask import Flask

from dashboard.components import hotline_errors
from dashboard.i18n import init_i18n
from ops import rules
from ops.errors import Problems, ServiceError
from ops.vocabulary import Role, TicketClass
from tests.unit.pages import load_page


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, dict[str, Any], list[str]]:
    return load_page(monkeypatch, "hotline")


def test_page_is_registered_for_ticket_create_and_every_callback_too(page):
    _module, registered, actions = page
    assert registered["path"] == "/hotline" and registered["action"] == "ticket.create"
    # the R6.4 slot picker grades slots under its own (read) action
    assert actions and set(actions) == {"ticket.create", "appointment.read"}


def _change_refusal(current: int, new: int, roles: set[Role], reason: str | None) -> rules.ClassChangeError:
    with pytest.raises(rules.ClassChangeError) as caught:
        rules.check_class_change(TicketClass(current), TicketClass(new), actor_roles=roles, reason=reason)
    return caught.value


def _shown(exc: ServiceError) -> dict[str, str]:
    out = hotline_errors.errors_out(exc)
    assert len(out) == len(hotline_errors.ERROR_FIELDS) == len(hotline_errors.ERROR_OUTPUTS)
    return {field: text for field, text in zip(hotline_errors.ERROR_FIELDS, out, strict=True) if text}


@pytest.mark.parametrize(("language", "supervisor", "reason", "raise_reason", "required"), [
    ("en", "Lowering a class-1 ticket to class 2 needs a supervisor (R6.5).",
     "Lowering a ticket from class 2 to class 3 needs a reason (R6.5).", "A change of class needs a reason (R6.5).",
     "required"),
    ("zh_CN", "将1级工单降为2级需要值班主管（R6.5）。", "将工单从2级降为3级需要填写原因（R6.5）。",
     "变更工单等级需要填写原因（R6.5）。", "必填"),
])
def test_class_change_refusals_are_shown_in_the_users_language(language, supervisor, reason, raise_reason,
                                                               required):
    """The classes are values of the message, filled in after translation (no parsing of English text)."""
    server = Flask(__name__)
    init_i18n(server, language, "America/Santiago")
    with server.test_request_context("/"):
        assert _shown(_change_refusal(1, 2, {Role.HOTLINE_AGENT}, "x")) == {"class": supervisor}
        assert _shown(_change_refusal(2, 3, {Role.HOTLINE_AGENT}, None)) == {"class_reason": reason}
        # R6.5: the service refuses a raise without a reason too, next to the same field.
        assert _shown(_change_refusal(2, 1, {Role.HOTLINE_AGENT}, " ")) == {"class_reason": raise_reason}
        assert _shown(ServiceError("required", "class_reason")) == {"class_reason": required}


def test_every_problem_lands_next_to_a_field_of_the_form():
    assert hotline_errors.error_field("safety_given[3]") == "safety_given"
    assert hotline_errors.error_field("reason") == "class_reason"
    assert hotline_errors.error_field("received_at") == "started_at"
    assert hotline_errors.error_field("location") == "location"
    assert hotline_errors.error_field("no_such_field") == "class"  # still shown, beside the decision
    found = Problems()
    found.add("phone_invalid", "phone")
    found.add("location.outside", "location")
    found.add("intake.key_length", "idempotency_key")
    with pytest.raises(ServiceError) as err:
        found.raise_if_any()
    assert _shown(err.value) == {"phone": "not a phone number", "location": "lies outside the service area",
                                 "class": "must be 1 to 200 characters"}
    assert hotline_errors.errors_out() == [""] * len(hotline_errors.ERROR_FIELDS)
