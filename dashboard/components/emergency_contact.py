"""R4.2: the customer's emergency contact and care flags, one block for every page that shows a ticket.

The dispatch panel and the crew page put it next to the ticket, so whoever calls the household or
goes there knows an elderly person living alone is involved before anything else.
"""

from __future__ import annotations

from collections.abc import Callable

import dash_bootstrap_components as dbc
from dash import html

from ops.reads.emergency_contact import EmergencyContact

Translate = Callable[[str], str]


def care_flags(contact: EmergencyContact, _: Translate) -> list[str]:
    """The household's care flags in words ("lives alone", "vulnerable")."""
    flags = []
    if contact.lives_alone:
        flags.append(_("lives alone"))
    if contact.vulnerable:
        flags.append(_("vulnerable"))
    return flags


def contact_block(contact: EmergencyContact | None, _: Translate, element_id: str,
                  *, large: bool = False) -> dbc.Alert | None:
    """The contact (name, phone to call, note) and the care flags; nothing when there is neither."""
    if contact is None:
        return None
    parts: list = []
    if contact.name or contact.phone:
        parts.append(html.B(_("Emergency contact (R4.2)") + ": "))
        if contact.name:
            parts.append(contact.name + " ")
        if contact.phone:
            parts.append(html.A(contact.phone, href="tel:" + contact.phone.replace(" ", ""),
                                className="emergency-contact-phone"))
        if contact.note:
            parts.append(html.Span(" · " + contact.note))
    flags = care_flags(contact, _)
    if flags:
        badges = [dbc.Badge(flag, color="danger", className="me-1 care-flag") for flag in flags]
        parts.append(html.Span(badges, className="ms-2" if parts else ""))
    return dbc.Alert(parts, color="warning", id=element_id,
                     className=("py-2 px-2 mb-2 fs-6" if large else "py-1 px-2 mb-1 small") + " emergency-contact")
