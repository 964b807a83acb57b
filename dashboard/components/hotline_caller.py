"""The caller on the hotline page: the customers a lookup found, the chosen one's card, the place.

A lookup's result goes to the browser as plain dicts (the ``hl-customers`` store), so that choosing
between several customers redraws the card without asking the database again. The card puts the
R4.2 emergency contact first, because an elderly caller alone changes what the agent says next.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from dashboard.i18n import _, format_datetime
from dashboard.labels import label
from ops.reads.caller_lookup import CustomerCard
from ops.services.intake import ResolvedLocation


def card_dict(card: CustomerCard, tz: str) -> dict[str, Any]:
    """A customer as the ``hl-customers`` store keeps it (JSON: times already shown in ``tz``)."""
    return {
        "customer_no": card.customer_no, "name": card.name, "phone": card.phone or "", "address": card.address,
        "door_no": card.door_no or "", "district": card.district or "", "lon": card.lon, "lat": card.lat,
        "contact_name": card.emergency_contact_name or "", "contact_phone": card.emergency_contact_phone or "",
        "contact_note": card.emergency_contact_note or "", "lives_alone": card.lives_alone,
        "vulnerable": card.vulnerable,
        "recent": [{"no": t.ticket_no, "at": format_datetime(t.received_at, tz), "cls": t.ticket_class,
                    "symptom": t.symptom, "status": t.status} for t in card.recent_tickets],
    }


def customer_options(cards: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The choice shown when a phone number belongs to several customers."""
    return [{"label": f"{c['customer_no']} · {c['name']} · {c['address']}", "value": c["customer_no"]}
            for c in cards]


def customer_card(card: dict[str, Any]) -> dbc.Card:
    parts: list = [html.Div([html.B(card["name"]), " · ", card["customer_no"]]),
                   html.Div(" ".join(x for x in (card["address"], card["district"]) if x))]
    if card["contact_name"] or card["contact_phone"]:
        flags = []
        if card["lives_alone"]:
            flags.append(_("lives alone"))
        if card["vulnerable"]:
            flags.append(_("vulnerable"))
        parts.append(dbc.Alert(
            [html.B(_("Emergency contact (R4.2)") + ": "),
             " ".join(x for x in (card["contact_name"], card["contact_phone"]) if x),
             html.Span(" · " + card["contact_note"]) if card["contact_note"] else None,
             html.Span(" · " + ", ".join(flags)) if flags else None],
            color="warning", className="py-1 px-2 my-1", id="hl-emergency-contact",
        ))
    if card["recent"]:
        parts.append(html.Div(_("Recent tickets"), className="fw-semibold mt-1"))
        parts.append(html.Ul([
            html.Li(f"{t['at']} · {t['no']} · " + _("Class {n}").format(n=t["cls"]) + " · "
                    + label(t["symptom"]) + " · " + label(t["status"]))
            for t in card["recent"]
        ], className="ps-3 mb-0", id="hl-recent-tickets"))
    else:
        parts.append(html.Div(_("No earlier tickets."), className="text-muted"))
    return dbc.Card(dbc.CardBody(parts, className="p-2"), className="mb-1")


def no_customer_alert() -> dbc.Alert:
    return dbc.Alert(_("No customer found. For a street leak, pick the place on the map or type the street."),
                     color="secondary", className="py-1 px-2 small mb-1")


def location_text(where: ResolvedLocation) -> html.Span:
    """How the ticket's place was found, and whether the agent should confirm it (a street match)."""
    source = {
        "customer": _("Customer's premises (exact)"),
        "street": _("Street match, approximate: {street}").format(street=where.street or ""),
        "coordinates": _("Point picked on the map"),
    }[where.source]
    district = " · " + _("District {code}").format(code=where.district_code) if where.district_code else ""
    badge = dbc.Badge(_("approximate"), color="warning", text_color="dark", className="ms-1") \
        if where.approximate else None
    return html.Span([source, district, badge], id="hl-location-source")
