"""Where things are: districts (the road network's zones) and depots."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ops.models.base import Base, fk, pk


class District(Base):
    """A zone of the service area; KPIs (R14) and coverage are reported per district."""

    __tablename__ = "districts"

    id: Mapped[int] = pk()
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    population: Mapped[int | None] = mapped_column(sa.Integer)
    centroid_lon: Mapped[float] = mapped_column(sa.Float)
    centroid_lat: Mapped[float] = mapped_column(sa.Float)
    #: GeoJSON geometry (EPSG:4326) as text: no PostGIS/SpatiaLite needed, the optimizer reads it with shapely.
    geometry_geojson: Mapped[str | None] = mapped_column(sa.Text)
    #: Which network or import the zone came from, e.g. "aequilibrae:coquimbo" or an .osm.pbf path.
    source: Mapped[str] = mapped_column(sa.String(200))

    __table_args__ = (sa.CheckConstraint("population IS NULL OR population >= 0", name="population"),)


class Depot(Base):
    """Where crews start their shift."""

    __tablename__ = "depots"

    id: Mapped[int] = pk()
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    lon: Mapped[float] = mapped_column(sa.Float)
    lat: Mapped[float] = mapped_column(sa.Float)
    district_id: Mapped[int | None] = fk("districts.id", nullable=True)
