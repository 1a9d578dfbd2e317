import datetime
import time

from sqlalchemy import select

from keras_dmtl.store import LiveTrack
from keras_dmtl.store import LiveWriter
from keras_dmtl.store import open_database
from tests.store.sample_records import START
from tests.store.sample_records import Lines
from tests.store.sample_records import count
from tests.store.sample_records import lock_exclusively


def _row(key, seconds=2.0, age=30.0):
    return dict(key=key, first_seen=START,
                last_seen=START + datetime.timedelta(seconds=seconds),
                box=[10.0, 20.0, 64.0, 64.0], confidence=0.98, age=age,
                gender="female", race=None, expression="happy")


def _live_rows(path):
    with open_database(f"sqlite:///{path}") as database:
        with database.read_only_session() as session:
            rows = session.scalars(select(LiveTrack)).all()
            session.expunge_all()
    return {row.key: row for row in rows}


def _wait(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def test_each_source_keeps_its_newest_snapshot_and_is_cleared_at_close(
        tmp_path):
    path = tmp_path / "watch.db"
    open_database(f"sqlite:///{path}").dispose()
    live = LiveWriter(f"sqlite:///{path}", interval=0.05, log=Lines())
    live.update("door", [_row("a"), _row("b")])
    live.update("hall", [_row("c")])
    assert _wait(lambda: count(path, "live_tracks") == 3)
    live.update("door", [_row("b", seconds=4.0)])  # "a" left the view
    assert _wait(lambda: count(path, "live_tracks") == 2)
    rows = _live_rows(path)
    assert set(rows) == {"b", "c"}
    assert rows["b"].last_seen - rows["b"].first_seen == datetime.timedelta(
        seconds=4)
    assert rows["c"].source == "hall" and rows["b"].box == [10, 20, 64, 64]
    live.close()
    assert count(path, "live_tracks") == 0


def test_a_locked_database_makes_the_view_stale_with_one_line(tmp_path):
    path = tmp_path / "watch.db"
    open_database(f"sqlite:///{path}").dispose()
    lines = Lines()
    live = LiveWriter(f"sqlite:///{path}", interval=0.05, log=lines)
    live.update("door", [_row("a")])
    assert _wait(lambda: count(path, "live_tracks") == 1)
    lock = lock_exclusively(path)
    try:
        live.update("door", [_row("b")])
        assert _wait(lambda: lines.starting("live view not updated"), 20)
        live.update("door", [_row("c")])
        time.sleep(0.3)
    finally:
        lock.close()
    assert _wait(lambda: lines.starting("live view: database back"), 20)
    assert len(lines.starting("live view not updated")) == 1
    assert list(_live_rows(path)) == ["c"]
    live.close()
