"""The people of the demo: customers on real street nodes, their names and phones, and the logins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from data.demo import texts
from data.demo.scenario.config import DEMO_USERS, DemoConfig
from data.demo.scenario.geography import District, allocate, street
from data.demo.scenario.sampling import choice
from data.service_area import ServiceArea
from ops.services.bulk_import import CustomerIn
from ops.vocabulary import Role

if TYPE_CHECKING:
    from data.demo.scenario.crews import CrewSpec

__all__ = ["Customers", "UserSpec", "customers", "mobile_number", "person_name", "users"]


@dataclass(frozen=True)
class UserSpec:
    username: str
    display_name: str
    roles: tuple[Role, ...]


@dataclass
class Customers:
    """The customer records plus what reports need to come from them: node, district, name, phone."""

    records: list[CustomerIn]
    nodes: np.ndarray
    district_codes: list[str]
    names: list[str]
    phones: list[str]


def person_name(rng: np.random.Generator, surname: str | None = None) -> str:
    first = choice(rng, texts.FIRST_NAMES_F if rng.random() < 0.5 else texts.FIRST_NAMES_M)
    return f"{first} {surname or choice(rng, texts.SURNAMES)} {choice(rng, texts.SURNAMES)}"


def mobile_number(rng: np.random.Generator) -> str:
    return f"+56 9 {int(rng.integers(1000, 10000))} {int(rng.integers(1000, 10000))}"


def _phone(rng: np.random.Generator) -> str:
    if rng.random() < 0.15:
        return f"+56 51 2{int(rng.integers(10, 100))} {int(rng.integers(1000, 10000))}"
    return mobile_number(rng)


def customers(rng: np.random.Generator, area: ServiceArea, geoms: list[District], owner: np.ndarray,
              config: DemoConfig) -> Customers:
    """``config.customers`` customers spread over the districts in proportion to their population."""
    populations = np.array([p if (owner == i).any() else 0 for i, (_, _, p) in enumerate(geoms)], dtype=float)
    if populations.sum() <= 0:  # no population data: spread over the districts by their node count
        populations = np.bincount(owner[owner >= 0], minlength=len(geoms)).astype(float)
    counts = allocate(config.customers, populations)
    nodes, district_idx = [], []
    for i, count in enumerate(counts):
        if count == 0:
            continue
        candidates = np.flatnonzero(owner == i)
        nodes.append(rng.choice(candidates, size=int(count), replace=True))
        district_idx.append(np.full(int(count), i))
    node_arr = np.concatenate(nodes)
    dist_arr = np.concatenate(district_idx)
    order = rng.permutation(len(node_arr))  # customer numbers are not sorted by district
    node_arr, dist_arr = node_arr[order], dist_arr[order]
    net = area.network
    records, names, phones, codes = [], [], [], []
    contact = rng.random(len(node_arr)) < config.emergency_contact_share
    for k, (node, d) in enumerate(zip(node_arr.tolist(), dist_arr.tolist(), strict=True)):
        surname = choice(rng, texts.SURNAMES)
        name = person_name(rng, surname)
        phone = _phone(rng)
        door = str(int(rng.integers(1, 3000)))
        kwargs: dict[str, Any] = {}
        if contact[k]:
            kwargs = {
                "emergency_contact_name": person_name(rng, surname), "emergency_contact_phone": mobile_number(rng),
                "emergency_contact_note": choice(rng, texts.EMERGENCY_CONTACT_NOTES),
                "lives_alone": True, "vulnerable": True,
            }
        code = geoms[d][0]
        records.append(CustomerIn(
            customer_no=f"GD{k + 1:06d}", name=name, address=f"{street(area, node)} {door}",
            door_no=door, lon=float(net.lon[node]), lat=float(net.lat[node]), phone=phone,
            district_code=code, **kwargs,
        ))
        names.append(name)
        phones.append(phone)
        codes.append(code)
    return Customers(records, node_arr, codes, names, phones)


def users(rng: np.random.Generator, crews: list[CrewSpec]) -> list[UserSpec]:
    """One login per role; the crew member's login is the first member of the first crew."""
    result = []
    for username, role in DEMO_USERS:
        display = crews[0].members[0][0] if role is Role.CREW_MEMBER else person_name(rng)
        result.append(UserSpec(username, display, (role,)))
    return result
