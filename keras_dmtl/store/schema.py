"""The tables `keras-dmtl watch` writes and `keras-dmtl serve` reads.

Six tables, portable between SQLite and PostgreSQL (no dialect-specific
types: JSON through `sqlalchemy.JSON`, binary through `LargeBinary`):

- `models`: one row per watch run, the model artifact it used;
- `sources`: the cameras, files or folders, by a unique name;
- `tracks`: one row per person tracked, with its aggregated attributes;
- `observations`: per-frame outputs of a track (time series);
- `live_tracks`: the tracks in view now, replaced about once a second;
- `users`: who may sign in to `keras-dmtl serve` (password hashes only).

Every time is a timezone-aware UTC `datetime`: `UtcDateTime` converts
before storing (SQLite keeps no offset, PostgreSQL's `timestamptz` does)
and gives back UTC on reading, so both databases answer the same.

The schema is versioned by Alembic (`keras_dmtl/store/migrations`); a
change here needs a new revision there.
"""

import datetime
from typing import Any
from typing import Optional

from sqlalchemy import JSON
from sqlalchemy import BigInteger
from sqlalchemy import DateTime
from sqlalchemy import Float
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import LargeBinary
from sqlalchemy import MetaData
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Constraint names, so that Alembic (batch mode on SQLite) can find them."""

# SQLite only makes a primary key autoincrement as INTEGER; elsewhere the
# observations may outgrow 32 bits.
ID = BigInteger().with_variant(Integer(), "sqlite")


def utc_now():
    """The current time, timezone-aware, in UTC."""
    return datetime.datetime.now(datetime.timezone.utc)


class UtcDateTime(TypeDecorator):
    """A timezone-aware `datetime` stored as UTC, read back as UTC.

    Naive datetimes are refused (`ValueError`): their zone is unknown.

    Example:

    ```python
    time: Mapped[datetime.datetime] = mapped_column(UtcDateTime())
    ```
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, datetime.datetime):
            raise TypeError(f"expected a datetime, got {value!r}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()}: give "
                             "a timezone-aware (UTC) time")
        value = value.astimezone(datetime.timezone.utc)
        if dialect.name == "sqlite":  # stored as text without an offset
            value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=datetime.timezone.utc)
        return value.astimezone(datetime.timezone.utc)


