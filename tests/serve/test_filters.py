import dataclasses
import datetime
import urllib.parse

import pytest

from keras_dmtl.serve.filters import FilterError
from keras_dmtl.serve.filters import TrackFilter

UTC = datetime.timezone.utc


def test_query_parameters_become_typed_values():
    chosen = TrackFilter.from_query({
        "source": " door ", "start": "2026-05-01", "end": "2026-05-01T13:30",
        "gender": "female", "min_age": "30", "max_age": "40.5",
        "min_seconds": "2", "sort": "age", "page": "3", "per_page": "20",
        "unknown": "ignored", "race": ""})
    assert chosen.source == "door" and chosen.race is None
    assert chosen.start == datetime.datetime(2026, 5, 1, tzinfo=UTC)
    assert chosen.end == datetime.datetime(2026, 5, 1, 13, 30, tzinfo=UTC)
    assert (chosen.min_age, chosen.max_age, chosen.min_seconds) == (
        30.0, 40.5, 2.0)
    assert (chosen.sort, chosen.page, chosen.per_page) == ("age", 3, 20)


def test_times_with_an_offset_are_read_as_utc():
    chosen = TrackFilter.from_query({"start": "2026-05-01T14:00+02:00"})
    assert chosen.start == datetime.datetime(2026, 5, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize("name,value,message", [
    ("start", "yesterday", "start: 'yesterday' is not a date or time"),
    ("min_age", "nan", "min_age: 'nan' is not a number from 0 to"),
    ("max_age", "-3", "max_age: '-3' is not a number"),
    ("min_seconds", "1e400", "min_seconds"),
    ("sort", "name; DROP", "sort: 'name; DROP' is not one of newest"),
    ("page", "0", "page: '0' is not a whole number from 1"),
    ("per_page", "5000", "per_page"),
    ("source", "x" * 300, "source: longer than 255"),
])
def test_a_value_that_does_not_parse_names_its_parameter(name, value,
                                                         message):
    with pytest.raises(FilterError, match=message.replace("(", r"\(")):
        TrackFilter.from_query({name: value})


def test_the_end_must_follow_the_start():
    with pytest.raises(FilterError, match="end: must come after start"):
        TrackFilter.from_query({"start": "2026-05-02", "end": "2026-05-01"})


def test_a_filter_writes_back_its_query_string():
    chosen = TrackFilter.from_query({"gender": "female", "min_age": "30",
                                     "start": "2026-05-01T10:00"})
    assert chosen.query() == ("start=2026-05-01T10%3A00&gender=female&"
                              "min_age=30")
    assert chosen.query(page=2, gender=None) == (
        "start=2026-05-01T10%3A00&min_age=30&page=2")
    read_back = TrackFilter.from_query(dict(urllib.parse.parse_qsl(
        chosen.query(sort="age"))))
    assert read_back == dataclasses.replace(chosen, sort="age")
    assert chosen.form_value("min_age") == "30"
    assert chosen.form_value("start") == "2026-05-01T10:00"
    assert chosen.form_value("race") == ""


def test_times_with_seconds_keep_them_in_links():
    chosen = TrackFilter.from_query({"start": "2026-05-01T10:00:30Z"})
    assert chosen.start == datetime.datetime(2026, 5, 1, 10, 0, 30,
                                             tzinfo=UTC)
    assert chosen.query() == "start=2026-05-01T10%3A00%3A30"
    assert chosen.form_value("start") == "2026-05-01T10:00:30"
