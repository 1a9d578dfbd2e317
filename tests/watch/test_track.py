import numpy as np
import pytest

from keras_dmtl import MultiLabelTask
from keras_dmtl import NominalTask
from keras_dmtl.watch.track import Track


def test_a_track_keeps_its_path_its_best_face_and_its_answers():
    gender = NominalTask("gender", ["male", "female"])
    aus = MultiLabelTask("aus", ["AU1", "AU12"])
    track = Track("door", 100.0, [10, 20, 80, 80], 0.95)
    track.move(100.04, [12, 20, 80, 80])
    track.detected(100.2, [20, 22, 82, 82], 0.99)
    dull, sharp = np.zeros((4, 4, 3)), np.ones((4, 4, 3))
    track.add_answers(100.0, {
        "gender": {"probabilities": {"male": 0.8, "female": 0.2}},
        "aus": {"probabilities": {"AU1": 0.9, "AU12": 0.1}}}, dull, 0.95)
    track.add_answers(100.2, {
        "gender": {"probabilities": {"male": 0.6, "female": 0.4}},
        "aus": {"probabilities": {"AU1": 0.7, "AU12": 0.3}}}, sharp, 0.99)
    assert track.frames == 3 and track.detections == 2
    assert track.duration == pytest.approx(0.2)
    assert track.confidence == pytest.approx(0.97)
    assert track.boxes[-1] == [100.2, 20, 22, 82, 82]
    assert track.face[1] is sharp  # the most confident crop
    summary = track.summary([gender, aus])
    assert summary["gender"]["label"] == "male"
    assert summary["aus"]["active"] == ["AU1"]
    series = track.series([gender, aus])  # only the time-series tasks
    assert [t for t, _ in series] == [100.0, 100.2]
    assert list(series[1][1]) == ["aus"]
    assert track.series([gender]) == []
