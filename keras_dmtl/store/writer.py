"""Writing tracks off the video thread: a bounded buffer and one thread.

The video thread calls `TrackWriter.put`, which never waits on the
database and never raises. A background thread writes the buffered tracks
in batches, one transaction each. While the database is unavailable (a
SQLite lock, a PostgreSQL server down) the tracks stay buffered and the
thread retries; when the buffer is full, the oldest track is dropped.
"""

import collections
import itertools
import threading

from keras_dmtl.store.database import Database
from keras_dmtl.store.database import open_database
from keras_dmtl.store.engine import parse_url
from keras_dmtl.store.track_rows import failure_reason as _reason
from keras_dmtl.store.track_rows import is_unavailable
from keras_dmtl.store.track_rows import write_tracks

class TrackWriter:
    """Stores `TrackRecord`s from a background thread.

    The model row is written once, each source on first use, then the
    tracks and their observations, `batch_size` tracks per transaction.
    A track whose key is already stored is skipped, so a retry after an
    ambiguous failure never writes one twice. One line is logged when the
    database becomes unavailable and one when it is back, not one per try.

    Args:
        database_url: str (e.g. `"sqlite:///watch.db"`), or a `Database`
            to share (not disposed by the writer).
        model_record: the `ModelRecord` of the run.
        max_buffered: int, tracks kept while they wait; beyond it the
            oldest is dropped.
        batch_size: int, tracks per transaction.
        retry_seconds: float, the wait between tries while unavailable.
        log: a callable taking one line of text.
        busy_timeout: float, seconds SQLite waits for a lock per try.

    Example:

    ```python
    writer = TrackWriter("sqlite:///watch.db", model_record)
    writer.put(track_record)  # from the video thread, returns at once
    summary = writer.close()  # {"written": 1, "dropped": 0, ...}
    ```
    """

    def __init__(self, database_url, model_record, max_buffered=10000,
                 batch_size=200, retry_seconds=2.0, log=print,
                 busy_timeout=5.0):
        for name, value in (("max_buffered", max_buffered),
                            ("batch_size", batch_size)):
            if int(value) < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        if retry_seconds <= 0:
            raise ValueError(f"retry_seconds must be positive, got "
                             f"{retry_seconds}")
        if isinstance(database_url, Database):
            self._database, self._owns_database = database_url, False
        else:
            parse_url(database_url)  # a malformed URL fails here, at once
            self._database, self._owns_database = None, True
        self.database_url = database_url
        self.model_record = model_record
        self.max_buffered = int(max_buffered)
        self.batch_size = int(batch_size)
        self.retry_seconds = float(retry_seconds)
        self.busy_timeout = float(busy_timeout)
        self.log = log
        self._buffer = collections.deque()
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._closing = self._closed = False
        self._taken = self._lost = 0  # the batch being written, its drops
        self._counts = dict(written=0, dropped=0, rejected=0, skipped=0)
        self._model_id, self._source_ids = None, {}
        self._down = False  # unavailable since the last write
        self._recovering = None  # [written, to write] after an outage
        self._dropping = False
        self._last_error = self._fatal = None
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name="keras-dmtl-track-writer")
        self._thread.start()

    @property
    def written(self):
        """int, tracks written so far."""
        return self._counts["written"]

    @property
    def dropped(self):
        """int, tracks dropped because the buffer was full."""
        return self._counts["dropped"]

    @property
    def buffered(self):
        """int, tracks waiting to be written."""
        return len(self._buffer)

    def put(self, record):
        """Queues one `TrackRecord`; never blocks, never raises.

        When `max_buffered` tracks are waiting, the oldest is dropped (and
        counted in `dropped`). After `close`, records are dropped.
        """
        try:
            with self._lock:
                if self._closed:
                    self._counts["dropped"] += 1
                    return
                if len(self._buffer) >= self.max_buffered:
                    self._buffer.popleft()
                    self._counts["dropped"] += 1
                    if self._taken > self._lost:  # it was being written
                        self._lost += 1
                    first_drop, self._dropping = not self._dropping, True
                else:
                    first_drop = False
                self._buffer.append(record)
                self._lock.notify_all()
            if first_drop:
                self._log(f"track buffer full ({self.max_buffered}): "
                          "dropping the oldest tracks")
        except Exception:  # never let storage break the video thread
            pass

    def flush(self, timeout=None):
        """Waits until every buffered track is written (or given up on).

        Args:
            timeout: float, seconds, or None to wait as long as it takes.

        Returns:
            bool, whether the buffer is empty.
        """
        with self._lock:
            self._lock.wait_for(lambda: not self._buffer
                                or not self._thread.is_alive(), timeout)
            return not self._buffer

    def close(self, timeout=30.0):
        """Writes what it can within `timeout` seconds, then stops.

        A write under way when the time is up may still finish after.

        Args:
            timeout: float, seconds, or None to wait until every track is
                written or the writer stops (forever while the database
                stays unavailable).

        Returns:
            dict: `written`, `dropped`, `buffered_left` (never written),
            `rejected` (refused by the database), `skipped` (already
            stored).
        """
        with self._lock:
            self._closing = True
            self._lock.notify_all()
        self._thread.join(timeout)
        self._stop.set()  # a thread still retrying gives up
        with self._lock:
            self._closed = True
            return dict(written=self._counts["written"],
                        dropped=self._counts["dropped"],
                        buffered_left=len(self._buffer),
                        rejected=self._counts["rejected"],
                        skipped=self._counts["skipped"])

    def stats(self):
        """dict: the counts, `buffered`, `available` and `last_error`."""
        with self._lock:
            return dict(self._counts, buffered=len(self._buffer),
                        available=not self._down and self._fatal is None,
                        last_error=self._fatal or self._last_error)

    def _log(self, line):
        try:
            self.log(line)
        except Exception:
            pass

    def _run(self):
        try:
            while True:
                with self._lock:
                    self._lock.wait_for(lambda: self._buffer or self._closing)
                    if self._stop.is_set() or not self._buffer:
                        return
                    batch = list(itertools.islice(self._buffer,
                                                  self.batch_size))
                    self._taken, self._lost = len(batch), 0
                if not self._write(batch):
                    return
        finally:
            if self._owns_database and self._database is not None:
                self._database.dispose()
            with self._lock:
                self._taken = self._lost = 0
                self._lock.notify_all()

    def _write(self, batch):
        """Writes a batch, else its records one by one; False if fatal."""
        if self._database is None:
            try:
                self._database = open_database(self.database_url,
                                               busy_timeout=self.busy_timeout)
            except ValueError as error:  # a schema newer than this code
                self._fatal = str(error)
                self._log(f"cannot write tracks: {error}")
                return False
            except Exception as error:  # unreachable, locked, no disk yet
                return self._unavailable(error)
        try:
            self._done(len(batch), self._write_rows(batch))
            return True
        except Exception as error:
            if is_unavailable(error):
                return self._unavailable(error)
            first_error = error
        if len(batch) == 1:
            return self._reject(batch[0], first_error)
        for record in batch:  # find the bad record(s), keep the others
            try:
                self._done(1, self._write_rows([record]))
            except Exception as error:
                if is_unavailable(error):
                    return self._unavailable(error)
                self._reject(record, error)
        return True

    def _write_rows(self, records):
        """Writes `records` in one transaction; returns how many existed."""
        model_id, source_ids, skipped = write_tracks(
            self._database, records, self.model_record, self._model_id,
            self._source_ids)
        self._model_id, self._source_ids = model_id, source_ids
        return skipped

    def _consume(self, count):
        """Takes the first `count` records of the batch off the buffer."""
        lost = min(count, self._lost)  # dropped by put while being written
        self._lost -= lost
        self._counts["dropped"] -= lost  # they were not lost after all
        for _ in range(count - lost):
            self._buffer.popleft()
        self._taken -= count

    def _done(self, count, skipped):
        with self._lock:
            self._consume(count)
            self._counts["written"] += count - skipped
            self._counts["skipped"] += skipped
            self._dropping = False
            if self._down:
                self._down = False
                self._recovering = [0, count + len(self._buffer)]
            recovering, empty = self._recovering, not self._buffer
            if recovering is not None:
                recovering[0] += count
                if recovering[0] >= recovering[1] or empty:
                    self._recovering = None
            self._lock.notify_all()
        if recovering is not None and self._recovering is None:
            self._log(f"database back: wrote "
                      f"{_tracks(recovering[0], 'buffered ')}")

    def _reject(self, record, error):
        with self._lock:
            self._consume(1)
            self._counts["rejected"] += 1
            self._lock.notify_all()
        key = getattr(record, "key", "?")
        cause = getattr(error, "orig", None) or error
        self._log(f"track {key} not written: {type(cause).__name__}: "
                  f"{_reason(error)}")
        return True

    def _unavailable(self, error):
        """Logs the first failure of an outage, waits; False once closed."""
        with self._lock:
            self._taken = self._lost = 0
            first, self._down = not self._down, True
            self._last_error = _reason(error)
            buffered = len(self._buffer)
        if first:
            if self._recovering is not None:
                self._log(f"database back: wrote "
                          f"{_tracks(self._recovering[0], 'buffered ')}")
                self._recovering = None
            self._log(f"database unavailable: {self._last_error}; "
                      f"{_tracks(buffered)} buffered, retrying every "
                      f"{self.retry_seconds:g} s")
        return not self._stop.wait(self.retry_seconds)


def _tracks(count, adjective=""):
    return f"{count} {adjective}track{'' if count == 1 else 's'}"
