import pytest

from keras_dmtl.watch.track_matching import attribute_scores
from keras_dmtl.watch.track_matching import match_tracks

FPS = 10.0
PEOPLE = [
    {"id": 0, "age": 30, "gender": 1, "race": 2,
     "boxes": [[f, 10 + f, 10, 50, 50] for f in range(0, 20)]},
    {"id": 1, "age": 60, "gender": 0, "race": 0,
     "boxes": [[f, 200, 100, 60, 60] for f in range(10, 40)]},
    {"id": 2, "age": None, "gender": None, "race": None,
     "boxes": [[f, 100, 300, 60, 60] for f in range(50, 60)]},
]


def _track(key, frames, box, start=5.0, **attributes):
    return dict(key=key, boxes=[[start + f / FPS, *box(f)] for f in frames],
                **attributes)


def test_tracks_join_the_people_they_followed():
    tracks = [
        _track("a", range(0, 20), lambda f: [11 + f, 10, 50, 50],
               age=34, gender="female", race="asian"),
        # person 1 followed by two tracks (the tracker lost them once)
        _track("b1", range(10, 22), lambda f: [202, 100, 60, 60],
               age=50, gender="male", race="black"),
        _track("b2", range(25, 40), lambda f: [198, 101, 60, 60],
               age=58, gender="male", race="white"),
        _track("ghost", range(0, 10), lambda f: [400, 400, 40, 40]),
    ]
    result = match_tracks(tracks, PEOPLE, FPS, start=5.0)
    assert result["pairs"] == [(0, "a"), (1, "b1"), (1, "b2")]
    assert result["missed"] == [2] and result["split"] == [1]
    assert result["false_tracks"] == ["ghost"]
    scores = attribute_scores(result["pairs"], tracks, PEOPLE)
    assert scores["age_mae"] == pytest.approx((4 + 10 + 2) / 3)
    assert scores["gender_accuracy"] == 1.0
    assert scores["race_accuracy"] == pytest.approx(2 / 3)


def test_a_track_mostly_elsewhere_is_false_and_the_clock_offset_counts():
    # follows person 0 on 4 of its 10 boxes only: not enough
    track = _track("t", range(0, 10),
                   lambda f: [10 + f, 10, 50, 50] if f < 4 else [500, 0, 9, 9])
    assert match_tracks([track], PEOPLE, FPS, start=5.0)["false_tracks"] == [
        "t"]
    # with the wrong start time no frame lines up with the truth
    good = _track("g", range(0, 20), lambda f: [10 + f, 10, 50, 50])
    assert match_tracks([good], PEOPLE, FPS, start=9.0)["pairs"] == []
