"""Display names for the stored codes (symptoms, statuses, channels): codes never reach the screen raw."""

from __future__ import annotations

from collections.abc import Mapping

from dashboard.i18n import _
from ops.i18n import N_

LABELS: dict[str, str] = {
    # R5.2 symptoms
    "gas_leak": N_("Gas leak"),
    "no_gas": N_("No gas"),
    "abnormal_flame": N_("Abnormal flame"),
    "meter_fault": N_("Meter fault"),
    "valve_damage": N_("Valve damage"),
    "pipe_damage": N_("Pipe damage"),
    "fire": N_("Fire"),
    "explosion": N_("Explosion"),
    "appliance_fault": N_("Appliance fault"),
    "installation": N_("Installation"),
    "modification": N_("Modification"),
    "consultation": N_("Consultation"),
    "maintenance": N_("Maintenance"),
    "other": N_("Other"),
    # ticket and work-order statuses
    "new": N_("New"),
    "queued": N_("Queued"),
    "dispatched": N_("Dispatched"),
    "acknowledged": N_("Acknowledged"),
    "en_route": N_("En route"),
    "on_site": N_("On site"),
    "completed": N_("Completed"),
    "closed": N_("Closed"),
    "cancelled": N_("Cancelled"),
    # crew skills (installation shares the symptom's name)
    "leak_repair": N_("Leak repair"),
    "meter": N_("Meter work"),
    "appliance": N_("Appliance work"),
    "pipework": N_("Pipework"),
    # crew statuses
    "off_shift": N_("Off shift"),
    "available": N_("Available"),
    "unavailable": N_("Unavailable"),
    # R4.1 channels
    "hotline": N_("Hotline"),
    "web_app": N_("Website / app"),
    "wechat": N_("WeChat"),
    "counter": N_("Service counter"),
}


def label(code: str | None, table: Mapping[str, str] = LABELS) -> str:
    """The translated display name of a stored code (by ``table``); an unknown code is shown as it is."""
    if not code:
        return ""
    message = table.get(str(code))
    return _(message) if message else str(code)
