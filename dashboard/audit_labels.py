"""What the audit log's stored codes are called on screen: records, actions and changed values.

The log stores stable codes (``order.acknowledge``, ``work_order``, ``dispatched``) so that it reads
the same whatever language wrote it; the page names them in the reader's language. An unknown code
is shown as it is (an event written by a newer version, say), never hidden.
"""

from __future__ import annotations

from typing import Any

from dashboard.labels import LABELS, label
from ops.i18n import N_
from ops.reads.audit_search import value_text

__all__ = ["ACTION_LABELS", "ENTITY_LABELS", "action_label", "entity_label", "shown_value"]

ENTITY_LABELS: dict[str, str] = {
    "ticket": N_("Ticket"),
    "work_order": N_("Work order"),
    "repair_record": N_("Repair record"),
    "follow_up": N_("Callback"),
    "complaint": N_("Complaint"),
    "crew": N_("Crew"),
    "depot": N_("Depot"),
    "district": N_("District"),
    "customer": N_("Customer"),
    "user": N_("User"),
    "user_session": N_("Session"),
    "api_token": N_("API token"),
    "demo": N_("Demo data"),
    "alert": N_("Alert"),
    "plan_in_force": N_("Plan in force"),
}

#: Every action a service writes to the log (``tests/unit/test_audit_page.py`` scans the services for them).
ACTION_LABELS: dict[str, str] = {
    "alert.acknowledge": N_("Alert acknowledged"),
    "alert.pre_alert": N_("Alert: crew told to get ready"),
    "alert.auto_dispatched": N_("Alert: dispatched by the system"),
    "alert.no_ack": N_("Alert: not acknowledged in time"),
    "alert.at_risk": N_("Alert: deadline at risk"),
    "alert.red": N_("Alert: class 1 with no crew departed"),
    "alert.no_crew": N_("Alert: no crew can be recommended"),
    "auth.login": N_("Logged in"),
    "auth.login_failed": N_("Login failed"),
    "auth.login_throttled": N_("Login throttled"),
    "auth.logout": N_("Logged out"),
    "auth.sessions_revoked": N_("Sessions ended"),
    "crew.create": N_("Crew created"),
    "crew.position": N_("Crew position"),
    "crew.set_status": N_("Crew status"),
    "crew.standby": N_("Standby position sent"),
    "crew.standby_clear": N_("Standby position cleared"),
    "crew_member.link": N_("Crew member linked"),
    "customer.import": N_("Customer imported"),
    "demo.seed": N_("Demo data loaded"),
    "depot.create": N_("Depot created"),
    "dispatch.confirm": N_("Dispatch confirmed"),
    "dispatch.plan": N_("Plan confirmed"),
    "dispatch.recommend": N_("Recommendation made"),
    "district.import": N_("District imported"),
    "order.acknowledge": N_("Order acknowledged"),
    "order.arrive": N_("Crew on site"),
    "order.cancel": N_("Order cancelled"),
    "order.complete": N_("Order completed"),
    "order.depart": N_("Crew departed"),
    "order.escalate": N_("Order escalated"),
    "order.not_fixed": N_("Closed as not fixed"),
    "order.move": N_("Order moved"),
    "order.preempt": N_("Crew diverted to a class 1"),
    "order.promote": N_("Next order in the crew's queue made current"),
    "order.reading": N_("Gas reading recorded"),
    "order.reassign": N_("Order reassigned"),
    "ticket.change_class": N_("Class changed"),
    "ticket.create": N_("Ticket created"),
    "ticket.import": N_("Ticket imported"),
    "ticket.link_report": N_("Report linked"),
    "ticket.reschedule": N_("Appointment moved"),
    "ticket.safety_instruction": N_("Safety instructions given"),
    "token.create": N_("API token created"),
    "token.revoke": N_("API token revoked"),
    "user.change_password": N_("Password changed"),
    "user.create": N_("User created"),
    "user.grant_right": N_("Right granted"),
    "user.revoke_right": N_("Right revoked"),
    "user.set_language": N_("Language set"),
    "user.set_password": N_("Password set"),
    "user.set_roles": N_("Roles set"),
}


def entity_label(code: str) -> str:
    return label(code, ENTITY_LABELS)


def action_label(code: str) -> str:
    return label(code, ACTION_LABELS)


def shown_value(value: Any) -> str:
    """A changed value as the page shows it: a stored code (a status, a symptom) by its name."""
    return label(value) if isinstance(value, str) and value in LABELS else value_text(value)
