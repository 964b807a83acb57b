"""ops.lifecycle: the work-order transition table walked as a graph, and the guard that it is the only writer.

The table replaced status writes spread over the work-order services; these tests pin that it says
what the services accepted before (from-statuses, rights) and that nothing else moves an order or
its ticket through the lifecycle behind its back.
"""

from __future__ import annotations

import ast
from collections import deque
from pathlib import Path

import pytest

from ops.errors import ConflictError
from ops.lifecycle import TICKET_AFTER_REPAIR, TRANSITIONS, Step, authorize, expect
from ops.messages import WORDS
from ops.models import WorkOrder
from ops.permissions import ACTIONS, Actor, PermissionDenied
from ops.vocabulary import CrewStatus, RepairResult, Role, TicketStatus, WorkOrderStatus

ROOT = Path(__file__).resolve().parents[2]
S = WorkOrderStatus
TERMINAL = frozenset(s for s in S if not s.is_active)

#: What each service accepted before the table existed (its ``_expect(...)`` call), and the checks it made.
BEFORE: dict[Step, tuple[set[S | None], str, bool, bool]] = {
    # step: (from-statuses, action for require(), office only, own crew only)
    Step.DISPATCH: ({None}, "dispatch.confirm", False, False),
    # R7.6: confirmed for a busy crew; promoted when the crew's current order ends (inside that step).
    Step.QUEUE: ({None}, "dispatch.confirm", False, False),
    Step.PROMOTE: ({S.QUEUED}, "dispatch.confirm", False, False),
    Step.ACKNOWLEDGE: ({S.DISPATCHED}, "order.acknowledge", False, True),
    Step.DEPART: ({S.ACKNOWLEDGED}, "order.update_status", False, True),
    Step.ARRIVE: ({S.EN_ROUTE}, "order.update_status", False, True),
    Step.RECORD_READING: ({S.ON_SITE}, "repair.file", False, True),
    Step.COMPLETE: ({S.ON_SITE}, "repair.file", False, True),
    Step.NOT_FIXED: ({S.ON_SITE}, "repair.file", False, True),
    Step.CANCEL: ({S.QUEUED, S.DISPATCHED, S.ACKNOWLEDGED, S.EN_ROUTE, S.ON_SITE}, "order.update_status", True,
                  False),
    Step.REASSIGN: ({S.QUEUED, S.DISPATCHED, S.ACKNOWLEDGED, S.EN_ROUTE}, "dispatch.confirm", True, False),
    Step.PREEMPT: ({S.DISPATCHED, S.ACKNOWLEDGED, S.EN_ROUTE}, "dispatch.confirm", False, False),
}


def _targets(t) -> set[S]:
    return {t.target} if t.target is not None else set(t.sources) - {None}


def test_every_step_has_one_row_keyed_by_itself():
    assert set(TRANSITIONS) == set(Step)
    assert all(key is t.step for key, t in TRANSITIONS.items())


def test_every_status_is_reachable_from_a_new_order():
    seen: set[S | None] = {None}
    todo = deque([None])
    while todo:
        status = todo.popleft()
        for t in TRANSITIONS.values():
            if t.allows(status):
                for target in _targets(t) - seen:
                    seen.add(target)
                    todo.append(target)
    assert seen - {None} == set(S)


def test_terminal_statuses_have_no_way_out_and_every_other_has_one_to_an_end():
    for t in TRANSITIONS.values():
        assert not t.sources & TERMINAL, t.step
    for status in set(S) - TERMINAL:
        ways = [t for t in TRANSITIONS.values() if t.allows(status) and t.target is not None]
        assert ways, status
        assert any(t.target in TERMINAL for t in ways), status  # the office can always end an active order


@pytest.mark.parametrize("step", list(Step))
def test_each_step_accepts_and_checks_what_the_service_did_before(step):
    t = TRANSITIONS[step]
    sources, action, office_only, own_crew = BEFORE[step]
    assert (set(t.sources), t.action, t.office_only, t.own_crew) == (sources, action, office_only, own_crew)
    assert t.action in ACTIONS


def test_a_refused_step_is_named_in_words_the_edge_translates():
    """Dispatch starts from no order (its ticket must be waiting: ``ticket.not_waiting``), and a crew
    is preempted only from a status the row allows, so neither is ever refused with ``order.wrong_step``."""
    assert set(Step) - {Step.DISPATCH, Step.PREEMPT} <= set(WORDS)
    assert {Step.QUEUE, Step.PROMOTE} <= set(WORDS)


def test_stamps_are_order_columns():
    columns = set(WorkOrder.__table__.columns.keys())
    for t in TRANSITIONS.values():
        assert t.stamp is None or t.stamp in columns, t.step
        assert t.stamp is None or t.stamp not in t.clears, t.step
        if t.target is None:
            assert t.stamp is None and not t.clears, t.step
        else:  # a step that moves the order says when, or (back to a queue, R7.6) forgets its visit
            assert t.stamp is not None or "current_since" in t.clears, t.step


