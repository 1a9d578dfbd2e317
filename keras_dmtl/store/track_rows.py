"""Turning `TrackRecord`s into rows, and telling an outage from a bad row.

`write_tracks` is what `TrackWriter`'s thread runs for each batch; it is
usable alone (tests, imports of stored runs).
"""

from sqlalchemy import select
from sqlalchemy.exc import DataError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from keras_dmtl.store.schema import ModelRun
from keras_dmtl.store.schema import Observation
from keras_dmtl.store.schema import Source
from keras_dmtl.store.schema import Track

KEYS_PER_QUERY = 500  # under every database's limit of bound parameters


def is_unavailable(error):
    """Whether an exception means "the database cannot be used now".

    Connection and lock failures (`OperationalError`, "database is
    locked", a server down or refusing connections, a pool timeout) are
    worth retrying; a constraint or value error (`IntegrityError`,
    `DataError`) or anything that is not a database error is about the
    record and is not.

    Args:
        error: an exception.

    Returns:
        bool.

    Example:

    ```python
    is_unavailable(sqlalchemy.exc.OperationalError("BEGIN", {}, None))  # True
    ```
    """
    if isinstance(error, (DisconnectionError, PoolTimeout)):
        return True
    if isinstance(error, (IntegrityError, DataError)):
        return False
    return isinstance(error, DBAPIError)


def failure_reason(error):
    """The first line of the driver's message, e.g. "database is locked"."""
    cause = getattr(error, "orig", None) or error
    text = str(cause).strip()
    return text.splitlines()[0] if text else type(cause).__name__


def write_tracks(database, records, model_record, model_id=None,
                 source_ids=None):
    """Writes tracks, their observations, sources and model: one transaction.

    The model row is inserted when `model_id` is None; a source is looked
    up by name (inserted if new, its URI updated if it changed) unless
    `source_ids` has it. Tracks whose key is already stored, or repeated
    within `records`, are skipped.

    Args:
        database: a `Database`.
        records: a list of `TrackRecord`.
        model_record: the `ModelRecord` of the run.
        model_id: int or None, the model row already written.
        source_ids: dict of source name to id already known, or None.

    Returns:
        `(model_id, source_ids, skipped)`: the model row's id, the source
        ids (a new dict), the number of records skipped. Nothing is
        written, and the ids are not to be kept, if it raises.

    Example:

    ```python
    model_id, sources, skipped = write_tracks(database, records, model)
    more = write_tracks(database, later, model, model_id, sources)
    ```
    """
    source_ids = dict(source_ids or {})
    with database.session() as session:
        if model_id is None:
            row = ModelRun(name=model_record.name, path=model_record.path,
                           sha256=model_record.sha256,
                           runtime=model_record.runtime,
                           tasks=model_record.tasks)
            session.add(row)
            session.flush()
            model_id = row.id
        for record in records:
            if record.source not in source_ids:
                source_ids[record.source] = _source_id(session, record)
        keys = [record.key for record in records]
        present = set()
        for start in range(0, len(keys), KEYS_PER_QUERY):
            chunk = keys[start:start + KEYS_PER_QUERY]
            present.update(session.scalars(
                select(Track.key).where(Track.key.in_(chunk))))
        skipped = 0
        for record in records:
            if record.key in present:
                skipped += 1
                continue
            present.add(record.key)
            session.add(track_row(record, model_id, source_ids[record.source]))
    return model_id, source_ids, skipped


def _source_id(session, record):
    """The id of the record's source, added (or its URI updated)."""
    source = session.scalar(select(Source).where(Source.name == record.source))
    if source is None:
        source = Source(name=record.source, uri=str(record.source_uri))
        session.add(source)
        session.flush()
    elif source.uri != str(record.source_uri):
        source.uri = str(record.source_uri)
    return source.id


def track_row(record, model_id, source_id):
    """The `Track` row of a `TrackRecord`, with its `Observation`s.

    Args:
        record: a `TrackRecord`.
        model_id: int, the `models` row.
        source_id: int, the `sources` row.

    Returns:
        A new `Track`, not yet added to a session.
    """
    return Track(
        key=record.key, source_id=source_id, model_id=model_id,
        first_seen=record.first_seen, last_seen=record.last_seen,
        duration_s=(record.last_seen - record.first_seen).total_seconds(),
        frames=int(record.frames), detections=int(record.detections),
        confidence=float(record.confidence),
        age=None if record.age is None else float(record.age),
        gender=record.gender, race=record.race, expression=record.expression,
        attributes=record.attributes, boxes=record.boxes,
        face_jpeg=(None if record.face_jpeg is None
                   else bytes(record.face_jpeg)),
        observations=[Observation(time=time, values=values)
                      for time, values in record.observations])
