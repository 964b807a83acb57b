"""The audit page (R13.1): registered and guarded as "audit.view", local-day periods, readable changes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import ModuleType
from typing import Any

import pytest

import dashboard.security
from ops.reads.audit_search import AuditFilterError, change_summary, changes, local_period
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


def summary(before: Any, after: Any, **kwargs: Any) -> str:
    return change_summary(changes(before, after), **kwargs)


def test_change_summary_lists_only_what_changed() -> None:
    assert summary({"status": "dispatched", "crew": "CR1"}, {"status": "acknowledged", "crew": "CR1"}) == (
        "status: dispatched → acknowledged"
    )
    assert summary(None, {"code": "CR1", "name": "North\n crew"}) == "code: CR1; name: North crew"
    assert summary({"crew": "CR1"}, {}) == "crew: CR1 → —"
    assert summary(None, None) == ""
    long = summary(None, {f"k{i}": "x" * 50 for i in range(20)})
    assert len(long) == 240 and long.endswith("…")


def test_the_page_names_stored_codes_in_the_readers_language() -> None:
    """Stored statuses and actions are codes; a zh_CN reader must not see ``dispatched`` or ``order.cancel``."""
    from flask import Flask

    from dashboard.audit_labels import action_label, shown_value
    from dashboard.i18n import init_i18n

    app = Flask(__name__)
    init_i18n(app, "zh_CN", "Asia/Shanghai")
    with app.test_request_context("/audit"):
        text = summary({"status": "dispatched", "ppm": 3}, {"status": "acknowledged", "ppm": 40}, show=shown_value)
        action = action_label("order.cancel")
    assert "dispatched" not in text and "acknowledged" not in text and "ppm: 3 → 40" in text
    assert action != "order.cancel" and not any(c.isascii() and c.isalpha() for c in action)
    assert action_label("future.action") == "future.action"  # an unknown code is shown, never hidden


def _audited_codes() -> tuple[set[str], set[str]]:
    """The entity and action codes the services and the demo write: string constants passed to the
    audit writers (``record``, a service's ``_audit``) or as ``action=``, or an ``action`` default."""
    import ast
    import re
    from pathlib import Path

    writers = {"record", "_audit", "_close_order"}
    entities: set[str] = set()
    actions: set[str] = set()
    root = Path(__file__).resolve().parents[2]
    for path in [*(root / "ops").rglob("*.py"), *(root / "data").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.arguments):  # a default such as ``_action: str = "dispatch.confirm"``
                named = [*node.posonlyargs, *node.args][-len(node.defaults):] if node.defaults else []
                pairs = [*zip(named, node.defaults, strict=True), *zip(node.kwonlyargs, node.kw_defaults, strict=True)]
                actions |= {d.value for a, d in pairs if a.arg in ("action", "_action") and isinstance(d, ast.Constant)}
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            values = [a for a in node.args if name in writers]
            values += [k.value for k in node.keywords if k.arg in ("action", "_action")]
            for value in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str) \
                        and re.fullmatch(r"[a-z_]+\.[a-z_]+", value.value):
                    actions.add(value.value)
            entities |= {k.value.value for k in node.keywords
                         if k.arg == "entity" and isinstance(k.value, ast.Constant)}
    return entities, actions


def test_every_entity_and_action_a_service_audits_has_a_name_on_the_page() -> None:
    """A code written to the log must not reach the screen raw (e.g. ``plan_in_force``, ``order.cancel``)."""
    from dashboard.audit_labels import ACTION_LABELS, ENTITY_LABELS
    from data.demo import DEMO_MARKER
    from ops.models.dispatch import AlertKind

    entities, actions = _audited_codes()
    assert {"ticket", "work_order", "plan_in_force"} <= entities  # the scan sees the services
    assert {"order.cancel", "order.preempt", "user.set_roles", "crew.set_status"} <= actions
    assert entities - set(ENTITY_LABELS) == set()
    actions |= {f"alert.{kind.value}" for kind in AlertKind} | {DEMO_MARKER}  # the scheduler's alert.<kind>
    assert actions - set(ACTION_LABELS) == set()
    assert set(ACTION_LABELS) - actions == set()  # no label for an event nobody writes
