"""The filters of the track table, the statistics and the exports.

Every query parameter is parsed into a typed value (a time, a number, a
name from a fixed set) before it reaches SQL, and names are compared
through bound parameters: nothing a user types becomes SQL text. A value
that does not parse is a `FilterError` naming the parameter.
"""

import dataclasses
import datetime
import math
import urllib.parse

from sqlalchemy import and_

from keras_dmtl.store.schema import Source
from keras_dmtl.store.schema import Track

TEXT_FIELDS = ("source", "gender", "race", "expression")
NUMBER_FIELDS = ("min_age", "max_age", "min_seconds")
TIME_FIELDS = ("start", "end")
SORTS = {
    "newest": Track.first_seen.desc(),
    "oldest": Track.first_seen.asc(),
    "longest": Track.duration_s.desc(),
    "age": Track.age.asc().nulls_last(),  # as SQLite and PostgreSQL alike
}
YEARS = (1971, 9998)
MAX_TEXT = 255
MAX_PER_PAGE = 1000


class FilterError(ValueError):
    """A query parameter that does not parse; the message names it."""


def parse_time(name, text):
    """An aware UTC `datetime` from ISO 8601 text (`2026-12-04`,
    `2026-12-04T10:30`, with or without an offset; without one it is
    UTC)."""
    text = text.strip()
    if text.endswith(("Z", "z")):  # Python 3.10 reads no "Z"
        text = text[:-1] + "+00:00"
    try:
        value = datetime.datetime.fromisoformat(text)
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        value = value.astimezone(datetime.timezone.utc)
    except (ValueError, OverflowError):
        raise FilterError(f"{name}: {text[:40]!r} is not a date or time "
                          "(use 2026-12-04 or 2026-12-04T10:30)") from None
    if not YEARS[0] <= value.year <= YEARS[1]:
        raise FilterError(f"{name}: {text[:40]!r} is not a year from "
                          f"{YEARS[0]} to {YEARS[1]}")
    return value


def parse_number(name, text, low=0.0, high=1e6):
    """A finite float in `[low, high]` from text."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not low <= value <= high:
        raise FilterError(f"{name}: {text[:40]!r} is not a number from "
                          f"{low:g} to {high:g}")
    return value


def parse_int(name, text, low, high):
    """An int in `[low, high]` from text."""
    text = text.strip()
    if (not text.isdecimal() or not text.isascii() or len(text) > 9
            or not low <= int(text) <= high):
        raise FilterError(f"{name}: {text[:40]!r} is not a whole number "
                          f"from {low} to {high}")
    return int(text)


@dataclasses.dataclass(frozen=True)
class TrackFilter:
    """Which tracks a page, a chart or an export shows.

    Args:
        source: str or None, a source's name.
        start, end: aware datetimes or None: tracks first seen in
            `[start, end)`.
        gender, race, expression: str or None, the stored label.
        min_age, max_age: float or None, bounds on the mean age.
        min_seconds: float or None, the shortest duration.
        sort: one of `SORTS`.
        page: int from 1; per_page: int.

    Example:

    ```python
    chosen = TrackFilter.from_query({"gender": "female", "min_age": "30"})
    tracks = session.scalars(select(Track).join(Track.source)
                             .where(*chosen.clauses())).all()
    ```
    """

    source: str = None
    start: datetime.datetime = None
    end: datetime.datetime = None
    gender: str = None
    race: str = None
    expression: str = None
    min_age: float = None
    max_age: float = None
    min_seconds: float = None
    sort: str = "newest"
    page: int = 1
    per_page: int = 50

    @classmethod
    def from_query(cls, params):
        """A filter from query parameters (a mapping of str to str);
        empty values are no filter, unknown parameters are ignored.

        Raises:
            FilterError: a value that does not parse.
        """
        values = {}
        for name in TEXT_FIELDS:
            text = (params.get(name) or "").strip()
            if len(text) > MAX_TEXT:
                raise FilterError(f"{name}: longer than {MAX_TEXT} "
                                  "characters")
            if not text.isprintable():
                raise FilterError(f"{name}: holds control characters")
            if text:
                values[name] = text
        for name in TIME_FIELDS:
            text = (params.get(name) or "").strip()
            if text:
                values[name] = parse_time(name, text)
        for name in NUMBER_FIELDS:
            text = (params.get(name) or "").strip()
            if text:
                values[name] = parse_number(name, text)
        sort = (params.get("sort") or "").strip()
        if sort:
            if sort not in SORTS:
                raise FilterError(f"sort: {sort[:40]!r} is not one of "
                                  f"{', '.join(SORTS)}")
            values["sort"] = sort
        for name, high in (("page", 10**6), ("per_page", MAX_PER_PAGE)):
            text = (params.get(name) or "").strip()
            if text:
                values[name] = parse_int(name, text, 1, high)
        chosen = cls(**values)
        if chosen.start and chosen.end and chosen.end <= chosen.start:
            raise FilterError("end: must come after start")
        return chosen

    def clauses(self):
        """SQLAlchemy conditions on `Track` (and `Source` for the source
        name: join `Track.source`)."""
        conditions = []
        if self.source is not None:
            conditions.append(Source.name == self.source)
        if self.start is not None:
            conditions.append(Track.first_seen >= self.start)
        if self.end is not None:
            conditions.append(Track.first_seen < self.end)
        for name in ("gender", "race", "expression"):
            value = getattr(self, name)
            if value is not None:
                conditions.append(getattr(Track, name) == value)
        if self.min_age is not None:
            conditions.append(Track.age >= self.min_age)
        if self.max_age is not None:
            conditions.append(Track.age <= self.max_age)
        if self.min_seconds is not None:
            conditions.append(Track.duration_s >= self.min_seconds)
        return [and_(*conditions)] if conditions else []

    def order(self):
        """The ORDER BY of `sort`, newest first by default."""
        return [SORTS[self.sort], Track.id.desc()]

    def with_period(self, start, end):
        """The same filter over another period."""
        return dataclasses.replace(self, start=start, end=end)

    def query(self, **changes):
        """The query string of this filter with some values changed
        (None removes one), for links."""
        chosen = dataclasses.replace(self, **changes)
        return urllib.parse.urlencode([
            (field.name, chosen.form_value(field.name))
            for field in dataclasses.fields(chosen)
            if getattr(chosen, field.name) not in (None, field.default)])

    def form_value(self, name):
        """The text an input of the filter form shows for `name`."""
        value = getattr(self, name)
        if value is None:
            return ""
        if isinstance(value, datetime.datetime):
            return _time_text(value)
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)


def _time_text(value):
    """A UTC time as `datetime-local` text, with seconds when it has any."""
    if value.second or value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    return value.strftime("%Y-%m-%dT%H:%M")
