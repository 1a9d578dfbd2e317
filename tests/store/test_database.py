import datetime
import sqlite3

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from keras_dmtl.store import Base
from keras_dmtl.store import Database
from keras_dmtl.store import Observation
from keras_dmtl.store import Source
from keras_dmtl.store import Track
from keras_dmtl.store import mask_url
from keras_dmtl.store import open_database
from keras_dmtl.store.track_rows import write_tracks
from tests.store.sample_records import START
from tests.store.sample_records import model_record
from tests.store.sample_records import track_record


def test_opening_creates_the_folder_and_sets_the_pragmas(tmp_path):
    path = tmp_path / "not" / "there" / "watch.db"
    database = open_database(f"sqlite:///{path}", busy_timeout=1.5)
    assert path.is_file()
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()
    assert mode == ("wal",)  # kept by the file itself
    with database.engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(  # noqa: E731
            f"PRAGMA {name}").scalar()
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == 1500
        assert pragma("query_only") == 0
    database.dispose()


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://watcher:s3cr3t@db.example:notaport/watch",
    "nosuchdialect://watcher:s3cr3t@db.example/watch",
    "postgresql+nosuchdriver://watcher:s3cr3t@db.example/watch",
    "watcher:s3cr3t@db.example/watch",
])
def test_a_malformed_url_is_one_line_with_the_password_masked(url):
    with pytest.raises(ValueError) as caught:
        open_database(url)
    message = str(caught.value)
    assert "s3cr3t" not in message
    assert "\n" not in message
    assert "sqlite:///watch.db" in message  # says what is expected
    if "://" in url:
        assert "watcher:***@db.example" in message


def test_mask_url_hides_a_password_holding_at_and_slash():
    url = "postgresql+psycopg://me:p@ss/w0rd@db:5432/watch"
    assert mask_url(url) == "postgresql+psycopg://me:***@db:5432/watch"
    assert mask_url("sqlite:///watch.db") == "sqlite:///watch.db"


def test_tables_without_a_schema_version_are_refused(tmp_path):
    url = f"sqlite:///{tmp_path}/watch.db"
    plain = Database(url)
    Base.metadata.create_all(plain.engine)
    plain.dispose()
    with pytest.raises(ValueError, match="no schema version"):
        open_database(url)


def test_an_in_memory_database_works():
    database = open_database("sqlite://")
    write_tracks(database, [track_record(0)], model_record())
    with database.read_only_session() as session:
        assert session.scalar(select(func.count(Track.id))) == 1
    with database.session() as session:  # writable again afterwards
        session.add(Source(name="hall", uri="1"))
    database.dispose()


def test_delete_older_than_removes_old_tracks_and_their_observations(
        database):
    now = START + datetime.timedelta(days=100)
    old = [track_record(i, observations=4,
                        start=now - datetime.timedelta(days=40))
           for i in range(3)]
    new = [track_record(i, observations=5,
                        start=now - datetime.timedelta(days=1))
           for i in range(2)]
    write_tracks(database, old + new, model_record())
    assert database.delete_older_than(30, now=now) == 3
    with database.session() as session:
        keys = set(session.scalars(select(Track.key)))
        assert keys == {r.key for r in new}
        assert session.scalar(select(func.count(Observation.id))) == 10
        assert session.scalar(select(func.count(Source.id))) == 1
    assert database.delete_older_than(30, now=now) == 0
    assert database.delete_older_than(0.5, now=now) == 2
    with pytest.raises(ValueError, match="0 or more"):
        database.delete_older_than(-1)


def test_the_read_only_session_reads_but_cannot_write(database):
    write_tracks(database, [track_record(0)], model_record())
    with database.read_only_session() as session:
        track = session.scalars(select(Track)).one()
        assert track.source.name == "door"
        assert len(track.observations) == 3
    with pytest.raises(OperationalError, match="readonly"):
        with database.read_only_session() as session:
            session.add(Source(name="hall", uri="1"))
            session.flush()
    with pytest.raises(OperationalError, match="readonly"):
        with database.read_only_session() as session:
            session.execute(update(Track).values(age=99.0))
    with pytest.raises(OperationalError, match="readonly"):
        with database.read_only_session() as session:
            session.execute(text("DELETE FROM observations"))
    # A commit does not open a writable transaction after it.
    with pytest.raises(OperationalError, match="readonly"):
        with database.read_only_session() as session:
            session.commit()
            session.execute(text("DELETE FROM tracks"))
    with database.session() as session:
        assert session.scalar(select(Track.age)) == 20.0
        assert session.scalar(select(func.count(Observation.id))) == 3
        session.add(Source(name="hall", uri="1"))  # the writer still writes


def test_the_read_only_session_sees_what_is_written_later(database):
    with database.read_only_session() as session:
        assert session.scalar(select(func.count(Track.id))) == 0
    write_tracks(database, [track_record(0), track_record(1)],
                 model_record())
    with database.read_only_session() as session:
        assert session.scalar(select(func.count(Track.id))) == 2
