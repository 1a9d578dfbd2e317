import threading
import time

import pytest
from sqlalchemy import func
from sqlalchemy import select

from keras_dmtl.store import ModelRun
from keras_dmtl.store import Observation
from keras_dmtl.store import Source
from keras_dmtl.store import Track
from keras_dmtl.store import TrackWriter
from keras_dmtl.store import open_database
from keras_dmtl.store.track_rows import write_tracks
from tests.store.sample_records import Lines
from tests.store.sample_records import count
from tests.store.sample_records import lock_exclusively
from tests.store.sample_records import model_record
from tests.store.sample_records import track_record

FAST = dict(retry_seconds=0.1, busy_timeout=0.05)


@pytest.fixture
def path(tmp_path):
    path = tmp_path / "watch.db"
    open_database(f"sqlite:///{path}").dispose()  # the schema, unlocked
    return path


def _stored(path):
    """{key: dict of the stored track's fields} of every stored track."""
    database = open_database(f"sqlite:///{path}")
    try:
        with database.read_only_session() as session:
            return {t.key: dict(
                first_seen=t.first_seen, last_seen=t.last_seen,
                duration_s=t.duration_s, frames=t.frames,
                detections=t.detections, confidence=t.confidence, age=t.age,
                gender=t.gender, race=t.race, expression=t.expression,
                attributes=t.attributes, boxes=t.boxes, face_jpeg=t.face_jpeg,
                source=(t.source.name, t.source.uri), sha256=t.model.sha256,
                observations=[(o.time, o.values) for o in t.observations])
                for t in session.scalars(select(Track))}
    finally:
        database.dispose()


