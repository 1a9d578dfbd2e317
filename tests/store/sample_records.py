"""Small real `TrackRecord`s and a `ModelRecord` for the store's tests."""

import datetime
import sqlite3
import threading
import uuid

from keras_dmtl.store import ModelRecord
from keras_dmtl.store import TrackRecord

START = datetime.datetime(2026, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)


def model_record():
    return ModelRecord(name="face.tflite", path="/models/face.tflite",
                       sha256="ab" * 32, runtime="tflite",
                       tasks=[{"name": "gender", "kind": "nominal",
                               "classes": ["female", "male"]}])


def track_record(index, observations=3, source="door", start=START,
                 **changes):
    """Track `index`: seen for 2 s from `start + index` seconds, with
    `observations` per-frame outputs (an int, or the list itself)."""
    first = start + datetime.timedelta(seconds=index)
    fields = dict(
        key=str(uuid.uuid4()), source=source, source_uri="0",
        first_seen=first, last_seen=first + datetime.timedelta(seconds=2),
        frames=60 + index, detections=12, confidence=0.9,
        age=20.0 + index, gender="female" if index % 2 else "male",
        race=None, expression="happy",
        attributes={"gender": {"female": 0.3, "male": 0.7}, "index": index},
        boxes=[[0.0, 10, 20, 64, 64], [2.0, 12, 21, 64, 64]],
        observations=observations if not isinstance(observations, int) else [
            (first + datetime.timedelta(seconds=s / 10),
             {"valence": s / 10, "AU12": 0.5}) for s in range(observations)])
    fields.update(changes)
    return TrackRecord(**fields)


class Lines:
    """A thread-safe `log` callable that keeps the lines."""

    def __init__(self):
        self.lines = []
        self._lock = threading.Lock()

    def __call__(self, line):
        with self._lock:
            self.lines.append(line)

    def starting(self, prefix):
        with self._lock:
            return [line for line in self.lines if line.startswith(prefix)]


def lock_exclusively(path):
    """Another connection holding SQLite's write lock until `.close()`."""
    connection = sqlite3.connect(str(path), isolation_level=None)
    connection.execute("PRAGMA busy_timeout = 100")
    connection.execute("BEGIN EXCLUSIVE")
    return connection


def count(path, table):
    """Rows in a table, read through a separate plain sqlite3 connection."""
    connection = sqlite3.connect(str(path))
    try:
        return connection.execute(
            f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        connection.close()
