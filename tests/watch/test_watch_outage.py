"""`keras-dmtl watch` rides out its database stopping for 30 seconds."""

import os
import queue
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import select

from keras_dmtl.store import Track
from keras_dmtl.store import open_database
from tests.postgres_server import PostgresServer
from tests.watch.conftest import START


def _lines(process):
    """A queue of the process's output lines, read by a thread."""
    lines = queue.Queue()

    def read():
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return lines


def _stored(url):
    with open_database(url) as database:
        with database.read_only_session() as session:
            return sorted((t.first_seen.isoformat(), t.frames, t.detections)
                          for t in session.scalars(select(Track)))


@pytest.mark.slow  # 50 s: the outage itself lasts 30 s
def test_no_track_is_lost_while_postgresql_is_stopped_for_30_seconds(
        test_video, watch_tflite, watched_sqlite):
    server = PostgresServer()
    server.start()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "keras_dmtl.cli", "watch",
             f"door={test_video[0]}", "--model", watch_tflite, "--db",
             server.url, "--start-time", START, "--threads", "1"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
        lines, seen = _lines(process), []
        while not any(" watching door " in line for line in seen):
            line = lines.get(timeout=120)
            assert line is not None, "\n".join(seen)
            seen.append(line)
        server.stop()  # before the first track ends
        stopped = time.monotonic()
        time.sleep(30)
        server.start()
        assert process.wait(timeout=120) == 0
        while (line := lines.get(timeout=10)) is not None:
            seen.append(line)
        text = "\n".join(seen)
        outage = time.monotonic() - stopped
        assert outage >= 30
        assert "database unavailable:" in text, text
        assert "waiting up to 300 s to write 3 buffered tracks" in text, text
        assert "database back: wrote 3 buffered tracks" in text, text
        assert "database: 3 tracks written, 0 dropped, 0 not written" in text
        assert "live view not updated:" in text
        # The same tracks as the run on SQLite with no outage.
        assert _stored(server.url) == _stored(
            f"sqlite:///{watched_sqlite['db']}")
    finally:
        server.remove()
