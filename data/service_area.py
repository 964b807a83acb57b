"""The service area: the road network plus what the map and the districts need, cached on disk.

A loader (the bundled Coquimbo model, or a user's ``.osm.pbf``) is slow the first time — seconds to
read and clean tens of thousands of links — so its result is written once to the cache directory,
keyed by the source file, and every later start reads arrays back in a fraction of that.
The cache directory is written under a temporary name and renamed into place, so an interrupted
build never leaves a half-written cache that a later start would trust.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from optimizer.network import NetworkError, RoadNetwork

SERVICE_AREA_FORMAT = 2


class ServiceAreaError(RuntimeError):
    """The service area cannot be loaded; the message says what to do about it."""


@dataclass(eq=False)
class ServiceArea:
    """A road network with its districts, map layers and street names.

    ``districts`` is a GeoJSON FeatureCollection whose features carry ``code``, ``name`` and
    ``population``; they become the districts used across the product. ``roads`` is a simplified
    GeoJSON for drawing only (routing never reads it). ``node_street`` names a street at each node
    of the network, so that demo customers and snapped reports get a readable address.
    """

    name: str
    network: RoadNetwork
    districts: dict
    roads: dict
    node_street: list[str]
    cache_path: Path | None = None

    @property
    def population(self) -> int:
        return int(sum(f["properties"].get("population") or 0 for f in self.districts["features"]))

    def save(self, directory: Path) -> None:
        """Write every part, then move the whole directory into place in one rename."""
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=directory.parent, prefix=directory.name + ".tmp-"))
        try:
            self.network.save(tmp / "network.npz")
            (tmp / "districts.geojson").write_text(json.dumps(self.districts), encoding="utf-8")
            (tmp / "roads.geojson").write_text(json.dumps(self.roads), encoding="utf-8")
            (tmp / "streets.json").write_text(json.dumps(self.node_street, ensure_ascii=False), encoding="utf-8")
            (tmp / "meta.json").write_text(
                json.dumps({"format": SERVICE_AREA_FORMAT, "name": self.name}), encoding="utf-8"
            )
            if directory.exists():
                shutil.rmtree(directory)
            tmp.rename(directory)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    @classmethod
    def load(cls, directory: Path) -> ServiceArea:
        try:
            meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
            if meta.get("format") != SERVICE_AREA_FORMAT:
                raise ServiceAreaError(f"{directory} is an outdated service-area cache")
            network, _ = RoadNetwork.load(directory / "network.npz")
            return cls(
                name=meta["name"],
                network=network,
                districts=json.loads((directory / "districts.geojson").read_text(encoding="utf-8")),
                roads=json.loads((directory / "roads.geojson").read_text(encoding="utf-8")),
                node_street=json.loads((directory / "streets.json").read_text(encoding="utf-8")),
                cache_path=directory,
            )
        except (OSError, ValueError, KeyError, NetworkError) as exc:
            raise ServiceAreaError(f"unreadable service-area cache at {directory}: {exc}") from exc


def file_key(path: Path, *extra: str) -> str:
    """A short cache key from a source file's content, so an edited extract gets a fresh cache."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    for item in extra:
        digest.update(item.encode())
    digest.update(str(SERVICE_AREA_FORMAT).encode())
    return digest.hexdigest()[:16]


def cached(cache_root: Path, name: str, key: str, build: Callable[[], ServiceArea]) -> ServiceArea:
    """Load ``name-key`` from the cache, or build, save and return it."""
    directory = cache_root / f"{name}-{key}"
    if (directory / "meta.json").exists():
        try:
            return ServiceArea.load(directory)
        except ServiceAreaError:
            shutil.rmtree(directory, ignore_errors=True)  # rebuild below
    area = build()
    area.save(directory)
    area.cache_path = directory
    return area


def node_streets_from_links(
    network: RoadNetwork, link_a: np.ndarray, link_b: np.ndarray, names: list[str | None]
) -> list[str]:
    """Name each network node after a named road touching it (the first one found)."""
    position = {int(nid): i for i, nid in enumerate(network.node_ids.tolist())}
    streets = [""] * network.n_nodes
    for a, b, name in zip(link_a.tolist(), link_b.tolist(), names, strict=True):
        if not name:
            continue
        for node in (a, b):
            i = position.get(int(node))
            if i is not None and not streets[i]:
                streets[i] = str(name)
    return streets


def load_service_area(source: str, cache_root: Path) -> ServiceArea:
    """The configured service area: ``coquimbo`` (bundled) or a path to an ``.osm.pbf`` extract."""
    if source == "coquimbo":
        from data.coquimbo import load_coquimbo

        return load_coquimbo(cache_root)
    path = Path(source).expanduser()
    if path.suffix == ".pbf" or path.name.endswith(".osm.pbf"):
        from data.osm_pbf import load_osm_pbf

        return load_osm_pbf(path, cache_root)
    raise ServiceAreaError(
        f"GASDISPATCH_NETWORK_SOURCE={source!r} is neither 'coquimbo' nor a path to an .osm.pbf file"
    )


@functools.cache
def default_service_area() -> ServiceArea:
    """The process-wide service area from the settings (built and cached on first use)."""
    from ops.settings import get_settings

    settings = get_settings()
    return load_service_area(settings.network_source, settings.cache_dir / "network")
