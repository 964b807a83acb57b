"""R4.2: a customer's emergency contact and care flags, as every screen that shows a ticket reads them.

The dispatch panel, the crew page and the API's ticket each show the contact of the ticket's
customer; one read keeps them saying the same thing (the hotline's caller card reads the customer
itself, before any ticket exists).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["EmergencyContact", "emergency_contact"]


@dataclass(frozen=True)
class EmergencyContact:
    """Whom to call for this household and why it needs care; flags stand even without a contact."""

    name: str | None
    phone: str | None
    note: str | None
    lives_alone: bool
    vulnerable: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def emergency_contact(customer: Any) -> EmergencyContact | None:
    """The R4.2 contact of an ORM customer (or a row with the same columns); ``None`` when there is
    nothing to show: no customer, no contact and no care flag."""
    if customer is None:
        return None
    contact = EmergencyContact(
        name=customer.emergency_contact_name or None, phone=customer.emergency_contact_phone or None,
        note=customer.emergency_contact_note or None, lives_alone=bool(customer.lives_alone),
        vulnerable=bool(customer.vulnerable))
    if not (contact.name or contact.phone or contact.lives_alone or contact.vulnerable):
        return None
    return contact
