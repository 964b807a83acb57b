"""The default service area: the Coquimbo–La Serena road model shipped inside the aequilibrae wheel.

© OpenStreetMap contributors (ODbL); network from the AequilibraE Coquimbo example.

aequilibrae's own ``Project().open()`` needs loadable SQLite extensions, which this Python lacks, so
the project database is read directly with pyogrio: its ``links``, ``nodes`` and ``zones`` layers
are plain GeoPackage-style tables that need no SpatiaLite.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np

from data.geojson import lines_by_class, polygons
from data.service_area import (
    ServiceArea,
    ServiceAreaError,
    cached,
    file_key,
    node_streets_from_links,
)
from optimizer.network import ARTERIAL_CLASSES, NetworkError, RoadNetwork, speed_for

ATTRIBUTION = "© OpenStreetMap contributors (ODbL); network from the AequilibraE Coquimbo example"
ZIP_RELATIVE = Path("reference_files") / "coquimbo.zip"
DATABASE_NAME = "project_database.sqlite"


def coquimbo_zip() -> Path:
    """Where the wheel keeps the model, found without importing aequilibrae (its import is slow)."""
    spec = importlib.util.find_spec("aequilibrae")
    if spec is None or not spec.submodule_search_locations:
        raise ServiceAreaError(
            "The bundled road network needs the 'aequilibrae' package, which is not installed. "
            "Run 'make install' (or pip install 'aequilibrae>=1.7.2,<1.8'), "
            "or set GASDISPATCH_NETWORK_SOURCE to the path of an .osm.pbf extract."
        )
    path = Path(next(iter(spec.submodule_search_locations))) / ZIP_RELATIVE
    if not path.is_file():
        raise ServiceAreaError(
            f"The aequilibrae package is installed but its data file {path} is missing. "
            "Reinstall it (pip install --force-reinstall 'aequilibrae>=1.7.2,<1.8'), "
            "or set GASDISPATCH_NETWORK_SOURCE to the path of an .osm.pbf extract."
        )
    return path


def load_coquimbo(cache_root: Path, *, zip_path: Path | None = None) -> ServiceArea:
    """The Coquimbo service area, from the on-disk cache when it is there."""
    zip_path = zip_path or coquimbo_zip()
    version = _aequilibrae_version()
    try:
        key = file_key(zip_path, version)
    except OSError as exc:
        raise ServiceAreaError(f"cannot read the road network file {zip_path}: {exc}") from exc
    return cached(cache_root, "coquimbo", key, lambda: build_coquimbo(zip_path))


def build_coquimbo(zip_path: Path) -> ServiceArea:
    """Read the model and derive the routing graph, districts, map layers and street names."""
    import geopandas as gpd

    with tempfile.TemporaryDirectory(prefix="gasdispatch-coquimbo-") as tmp:
        try:
            with zipfile.ZipFile(zip_path) as archive:
                member = next((n for n in archive.namelist() if n.endswith(DATABASE_NAME)), None)
                if member is None:
                    raise ServiceAreaError(f"{zip_path} holds no {DATABASE_NAME}; reinstall aequilibrae")
                database = Path(archive.extract(member, tmp))
        except zipfile.BadZipFile as exc:
            raise ServiceAreaError(
                f"{zip_path} is not a valid zip archive ({exc}); reinstall aequilibrae"
            ) from exc
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # osm_id overflows int32; unused
                links = gpd.read_file(
                    database, layer="links",
                    columns=["a_node", "b_node", "direction", "distance", "modes", "link_type",
                             "name", "speed_ab", "speed_ba"],
                )
                nodes = gpd.read_file(database, layer="nodes", columns=["node_id"])
                zones = gpd.read_file(database, layer="zones", columns=["zone_id", "name", "population"])
        except Exception as exc:  # pyogrio raises its own DataSourceError family
            raise ServiceAreaError(f"cannot read the layers of {database.name}: {exc}") from exc

    car = links[links["modes"].str.contains("c", na=False) & (links["link_type"] != "centroid_connector")]
    network = network_from_links(car, nodes)

    roads = lines_by_class(
        car, "link_type",
        {"arterial": set(ARTERIAL_CLASSES), "local": set(car["link_type"].unique()) - set(ARTERIAL_CLASSES)},
    )
    zones = zones.sort_values("zone_id")
    zones = zones.assign(
        code=[f"Z{int(z):03d}" for z in zones["zone_id"]],
        name=[n if isinstance(n, str) and n else f"Zone {int(z)}" for n, z in zip(zones["name"], zones["zone_id"], strict=True)],
        population=zones["population"].fillna(0).astype(int),
    )
    districts = polygons(zones, ["code", "name", "population"])
    streets = node_streets_from_links(
        network, car["a_node"].to_numpy(), car["b_node"].to_numpy(),
        [n if isinstance(n, str) else None for n in car["name"]],
    )
    return ServiceArea("coquimbo", network, districts, roads, streets)


def network_from_links(links, nodes) -> RoadNetwork:
    """Directed arcs from AequilibraE links: direction 1 is a→b, −1 is b→a, 0 is both ways."""
    a = links["a_node"].to_numpy(dtype=np.int64)
    b = links["b_node"].to_numpy(dtype=np.int64)
    direction = links["direction"].to_numpy(dtype=np.int64)
    length = links["distance"].to_numpy(dtype=float)
    road_class = links["link_type"].to_numpy(dtype=object)
    speed_ab = np.array([speed_for(c, s) for c, s in zip(road_class, links["speed_ab"], strict=True)])
    speed_ba = np.array([speed_for(c, s) for c, s in zip(road_class, links["speed_ba"], strict=True)])
    arterial = np.isin(road_class, list(ARTERIAL_CLASSES))
    forward = direction >= 0
    backward = direction <= 0
    if not (forward | backward).all():
        raise NetworkError("link direction must be -1, 0 or 1")
    frm = np.concatenate([a[forward], b[backward]])
    to = np.concatenate([b[forward], a[backward]])
    return RoadNetwork.from_arcs(
        node_ids=nodes["node_id"].to_numpy(dtype=np.int64),
        lon=nodes.geometry.x.to_numpy(),
        lat=nodes.geometry.y.to_numpy(),
        arc_from=frm,
        arc_to=to,
        length_m=np.concatenate([length[forward], length[backward]]),
        speed_kmh=np.concatenate([speed_ab[forward], speed_ba[backward]]),
        arterial=np.concatenate([arterial[forward], arterial[backward]]),
        source="coquimbo",
    )


def _aequilibrae_version() -> str:
    try:
        return importlib.metadata.version("aequilibrae")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