class Base(DeclarativeBase):
    """The declarative base of the store's tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime.datetime: UtcDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
        bytes: LargeBinary(),
    }


class ModelRun(Base):
    """The model artifact one watch run used (table `models`).

    Example:

    ```python
    run = ModelRun(name="model.tflite", path="/m/model.tflite",
                   sha256="ab12...", runtime="tflite",
                   tasks=[{"name": "age", "kind": "ordinal"}])
    ```
    """

    __tablename__ = "models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    runtime: Mapped[str] = mapped_column(String(64))
    tasks: Mapped[list[Any]] = mapped_column(JSON)
    started_at: Mapped[datetime.datetime] = mapped_column(default=utc_now)

    tracks: Mapped[list["Track"]] = relationship(back_populates="model")


class Source(Base):
    """A camera, video file, stream or image folder (table `sources`).

    Example:

    ```python
    door = Source(name="door", uri="0")  # camera 0
    ```
    """

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    uri: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime.datetime] = mapped_column(default=utc_now)

    tracks: Mapped[list["Track"]] = relationship(back_populates="source")


class Track(Base):
    """One person followed through a source (table `tracks`).

    `age`, `gender`, `race` and `expression` are the aggregated answers
    (the winning class, the mean age) as columns to filter on;
    `attributes` holds every aggregated output (class probabilities per
    task, action unit rates, valence/arousal means); `boxes` the face
    boxes as `[seconds, x, y, w, h]` lists.

    Example:

    ```python
    track = Track(key=str(uuid.uuid4()), source=door, model=run,
                  first_seen=t0, last_seen=t1, duration_s=4.2, frames=120,
                  detections=24, confidence=0.97, age=31.5, gender="female",
                  attributes={"gender": {"female": 0.9, "male": 0.1}},
                  boxes=[[0.0, 10, 20, 64, 64]])
    ```
    """

    __tablename__ = "tracks"
    __table_args__ = (
        Index("ix_tracks_first_seen", "first_seen"),
        Index("ix_tracks_last_seen", "last_seen"),
        Index("ix_tracks_source_id", "source_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"))
    first_seen: Mapped[datetime.datetime]
    last_seen: Mapped[datetime.datetime]
    duration_s: Mapped[float] = mapped_column(Float)
    frames: Mapped[int] = mapped_column(Integer)
    detections: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[float] = mapped_column(Float)
    age: Mapped[Optional[float]] = mapped_column(Float)
    gender: Mapped[Optional[str]] = mapped_column(String(64))
    race: Mapped[Optional[str]] = mapped_column(String(64))
    expression: Mapped[Optional[str]] = mapped_column(String(64))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON)
    boxes: Mapped[list[Any]] = mapped_column(JSON)
    face_jpeg: Mapped[Optional[bytes]] = mapped_column(LargeBinary)
    created_at: Mapped[datetime.datetime] = mapped_column(default=utc_now)

    source: Mapped[Source] = relationship(back_populates="tracks")
    model: Mapped[ModelRun] = relationship(back_populates="tracks")
    observations: Mapped[list["Observation"]] = relationship(
        back_populates="track", cascade="all, delete-orphan",
        passive_deletes=True, order_by="Observation.time")


class Observation(Base):
    """The outputs of one frame of a track (table `observations`).

    `values` holds what varies along the track, e.g. action unit
    probabilities and valence/arousal, for time series.

    Example:

    ```python
    track.observations.append(Observation(
        time=t, values={"valence": 0.2, "arousal": 0.4, "AU12": 0.8}))
    ```
    """

    __tablename__ = "observations"
    __table_args__ = (
        Index("ix_observations_track_id_time", "track_id", "time"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    track_id: Mapped[int] = mapped_column(
        ForeignKey("tracks.id", ondelete="CASCADE"))
    time: Mapped[datetime.datetime]
    values: Mapped[dict[str, Any]] = mapped_column(JSON)

    track: Mapped[Track] = relationship(back_populates="observations")


class User(Base):
    """Someone who may sign in to the operator page (table `users`).

    Only a salted hash of the password is kept (`keras_dmtl.serve.
    passwords`); users are added with `keras-dmtl users add`.

    Example:

    ```python
    session.add(User(name="operator", password_hash=hash_password("...")))
    ```
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime.datetime] = mapped_column(default=utc_now)


class LiveTrack(Base):
    """A track in view now (table `live_tracks`), for the live page.

    The watcher replaces a source's rows about once a second and deletes
    them when it stops; a finished track moves to `tracks`. `updated_at`
    tells the page whether the watcher is still running.

    Example:

    ```python
    LiveTrack(key=track_key, source="door", first_seen=t0, last_seen=t1,
              box=[10, 20, 64, 64], confidence=0.99, age=31.0,
              gender="female", updated_at=utc_now())
    ```
    """

    __tablename__ = "live_tracks"
    __table_args__ = (Index("ix_live_tracks_source", "source"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(255))
    first_seen: Mapped[datetime.datetime]
    last_seen: Mapped[datetime.datetime]
    box: Mapped[list[Any]] = mapped_column(JSON)
    confidence: Mapped[float] = mapped_column(Float)
    age: Mapped[Optional[float]] = mapped_column(Float)
    gender: Mapped[Optional[str]] = mapped_column(String(64))
    race: Mapped[Optional[str]] = mapped_column(String(64))
    expression: Mapped[Optional[str]] = mapped_column(String(64))
    updated_at: Mapped[datetime.datetime] = mapped_column(default=utc_now)
