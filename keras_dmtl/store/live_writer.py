"""Keeping `live_tracks` to the tracks in view, for the live page.

What is in view is a snapshot, not a record: only the newest snapshot of
each source matters, so nothing is buffered. A background thread writes
the sources whose snapshot changed, at most once per `interval`; while the
database is unavailable the live view simply goes stale (one log line),
and the finished tracks keep going through `TrackWriter`.
"""

import threading

from sqlalchemy import delete

from keras_dmtl.store.database import Database
from keras_dmtl.store.database import open_database
from keras_dmtl.store.schema import LiveTrack
from keras_dmtl.store.schema import utc_now
from keras_dmtl.store.track_rows import failure_reason

LIVE_FIELDS = ("key", "first_seen", "last_seen", "box", "confidence", "age",
               "gender", "race", "expression")


class LiveWriter:
    """Replaces each source's rows of `live_tracks` with its newest
    snapshot, from a background thread.

    Args:
        database_url: str, or a `Database` to share (not disposed).
        interval: float, seconds between writes.
        log: a callable taking one line of text.

    Example:

    ```python
    live = LiveWriter("sqlite:///watch.db")
    live.update("door", [{"key": k, "first_seen": t0, "last_seen": t1,
                          "box": [10, 20, 64, 64], "confidence": 0.99,
                          "age": 31.0, "gender": "female"}])
    live.close()  # deletes the rows it wrote
    ```
    """

    def __init__(self, database_url, interval=1.0, log=print):
        if interval <= 0:
            raise ValueError(f"interval must be positive, got {interval}")
        self.database_url = database_url
        self.interval = float(interval)
        self.log = log
        self._owns = not isinstance(database_url, Database)
        self._database = None if self._owns else database_url
        self._pending = {}  # source -> rows not yet written
        self._sources = set()  # every source written, to clear at the end
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._failing = False
        self.writes = 0
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name="keras-dmtl-live-writer")
        self._thread.start()

    def update(self, source, rows):
        """Sets the tracks in view of `source` (a list of dicts with
        `LIVE_FIELDS`); returns at once, never raises."""
        with self._lock:
            self._pending[source] = list(rows)

    def close(self, timeout=10.0):
        """Stops the thread and deletes the rows this writer wrote."""
        self._stop.set()
        self._thread.join(timeout)
        with self._lock:
            self._pending = {source: [] for source in self._sources}
        try:
            self._write_pending()
        finally:
            if self._owns and self._database is not None:
                self._database.dispose()

    def _run(self):
        while not self._stop.wait(self.interval):
            self._write_pending()

    def _write_pending(self):
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return
        try:
            if self._database is None:
                self._database = open_database(self.database_url)
            now = utc_now()
            with self._database.session() as session:
                for source, rows in pending.items():
                    session.execute(delete(LiveTrack)
                                    .where(LiveTrack.source == source))
                    session.add_all(
                        LiveTrack(source=source, updated_at=now,
                                  **{k: row.get(k) for k in LIVE_FIELDS})
                        for row in rows)
            self._sources.update(pending)
            self.writes += 1
            if self._failing:
                self._failing = False
                self._log("live view: database back")
        except Exception as error:
            with self._lock:  # keep the newest snapshot of each source
                self._pending = {**pending, **self._pending}
            if not self._failing:
                self._failing = True
                self._log(f"live view not updated: {failure_reason(error)}")

    def _log(self, line):
        try:
            self.log(line)
        except Exception:
            pass