def test_an_active_order_and_its_ticket_read_the_same_and_an_ended_one_frees_the_crew():
    for t in TRANSITIONS.values():
        if t.target is None:
            assert t.ticket_after() is None and t.crew is None
        elif t.target is S.QUEUED:  # R7.6: counts as dispatched; the crew goes on with what it does
            assert t.ticket_after() is TicketStatus.DISPATCHED and t.crew is None, t.step
        elif t.target.is_active:
            assert t.ticket_after() is TicketStatus(t.target.value), t.step
            if t.target is S.ACKNOWLEDGED:
                assert t.crew is None  # the crew stays "dispatched" while it prepares
            else:
                assert t.crew is CrewStatus(t.target.value), t.step
        else:
            assert t.crew is CrewStatus.AVAILABLE, t.step
    for step in (Step.CANCEL, Step.REASSIGN):
        assert TRANSITIONS[step].ticket_after() is TicketStatus.NEW  # back in the open queue
    # R7.6: a diverted order stays confirmed, at the head of its crew's queue, its visit forgotten.
    preempt = TRANSITIONS[Step.PREEMPT]
    assert preempt.target is S.QUEUED and preempt.ticket_after() is TicketStatus.DISPATCHED
    assert {"current_since", "acknowledged_at", "departed_at", "escalated_at"} <= set(preempt.clears)


def test_the_closing_steps_set_the_ticket_by_the_repair_result():
    assert set(TICKET_AFTER_REPAIR) == set(RepairResult)
    for step in (Step.COMPLETE, Step.NOT_FIXED):
        t = TRANSITIONS[step]
        assert t.ticket_after(RepairResult.FIXED) is TicketStatus.COMPLETED  # awaits its R10 callback
        assert t.ticket_after("not_fixed") is TicketStatus.NEW
        assert t.ticket_after(RepairResult.NEEDS_FOLLOW_UP) is TicketStatus.NEW
        with pytest.raises(ValueError, match="repair result"):
            t.ticket_after()


def test_a_wrong_step_lists_the_allowed_statuses_in_their_declared_order():
    with pytest.raises(ConflictError) as err:
        expect(WorkOrder(status=S.COMPLETED), Step.CANCEL)
    assert (err.value.code, err.value.field) == ("order.wrong_step", "status")
    assert err.value.params == {"step": "cancel", "status": "completed",
                                "allowed": ["queued", "dispatched", "acknowledged", "en_route", "on_site"]}
    expect(WorkOrder(status=S.ON_SITE), Step.CANCEL)
    expect(WorkOrder(), Step.DISPATCH)
    with pytest.raises(ConflictError):
        expect(WorkOrder(status=S.DISPATCHED), Step.DISPATCH)


def _actor(*roles: Role) -> Actor:
    return Actor(user_id=None, label="someone", roles=frozenset(roles))


def test_office_only_steps_refuse_a_crew_member_naming_the_step():
    with pytest.raises(PermissionDenied) as err:
        authorize(_actor(Role.CREW_MEMBER), Step.CANCEL)
    assert err.value.code == "order.office_only" and err.value.params["step"] == "cancel"
    assert err.value.action == "order.cancel"
    with pytest.raises(PermissionDenied) as err:
        authorize(_actor(Role.MANAGER), Step.CANCEL)  # no right at all: the plain refusal comes first
    assert err.value.code == "permission.denied"
    authorize(_actor(Role.DISPATCHER), Step.CANCEL)
    authorize(_actor(Role.CREW_MEMBER), Step.DEPART)
    with pytest.raises(PermissionDenied):  # R7.5: a dispatcher without the granted right
        authorize(_actor(Role.DISPATCHER), Step.REASSIGN)


# ----------------------------------------------------------------------------- the only writer
#: Writes of a ``status`` that are not an order step, each with why it may stay where it is. (Bulk
#: import also builds its tickets from a dict, ``Ticket(**plan.values)``, with the status
#: ``bulk_import.ticket_check`` derives from the history: history, not a step, and out of this scan's sight.)
ALLOWED: dict[tuple[str, str], str] = {
    ("ops/services/crews.py", "crew.status ="): "a crew's own status, set by hand or by its shift",
    ("ops/services/intake/callbacks.py", "task.status ="): "an R10 callback task, not a ticket",
    ("ops/services/intake/create.py", "Ticket(status=...)"): "intake: a new ticket starts in the queue",
    ("ops/services/bulk_import/history_write.py", "WorkOrder(status=...)"):
        "bulk import writes history as it happened (its statuses are checked in work_order_check)",
}
_BUILDERS = {"WorkOrder", "Ticket", "values"}  # a model's constructor, or ``update(...).values(...)``


def _status_writes(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        found += [f"{ast.unparse(t)} =" for t in targets if isinstance(t, ast.Attribute) and t.attr == "status"]
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name == "setattr" and len(node.args) > 1 and isinstance(node.args[1], ast.Constant) \
                    and node.args[1].value == "status":
                found.append(f"setattr({ast.unparse(node.args[0])}, {ast.unparse(node.args[1])}, ...)")
            if name in _BUILDERS and any(k.arg == "status" for k in node.keywords):
                found.append(f"{name}(status=...)")
    return found


def test_no_code_outside_the_lifecycle_moves_an_order_or_ticket_status():
    files = [p for folder in ("ops", "data", "dashboard") for p in sorted((ROOT / folder).rglob("*.py"))
             if "migrations" not in p.parts]
    assert any(p.name == "work_orders.py" for p in files)  # the scan sees the services
    stray = []
    for path in files:
        where = str(path.relative_to(ROOT))
        if where == "ops/lifecycle.py":
            continue
        for write in _status_writes(ast.parse(path.read_text(), where)):
            if (where, write) not in ALLOWED:
                stray.append((where, write))
    assert stray == []


def test_the_guard_sees_every_kind_of_write():
    source = ("order.status = x\nt.status: S = x\nsetattr(o, 'status', x)\nsetattr(o, name, x)\n"
              "WorkOrder(status=x)\nsa.update(Ticket).values(status=x)\nsetattr(o, 'stamp', x)\n")
    assert _status_writes(ast.parse(source)) == [
        "order.status =", "t.status =", "setattr(o, 'status', ...)",
        "WorkOrder(status=...)", "values(status=...)"]
