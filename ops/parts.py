"""The parts list a crew picks replaced parts from (R8.4: only parts that meet the national standard).

A closed list rather than free text, so that every replaced part in a repair record (R9.1) names a
part the utility has vetted, with the standard it was certified against; a listed part whose
certification has lapsed stays in the list (old records still name it) but is flagged
``meets_standard=False`` and is refused for new repairs. The default list is a product default;
operators replace it with their own stores catalogue.

Names are English, as stored in repair records; they are marked ``N_`` so that the crew page shows
them in the user's language (the record keeps the canonical name).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ops.i18n import N_

__all__ = ["PARTS", "Part"]


@dataclass(frozen=True)
class Part:
    code: str
    name: str
    standard: str
    meets_standard: bool = True


PARTS: Mapping[str, Part] = MappingProxyType({p.code: p for p in (
    Part("HOSE-1.5", N_("Appliance hose, 1.5 m"), "GB 29993"),
    Part("VALVE-DN15", N_("Ball valve DN15"), "GB/T 37061"),
    Part("REG-LP", N_("Domestic pressure regulator"), "GB 27790"),
    Part("METER-G2.5", N_("Diaphragm gas meter G2.5"), "GB/T 6968"),
    Part("SEAL-KIT", N_("Meter union seal kit"), "GB/T 6968"),
    Part("PIPE-PE32", N_("PE service pipe 32 mm, per metre"), "GB 15558.1"),
    Part("CLAMP-REPAIR", N_("Pipe repair clamp"), "CJ/T 180"),
    Part("HOSE-OLD", N_("Rubber hose (old type, withdrawn)"), "GB 29993", meets_standard=False),
)})
