"""Deleting stored tracks once they are older than the user keeps them."""

import time


class Retention:
    """Deletes tracks older than `keep_days`, now and then every hour.

    Args:
        database: a `keras_dmtl.store.Database`.
        keep_days: float or None (keep everything).
        every_seconds: float, time between two deletions.
        log: a callable taking one line of text.

    Example:

    ```python
    retention = Retention(open_database("sqlite:///watch.db"), keep_days=30)
    retention.tick()  # deletes if an hour has passed since the last time
    ```
    """

    def __init__(self, database, keep_days, every_seconds=3600.0, log=print):
        if keep_days is not None and keep_days <= 0:
            raise ValueError(f"--keep-days must be positive, got {keep_days}")
        self.database = database
        self.keep_days = keep_days
        self.every_seconds = float(every_seconds)
        self.log = log
        self.next_time = 0.0

    def tick(self):
        """Deletes old tracks when it is time; returns how many (or 0)."""
        from sqlalchemy.exc import SQLAlchemyError

        if self.keep_days is None or time.monotonic() < self.next_time:
            return 0
        self.next_time = time.monotonic() + self.every_seconds
        try:
            deleted = self.database.delete_older_than(self.keep_days)
        except SQLAlchemyError as error:
            self.log(f"deleting old tracks failed, retrying in an hour "
                     f"({type(error).__name__}: "
                     f"{str(error).splitlines()[0]})")
            return 0
        if deleted:
            self.log(f"deleted {deleted} tracks older than "
                     f"{self.keep_days:g} days")
        return deleted
