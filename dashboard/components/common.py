"""Small layout pieces shared by pages."""

from __future__ import annotations

import dash_bootstrap_components as dbc

from dashboard.i18n import _

#: The base map's source, credited in every page's footer and on the login page (ODbL).
ATTRIBUTION = "© OpenStreetMap contributors (ODbL); network from the AequilibraE Coquimbo example"


def forbidden() -> dbc.Alert:
    """What a user sees on a page their roles do not open (the server refuses its callbacks too)."""
    return dbc.Alert(_("You do not have access to this page."), color="warning", id="forbidden", className="mt-3")


def row_in_view(row_id: str) -> dict[str, str]:
    """A grid's ``scrollTo`` that brings a row picked elsewhere (map, board, alert) into the middle of the
    list: the grid only draws the rows on screen, so a selected row below the fold is otherwise unseen."""
    return {"rowId": row_id, "rowPosition": "middle"}
