"""The audit page (R13.1): registered and guarded as "audit.view", local-day periods, readable changes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import ModuleType
from typing import Any

import pytest

import dashboard.security
from ops.reads.audit_search import AuditFilterError, change_summary, local_period
from tests.unit.pages import PAGES, load_page


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, dict[str, Any], list[str]]:
    """The page module loaded in isolation: registrations recorded, no Dash app or global callbacks touched."""
    return load_page(monkeypatch, "audit")


def test_r13_1_audit_page_registers_with_action_audit_view(page) -> None:
    _module, registered, callback_actions = page
    assert registered["path"] == "/audit"
    assert registered["action"] == "audit.view"
    assert registered["name"] == "Audit log" and registered["order"] == 80
    assert callback_actions and set(callback_actions) == {"audit.view"}
    source = (PAGES / "audit.py").read_text(encoding="utf-8")
    assert "dash.callback" not in source and "@callback" not in source
    assert "dangerously_allow_code" not in source


def test_r13_1_audit_page_layout_is_refused_without_audit_view(page, monkeypatch) -> None:
    from flask import Flask

    from dashboard.i18n import init_i18n

    module, _registered, _actions = page
    asked: list[str] = []
    monkeypatch.setattr(dashboard.security, "may", lambda action: asked.append(action) or False)
    server = Flask(__name__)
    init_i18n(server, "en", "America/Santiago")
    with server.test_request_context("/audit"):
        refused = module.layout()
        assert refused.id == "forbidden"
        assert asked == ["audit.view"]
        # a "to" before "from" is a message naming both fields as the form labels them
        message = module._problem_text(AuditFilterError("audit.until_before_since", "until", {"until": "b", "since": "a"}))
        assert "“To”" in message and "“From”" in message


def test_from_date_is_local_midnight_and_to_date_includes_its_whole_day() -> None:
    since, until = local_period(date(2025, 3, 14), date(2025, 3, 14), "America/Santiago")
    assert since == datetime(2025, 3, 14, 3, 0, tzinfo=UTC)  # Santiago is UTC-3 in March
    assert until == datetime(2025, 3, 15, 3, 0, tzinfo=UTC)
    assert local_period(None, None, "Asia/Shanghai") == (None, None)
    assert local_period(date(2025, 3, 14), None, "Asia/Shanghai")[0] == datetime(2025, 3, 13, 16, 0, tzinfo=UTC)


def test_a_day_whose_midnight_is_skipped_by_dst_starts_at_its_first_instant() -> None:
    # Chile moved its clocks from 00:00 to 01:00 on 2025-09-07: that day has 23 hours.
    since, until = local_period(date(2025, 9, 7), date(2025, 9, 7), "America/Santiago")
    assert since == datetime(2025, 9, 7, 4, 0, tzinfo=UTC)
    assert (until - since).total_seconds() == 23 * 3600


def test_to_date_before_from_date_is_refused_naming_until() -> None:
    with pytest.raises(AuditFilterError, match="until") as refused:
        local_period(date(2025, 3, 14), date(2025, 3, 13), "America/Santiago")
    assert refused.value.field == "until" and refused.value.code == "audit.until_before_since"


def test_change_summary_lists_only_what_changed() -> None:
    assert change_summary({"status": "dispatched", "crew": "CR1"}, {"status": "acknowledged", "crew": "CR1"}) == (
        "status: dispatched → acknowledged"
    )
    assert change_summary(None, {"code": "CR1", "name": "North\n crew"}) == "code: CR1; name: North crew"
    assert change_summary({"crew": "CR1"}, {}) == "crew: CR1 → —"
    assert change_summary(None, None) == ""
    long = change_summary(None, {f"k{i}": "x" * 50 for i in range(20)})
    assert len(long) == 240 and long.endswith("…")


def test_every_entity_a_service_audits_has_a_name_on_the_page(page) -> None:
    """A code written by ``record(..., entity="...")`` must not reach the screen raw (e.g. ``plan_in_force``)."""
    import ast
    from pathlib import Path

    module, _registered, _actions = page
    written = set()
    for path in (Path(__file__).resolve().parents[2] / "ops").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "entity" and isinstance(node.value, ast.Constant):
                written.add(node.value.value)
    assert {"ticket", "work_order", "plan_in_force"} <= written  # the scan sees the services
    assert written - set(module.ENTITY_LABELS) == set()
