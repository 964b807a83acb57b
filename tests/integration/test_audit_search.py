"""R13.1: the audit page's search finds events by person, ticket, crew, action and period, on both databases.

One small log is written per test (through ``ops.audit.record``, as services do) and searched many ways;
typed filter values are text, never SQL and never LIKE patterns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from ops import audit
from ops.db import transaction
from ops.errors import ServiceError
from ops.models import AuditEvent, RepairRecord
from ops.reads.audit_search import (
    AuditFilter,
    AuditFilterError,
    Change,
    audit_actions,
    audit_crews,
    audit_event,
    change_summary,
    search_audit,
)
from ops.vocabulary import RepairResult

if TYPE_CHECKING:
    from conftest import Builders


@dataclass(frozen=True)
class Log:
    ids: dict[str, int]
    ticket_1: str
    ticket_2: str
    crew_a: str
    crew_b: str


@pytest.fixture
def log(session_factory: sessionmaker[Session], build: Builders, t0: datetime) -> Log:
    """Nine events: two tickets, two crews, three people, the scheduler and an import."""
    with transaction(session_factory) as s:
        alice = build.user(username="alice", display_name="Alice Wang")
        bob = build.user(username="bzhang", display_name="Bob Zhang")
        chen = build.user(username="chen")
        crew_a, crew_b = build.crew(code="CR-A"), build.crew(code="CR-B")
        ticket_1, ticket_2 = build.ticket(), build.ticket()
        order_1, order_2 = build.work_order(ticket_1, crew_a), build.work_order(ticket_2, crew_b)
        s.add_all([alice, bob, chen, crew_a, crew_b, ticket_1, ticket_2, order_1, order_2])
        s.flush()
        repair = RepairRecord(work_order_id=order_1.id, cause="corroded joint", measures="replaced",
                              result=RepairResult.FIXED, customer_confirmation="signed", completed_at=t0)
        s.add(repair)
        s.flush()

        def rec(key: str, minutes: float, actor, action: str, entity: str, entity_id, **kw) -> tuple[str, AuditEvent]:
            user_id, label = actor
            return key, audit.record(s, actor_id=user_id, actor_label=label, action=action, entity=entity,
                                     entity_id=entity_id, at=t0 + timedelta(minutes=minutes), **kw)

        a, b, c = (alice.id, "dispatcher Alice"), (bob.id, "supervisor Bob"), (chen.id, "crew Chen")
        events = dict([
            rec("create_t1", 0, a, "ticket.create", "ticket", ticket_1.id, after={"status": "new"}),
            rec("dispatch_wo1", 2, b, "dispatch.confirm", "work_order", order_1.id,
                before={"status": "new"}, after={"status": "dispatched"},
                recommendation={"top": ["CR-A", "CR-B"]}, note="nearest crew; <b>not</b> html"),
            rec("escalate_wo2", 10, (None, "scheduler"), "order.escalate", "work_order", order_2.id),
            rec("crew_status", 60, c, "crew.set_status", "crew", crew_a.id,
                before={"status": "available"}, after={"status": "en_route"}),
            rec("repair", 120, c, "repair.file", "repair_record", repair.id),
            rec("import_t2", -24 * 60, (None, "import"), "ticket.import", "ticket", ticket_2.id, imported=True),
            rec("login", 24 * 60, a, "auth.login", "user", alice.id),
            rec("logout", 24 * 60 + 5, a, "auth.logout", "user", alice.id),
            rec("odd", 30, (None, r"agent 100%_sure\x"), "other.note", "demo", None),
        ])
        s.flush()
        ids = {key: e.id for key, e in events.items()}
        return Log(ids, ticket_1.ticket_no, ticket_2.ticket_no, crew_a.code, crew_b.code)


def _keys(log: Log, s: Session, **kw) -> set[str]:
    rows, total = search_audit(s, AuditFilter(**kw))
    assert total == len(rows)
    by_id = {v: k for k, v in log.ids.items()}
    return {by_id[r.id] for r in rows}


def test_r13_1_audit_search_filters_by_person_ticket_crew_action_and_period(
    session_factory: sessionmaker[Session], log: Log, t0: datetime
) -> None:
    with session_factory() as s:
        # person: the label recorded at the time, or the acting user's username; any case
        assert _keys(log, s, person="ALICE") == {"create_t1", "login", "logout"}
        assert _keys(log, s, person="bzh") == {"dispatch_wo1"}
        # ticket: its own events plus those of its work orders and repair records
        assert _keys(log, s, ticket_no=log.ticket_1) == {"create_t1", "dispatch_wo1", "repair"}
        assert _keys(log, s, ticket_no=f" {log.ticket_2.lower()} ") == {"import_t2", "escalate_wo2"}
        # crew: the crew and its work orders (and their repair records)
        assert _keys(log, s, crew_code=log.crew_a) == {"crew_status", "dispatch_wo1", "repair"}
        assert _keys(log, s, crew_code="cr-b") == {"escalate_wo2"}
        # action: exact, or a prefix with or without the dot; never a bare partial word
        assert _keys(log, s, action="auth.") == {"login", "logout"}
        assert _keys(log, s, action="auth") == {"login", "logout"}
        assert _keys(log, s, action="auth.login") == {"login"}
        assert _keys(log, s, action="tick") == set()
        # period: since <= at < until
        assert _keys(log, s, since=t0, until=t0 + timedelta(hours=1)) == {
            "create_t1", "dispatch_wo1", "escalate_wo2", "odd"}
        assert _keys(log, s, since=t0 + timedelta(hours=2)) == {"repair", "login", "logout"}
        assert _keys(log, s, until=t0) == {"import_t2"}
        # filters combine; imported history can be left out
        assert _keys(log, s, person="alice", action="auth", since=t0 + timedelta(minutes=24 * 60 + 1)) == {"logout"}
        assert "import_t2" not in _keys(log, s, include_imported=False)
        assert len(_keys(log, s)) == 9


def test_r13_1_audit_rows_are_newest_first_with_a_readable_change_and_the_total(
    session_factory: sessionmaker[Session], log: Log
) -> None:
    with session_factory() as s:
        rows, total = search_audit(s, AuditFilter(limit=3))
        assert total == 9
        assert [r.id for r in rows] == [log.ids["logout"], log.ids["login"], log.ids["repair"]]

        rows, _ = search_audit(s, AuditFilter(crew_code=log.crew_a))
        by_id = {r.id: r for r in rows}
        status = by_id[log.ids["crew_status"]]
        assert status.changes == (Change("status", "available", "en_route"),)
        assert change_summary(status.changes) == "status: available → en_route"
        assert status.reference == log.crew_a and status.entity_id is not None
        dispatch = by_id[log.ids["dispatch_wo1"]]
        assert dispatch.has_recommendation and not status.has_recommendation
        assert dispatch.reference == f"{log.ticket_1} / {log.crew_a}"
        assert dispatch.note == "nearest crew; <b>not</b> html"  # kept as text; the grid shows it as text

        detail = audit_event(s, log.ids["dispatch_wo1"])
        assert detail is not None and detail.recommendation == {"top": ["CR-A", "CR-B"]}
        assert audit_event(s, 10_000) is None

        assert audit_actions(s) == sorted({
            "ticket.create", "dispatch.confirm", "order.escalate", "crew.set_status", "repair.file",
            "ticket.import", "auth.login", "auth.logout", "other.note"})
        assert [code for code, _name in audit_crews(s)] == ["CR-A", "CR-B"]


TYPED = ["' OR 1=1 --", "'; DROP TABLE audit_events; --", "%", "_", "\\", "%%", "a%", "' OR ''='", "auth.%"]


def test_r13_1_sql_and_like_metacharacters_are_matched_as_text(
    session_factory: sessionmaker[Session], log: Log
) -> None:
    with session_factory() as s:
        for typed in TYPED:
            for field in ("ticket_no", "crew_code", "action"):
                assert search_audit(s, AuditFilter(**{field: typed})) == ([], 0), (field, typed)
            # the only label holding a literal %, _ or \ is the odd one; nothing else matches
            expected = {"odd"} if typed in {"%", "_", "\\"} else set()
            assert _keys(log, s, person=typed) == expected, typed
    with session_factory() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 9
        assert len(search_audit(s, AuditFilter())[0]) == 9


def test_r13_1_bad_filters_are_refused_naming_the_field(t0: datetime) -> None:
    with pytest.raises(ServiceError, match=r"until.*before since") as refused:
        AuditFilter(since=t0, until=t0 - timedelta(seconds=1))
    assert isinstance(refused.value, AuditFilterError) and refused.value.field == "until"
    with pytest.raises(AuditFilterError, match="since") as naive:
        AuditFilter(since=t0.replace(tzinfo=None))
    assert naive.value.code == "audit.naive"
    with pytest.raises(AuditFilterError, match="person") as long_:
        AuditFilter(person="x" * 201)
    assert long_.value.code == "audit.too_long"
    with pytest.raises(AuditFilterError, match="limit"):
        AuditFilter(limit=0)
    assert AuditFilter(person="  ", ticket_no="").person is None
    AuditFilter(since=t0, until=t0)  # an empty period is allowed
