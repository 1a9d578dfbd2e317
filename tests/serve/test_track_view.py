import datetime
import math
import types

from keras_dmtl.serve.track_view import attribute_lines
from keras_dmtl.serve.track_view import export_row
from keras_dmtl.serve.track_view import finite
from keras_dmtl.serve.track_view import time_series

T0 = datetime.datetime(2026, 5, 1, 12, tzinfo=datetime.timezone.utc)


def _track(**changes):
    fields = dict(key="k", source=types.SimpleNamespace(name="door"),
                  model=types.SimpleNamespace(name="m.tflite"),
                  first_seen=T0, last_seen=T0, duration_s=2.0, frames=50,
                  detections=10, confidence=0.97, age=31.256,
                  gender="female", race=None, expression="happy",
                  attributes={}, observations=[])
    fields.update(changes)
    return types.SimpleNamespace(**fields)


def test_a_non_finite_number_is_exported_as_nothing():
    assert finite(math.nan) is None and finite(math.inf) is None
    assert finite(None) is None and finite(1.23456, 2) == 1.23
    row = export_row(_track(age=math.nan))
    assert row["age"] is None and row["confidence"] == 0.97
    assert export_row(_track())["age"] == 31.26
    assert row["first_seen"] == "2026-05-01T12:00:00+00:00"


def test_each_kind_of_summary_reads_as_one_line():
    lines = dict(attribute_lines({
        "age": {"value": 31.5, "interquartile": [29.0, 33.0], "label": "31"},
        "gender": {"label": "female", "probabilities": {"female": 0.8,
                                                        "male": 0.2}},
        "aus": {"active": ["AU12"], "probabilities": {"AU12": 0.9,
                                                      "AU4": 0.1}},
        "affect": {"mean": {"valence": 0.25, "arousal": -0.5},
                   "std": {"valence": 0.1, "arousal": 0.1}},
    }))
    assert lines["age"] == "31.5 (middle half 29 to 33)"
    assert lines["gender"] == "female probabilities: female 0.80, male 0.20"
    assert lines["aus"] == "AU12 probabilities: AU12 0.90, AU4 0.10"
    assert lines["affect"] == "mean: valence 0.25, arousal -0.50"


def test_time_series_follow_the_observations():
    observations = [types.SimpleNamespace(
        time=T0 + datetime.timedelta(seconds=s),
        values={"affect": {"valence": s / 10},
                "aus": {"probabilities": {"AU12": 0.5}}})
        for s in range(3)]
    times, series = time_series(_track(observations=observations))
    assert times == [0.0, 1.0, 2.0]
    assert series == {"affect valence": [0.0, 0.1, 0.2],
                      "aus AU12": [0.5, 0.5, 0.5]}
