"""Where a report is: the small interface intake needs from the geography, without importing it.

``ops`` must not import ``data`` or ``dashboard`` (dependencies point one way), yet intake has to ask
"is this point in our service area?", "which street is this address on?" and "which district is
it in?". :class:`Locator` is that question list; ``data.area_locator.AreaLocator`` answers it from the
loaded service area, and tests can answer it with a few lines of their own.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = ["Locator", "StreetMatch", "normalise_street_text"]


@dataclass(frozen=True)
class StreetMatch:
    """A point on the street named in a typed address; approximate by nature (no house numbers)."""

    lon: float
    lat: float
    street: str


@runtime_checkable
class Locator(Protocol):
    """The geography intake resolves a report against (R5.1: coordinates inside the service area)."""

    def inside(self, lon: float, lat: float) -> bool:
        """Whether a crew can be sent to this point: it lies in the service area."""
        ...

    def match_street(self, text: str) -> StreetMatch | None:
        """The best street of the network named in ``text``, or ``None`` if none is named."""
        ...

    def district_code(self, lon: float, lat: float) -> str | None:
        """The code of the district containing the point (``District.code``), if any."""
        ...


#: Abbreviations people type for the Spanish street types, spelled out as the map names them.
_ABBREVIATIONS = {
    "av": "avenida", "avd": "avenida", "avda": "avenida", "ave": "avenida",
    "pje": "pasaje", "psje": "pasaje", "clle": "calle",
    "cno": "camino", "pob": "poblacion", "pza": "plaza", "gral": "general", "sta": "santa",
    "sto": "santo", "pdte": "presidente", "cap": "capitan", "fco": "francisco",
}


def normalise_street_text(text: str) -> str:
    """Case, accents, punctuation and spacing removed, abbreviations spelled out.

    Agents type fast and on any keyboard: "AV.  Fco. de Aguirre" and "avenida francisco de aguirre"
    must meet. Accents are dropped (NFKD), so "Peñuelas" matches "Penuelas".
    """
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    words = re.findall(r"[a-z0-9]+", plain)
    return " ".join(_ABBREVIATIONS.get(w, w) for w in words)
