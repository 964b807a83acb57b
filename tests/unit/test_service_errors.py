"""Service errors: every code has its message, and the message is translated before its values go in."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import Flask

from dashboard.errors import field_texts, problem_text, service_error_text
from dashboard.i18n import init_i18n
from ops.errors import ConflictError, Problem, Problems, ServiceError, english
from ops.messages import MESSAGES, WORDS

ROOT = Path(__file__).resolve().parents[2]
_RAISERS = {"ServiceError", "NotFoundError", "ConflictError", "ForbiddenError", "ClassChangeError", "Problem",
            "PermissionDenied"}


def _codes_in_source() -> set[tuple[str, str]]:
    """Every string literal passed as a code: ``XError("code", ...)``, ``problems.add("code", ...)``."""
    found = set()
    for path in sorted((ROOT / "ops").rglob("*.py")) + sorted((ROOT / "dashboard").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            position = 2 if name == "PermissionDenied" else 0
            raiser = name in _RAISERS or (
                name == "add" and isinstance(func.value, ast.Name) and func.value.id == "problems")
            if raiser and len(node.args) > position and isinstance(node.args[position], ast.Constant):
                found.add((str(path.relative_to(ROOT)), node.args[position].value))
    return found


def test_every_code_a_service_raises_has_a_message():
    codes = _codes_in_source()
    assert len(codes) > 50  # the scan sees the services (a broken scan must not pass silently)
    missing = sorted((where, code) for where, code in codes if code not in MESSAGES)
    assert not missing


def test_an_unknown_code_fails_loudly_rather_than_showing_a_bare_code():
    with pytest.raises(KeyError, match=r"ops\.messages"):
        ServiceError("no.such.code", "field")


def test_several_problems_travel_together_and_the_first_is_the_error():
    found = Problems()
    found.add("required", "cause")
    found.add("parts.quantity", "parts[1]")
    with pytest.raises(ServiceError) as err:
        found.raise_if_any()
    assert err.value.code == "required" and err.value.field == "cause"
    assert err.value.fields == {"cause": "required", "parts[1]": "quantity must be a whole number, 1 or more"}
    assert str(err.value) == "cause: required; parts[1]: quantity must be a whole number, 1 or more"


def test_english_fills_the_values_into_the_template():
    problem = Problem("order.wrong_step", "status", {"step": "acknowledge", "status": "on_site",
                                                      "allowed": ["dispatched"]})
    assert english(problem) == "cannot acknowledge a work order that is on_site (needs dispatched)"


@pytest.fixture
def zh_request():
    server = Flask(__name__)
    init_i18n(server, "zh_CN", "America/Santiago")
    with server.test_request_context("/"):
        yield


def test_a_message_with_values_reads_in_chinese(zh_request):
    """The bug this replaced: the values were filled in first, so the sentence matched no catalog entry."""
    problem = Problem("order.wrong_step", "status", {"step": "acknowledge", "status": "on_site",
                                                      "allowed": ["dispatched"]})
    text = problem_text(problem)
    assert text == "无法对状态为 已到场 的工单执行 接单（需要 已派单）"
    lowered = problem_text(Problem("class.lower_needs_supervisor", "class", {"from_class": 1, "to_class": 2}))
    assert lowered == "将1级工单降为2级需要值班主管（R6.5）。"


def test_every_word_a_template_names_is_translated(zh_request):
    from dashboard.i18n import _

    untranslated = sorted(source for source in WORDS.values() if _(source) == source)
    assert not untranslated


def test_form_fields_get_their_messages_and_the_rest_falls_back(zh_request):
    err = ServiceError("reason_required", "override_reason", more=[Problem("crew.busy", "crew_id"),
                                                                   Problem("conflict", "status")])
    texts = field_texts(err, ["override_reason", "crew_id"], fallback="crew_id")
    assert texts == {"override_reason": "必须填写原因",
                     # its own message, then the one whose field the form does not show
                     "crew_id": "该班组正在处理其他工单; 他人同时修改了此工单、班组或派工单；请刷新后重试"}
    assert field_texts(err, ["override_reason"]) == {"override_reason": "必须填写原因"}
    assert service_error_text(ConflictError("ticket.not_waiting", "status", {"status": "on_site"})) == (
        "工单状态为 已到场，不在等待派班组")