def _wait_until(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_tracks_put_from_another_thread_all_arrive(path):
    records = [track_record(i, observations=i % 7) for i in range(50)]
    lines = Lines()
    writer = TrackWriter(f"sqlite:///{path}", model_record(), batch_size=8,
                         log=lines)
    video = threading.Thread(target=lambda: [writer.put(r) for r in records])
    video.start()
    video.join()
    summary = writer.close(timeout=10)
    assert summary == dict(written=50, dropped=0, buffered_left=0,
                           rejected=0, skipped=0)
    assert lines.lines == []
    stored = _stored(path)
    assert set(stored) == {r.key for r in records}
    for record in records:
        track = stored[record.key]
        assert track == dict(
            first_seen=record.first_seen, last_seen=record.last_seen,
            duration_s=2.0, frames=record.frames, detections=12,
            confidence=0.9, age=record.age, gender=record.gender, race=None,
            expression="happy", attributes=record.attributes,
            boxes=record.boxes, face_jpeg=None, source=("door", "0"),
            sha256="ab" * 32,
            observations=[(t, v) for t, v in record.observations])
    assert count(path, "models") == 1  # one row for the run
    assert count(path, "sources") == 1
    assert count(path, "observations") == sum(
        len(r.observations) for r in records)


def test_a_locked_database_buffers_then_writes_everything_once(path):
    lines = Lines()
    lock = lock_exclusively(path)
    writer = TrackWriter(f"sqlite:///{path}", model_record(), log=lines,
                         **FAST)
    records = [track_record(i) for i in range(12)]
    for record in records[:6]:
        writer.put(record)
    _wait_until(lambda: lines.starting("database unavailable"))
    for record in records[6:]:
        writer.put(record)
    time.sleep(0.5)  # several retries, all failing
    assert count(path, "tracks") == 0
    assert writer.written == 0 and writer.buffered == 12
    assert writer.stats()["available"] is False
    assert writer.stats()["last_error"] == "database is locked"
    lock.rollback()
    lock.close()
    assert writer.flush(timeout=5)
    summary = writer.close(timeout=5)
    assert summary["written"] == 12 and summary["buffered_left"] == 0
    assert summary["dropped"] == 0
    unavailable = lines.starting("database unavailable")
    assert len(unavailable) == 1, lines.lines
    assert unavailable[0].startswith("database unavailable: database is "
                                     "locked; ")
    assert unavailable[0].endswith("buffered, retrying every 0.1 s")
    assert lines.starting("database back") == [
        "database back: wrote 12 buffered tracks"]
    assert len(lines.lines) == 2
    assert set(_stored(path)) == {r.key for r in records}
    assert count(path, "tracks") == 12
    assert count(path, "observations") == 36


def test_a_full_buffer_drops_the_oldest(path):
    lines = Lines()
    lock = lock_exclusively(path)
    writer = TrackWriter(f"sqlite:///{path}", model_record(), max_buffered=5,
                         log=lines, **FAST)
    records = [track_record(i) for i in range(8)]
    for record in records:
        writer.put(record)
    assert writer.dropped == 3
    assert writer.buffered == 5
    _wait_until(lambda: lines.starting("database unavailable"))
    lock.rollback()
    lock.close()
    summary = writer.close(timeout=5)
    assert summary == dict(written=5, dropped=3, buffered_left=0, rejected=0,
                           skipped=0)
    assert set(_stored(path)) == {r.key for r in records[3:]}
    assert lines.starting("track buffer full (5)")
    assert len(lines.starting("database unavailable")) == 1


def test_close_gives_up_on_a_database_still_locked(path):
    lines = Lines()
    lock = lock_exclusively(path)
    writer = TrackWriter(f"sqlite:///{path}", model_record(), log=lines,
                         **FAST)
    for index in range(4):
        writer.put(track_record(index))
    started = time.monotonic()
    summary = writer.close(timeout=0.5)
    assert time.monotonic() - started < 2.0
    assert summary["written"] == 0 and summary["buffered_left"] == 4
    writer.put(track_record(9))  # after close: counted, never raises
    assert writer.dropped == 1
    lock.rollback()
    lock.close()
    assert count(path, "tracks") == 0


def test_tracks_already_stored_are_not_written_twice(path):
    database = open_database(f"sqlite:///{path}")
    records = [track_record(i) for i in range(6)]
    # As if a commit had succeeded but its answer was lost.
    write_tracks(database, records[:4], model_record())
    writer = TrackWriter(database, model_record(), batch_size=3)
    for record in records + records[:2]:
        writer.put(record)
    summary = writer.close(timeout=5)
    assert summary["written"] == 2 and summary["skipped"] == 6
    assert count(path, "tracks") == 6
    assert count(path, "observations") == 18
    with database.session() as session:  # a shared Database stays open
        assert session.scalar(select(func.count(ModelRun.id))) == 2
    database.dispose()


def test_a_bad_record_is_rejected_and_the_others_written(path):
    lines = Lines()
    writer = TrackWriter(f"sqlite:///{path}", model_record(), log=lines)
    good = [track_record(i) for i in range(4)]
    bad = track_record(9, attributes={"not json": object()})
    for record in good[:2] + [bad] + good[2:]:
        writer.put(record)
    summary = writer.close(timeout=5)
    assert summary["written"] == 4 and summary["rejected"] == 1
    assert set(_stored(path)) == {r.key for r in good}
    assert lines.lines == [f"track {bad.key} not written: TypeError: "
                           "not JSON-ready: object "
                           f"{bad.attributes['not json']!r}"]


def test_a_source_keeps_its_name_and_takes_a_new_uri(path):
    writer = TrackWriter(f"sqlite:///{path}", model_record())
    writer.put(track_record(0, source="door"))
    writer.put(track_record(1, source="hall", source_uri="rtsp://hall"))
    writer.close(timeout=5)
    writer = TrackWriter(f"sqlite:///{path}", model_record())
    writer.put(track_record(2, source="door", source_uri="/videos/door.mp4"))
    writer.close(timeout=5)
    database = open_database(f"sqlite:///{path}")
    with database.read_only_session() as session:
        sources = {s.name: (s.uri, len(s.tracks))
                   for s in session.scalars(select(Source))}
        assert session.scalar(select(func.count(Observation.id))) == 9
    database.dispose()
    assert sources == {"door": ("/videos/door.mp4", 2),
                       "hall": ("rtsp://hall", 1)}


def test_a_malformed_url_fails_at_once():
    with pytest.raises(ValueError, match="not a database URL"):
        TrackWriter("no url here", model_record())


def test_a_newer_schema_stops_the_writer_with_one_line(path):
    import sqlite3

    connection = sqlite3.connect(path)
    connection.execute("UPDATE alembic_version SET version_num = 'ffff'")
    connection.commit()
    connection.close()
    lines = Lines()
    writer = TrackWriter(f"sqlite:///{path}", model_record(), log=lines)
    writer.put(track_record(0))
    summary = writer.close(timeout=5)
    assert summary["buffered_left"] == 1 and summary["written"] == 0
    assert len(lines.lines) == 1
    assert lines.lines[0].startswith("cannot write tracks: the database ")
    assert "schema revision ffff" in lines.lines[0]
    assert writer.stats()["available"] is False
