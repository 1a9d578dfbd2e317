import datetime
import math

import numpy as np
import pytest

from keras_dmtl.store.records import json_ready
from tests.store.sample_records import track_record


def test_a_track_record_gives_its_duration():
    record = track_record(0)
    assert record.duration_s == 2.0
    assert record.face_jpeg is None


def test_a_naive_time_is_refused_where_it_is_made():
    with pytest.raises(ValueError, match="first_seen is a naive datetime"):
        track_record(0, first_seen=datetime.datetime(2026, 5, 1))
    naive = datetime.datetime(2026, 5, 1)
    with pytest.raises(ValueError, match="observation time"):
        track_record(0, observations=[(naive, {})])
    with pytest.raises(ValueError, match="non-empty str"):
        track_record(0, key="")


def test_json_ready_makes_plain_json():
    value = {"p": np.float32(0.5), "n": np.int64(3), "a": np.array([1, 2]),
             "box": (1, 2.5), "bad": float("nan"), 7: math.inf,
             "ok": [True, None, "x"]}
    assert json_ready(value) == {"p": 0.5, "n": 3, "a": [1, 2],
                                 "box": [1, 2.5], "bad": None, "7": None,
                                 "ok": [True, None, "x"]}
    with pytest.raises(TypeError, match="not JSON-ready"):
        json_ready({"x": object()})
