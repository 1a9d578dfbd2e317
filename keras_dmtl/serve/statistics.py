"""The figures of the dashboard: visitors over time, ages, label splits."""

import collections
import math
import dataclasses
import datetime

from sqlalchemy import func
from sqlalchemy import select

from keras_dmtl.store.schema import Source
from keras_dmtl.store.schema import Track

AGE_BINS = (0, 10, 20, 30, 40, 50, 60, 70)
LABELS = ("gender", "race", "expression")
MAX_ROWS = 500_000
"""The most tracks one statistic reads (beyond it the figures say so)."""


@dataclasses.dataclass
class Statistics:
    """The dashboard's figures over one period.

    Attributes:
        start, end: aware datetimes, the period.
        tracks: int, tracks first seen in it (after the filters).
        truncated: bool, whether more than `MAX_ROWS` tracks matched and
            only the newest were counted.
        per_bucket: list of `(datetime, count)`, visitors per hour (per
            day over periods longer than three days).
        bucket: str, "hour" or "day".
        ages: list of `(label, count)` by decade of the mean age.
        splits: dict label -> list of `(value, count)`, most first.
        mean_age, mean_seconds: float or None.
    """

    start: datetime.datetime
    end: datetime.datetime
    tracks: int
    truncated: bool
    per_bucket: list
    bucket: str
    ages: list
    splits: dict
    mean_age: float
    mean_seconds: float

    def as_json(self):
        """The figures as JSON-ready data."""
        return {
            "start": self.start.isoformat(), "end": self.end.isoformat(),
            "tracks": self.tracks, "truncated": self.truncated,
            "bucket": self.bucket,
            "visitors": [{"time": t.isoformat(), "tracks": n}
                         for t, n in self.per_bucket],
            "ages": [{"ages": a, "tracks": n} for a, n in self.ages],
            "splits": {k: [{"value": v, "tracks": n} for v, n in pairs]
                       for k, pairs in self.splits.items()},
            "mean_age": self.mean_age, "mean_seconds": self.mean_seconds,
        }


def default_period(session, hours=24):
    """The `hours` up to the newest track (or up to now when there is
    none), as whole hours: `(start, end)`."""
    newest = session.scalar(select(func.max(Track.first_seen)))
    end = newest or datetime.datetime.now(datetime.timezone.utc)
    if end.tzinfo is None:
        end = end.replace(tzinfo=datetime.timezone.utc)
    end = end.replace(minute=0, second=0, microsecond=0) + datetime.timedelta(
        hours=1)
    return end - datetime.timedelta(hours=hours), end


def compute_statistics(session, chosen):
    """The figures of the tracks `chosen` selects (its period must be set).

    Args:
        session: a SQLAlchemy session (read only is enough).
        chosen: a `TrackFilter` with `start` and `end`.

    Returns:
        A `Statistics`.
    """
    rows = session.execute(
        select(Track.first_seen, Track.age, Track.duration_s, Track.gender,
               Track.race, Track.expression)
        .join(Track.source).where(*chosen.clauses())
        .order_by(Track.first_seen.desc()).limit(MAX_ROWS + 1)).all()
    truncated = len(rows) > MAX_ROWS
    rows = rows[:MAX_ROWS]
    bucket = ("day" if chosen.end - chosen.start > datetime.timedelta(days=3)
              else "hour")
    step = datetime.timedelta(days=1 if bucket == "day" else 0,
                              hours=1 if bucket == "hour" else 0)
    first = _floor(chosen.start, bucket)
    counts = collections.Counter(_floor(row.first_seen, bucket)
                                 for row in rows)
    per_bucket = []
    time = first
    while time < chosen.end:
        per_bucket.append((time, counts.get(time, 0)))
        time += step
    ages = [row.age for row in rows
            if row.age is not None and math.isfinite(row.age)]
    seconds = [row.duration_s for row in rows]
    return Statistics(
        start=chosen.start, end=chosen.end, tracks=len(rows),
        truncated=truncated, per_bucket=per_bucket, bucket=bucket,
        ages=_age_histogram(ages),
        splits={name: collections.Counter(
            getattr(row, name) for row in rows
            if getattr(row, name) is not None).most_common()
            for name in LABELS},
        mean_age=sum(ages) / len(ages) if ages else None,
        mean_seconds=sum(seconds) / len(seconds) if seconds else None)


def _floor(time, bucket):
    time = time.replace(minute=0, second=0, microsecond=0)
    return time.replace(hour=0) if bucket == "day" else time


def _age_histogram(ages):
    counts = collections.Counter(
        max(b for b in AGE_BINS if age >= b) if age >= 0 else 0
        for age in ages)
    return [(f"{low}-{low + 9}" if low != AGE_BINS[-1] else f"{low}+",
             counts.get(low, 0)) for low in AGE_BINS]


def source_names(session):
    """The names of every source, sorted."""
    return list(session.scalars(select(Source.name).order_by(Source.name)))


def label_values(session):
    """dict label -> the values stored in its column, sorted (for the
    filter form's choices)."""
    return {name: sorted(v for v in session.scalars(
        select(getattr(Track, name)).distinct()) if v is not None)
        for name in LABELS}
