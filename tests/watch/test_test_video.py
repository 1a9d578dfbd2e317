import csv
import itertools
import os

import cv2
import pytest

from keras_dmtl.watch import TestVideoTruth
from keras_dmtl.watch import make_test_video
from keras_dmtl.watch.test_video import choose_faces
from keras_dmtl.watch.test_video import utkface_labels
from keras_dmtl.watch.test_video_scene import MAX_IOU
from keras_dmtl.watch.test_video_scene import _iou
from tests.conftest import shared_path

SMALL = dict(seconds=4.0, fps=10, size=(320, 240), max_in_view=3,
             face_sizes=(60, 80), seed=3)


@pytest.fixture(scope="module")
def faces():
    return choose_faces(shared_path("data", "utkface"), 2, seed=0)


@pytest.fixture(scope="module")
def photo():
    return shared_path("photos", "astronaut.png")


@pytest.fixture(scope="module")
def made(tmp_path_factory, faces, photo):
    folder = str(tmp_path_factory.mktemp("test_video"))
    return folder, make_test_video(folder, faces, photo=photo, **SMALL)


def first_frame(folder):
    capture = cv2.VideoCapture(os.path.join(folder, "video.mp4"))
    ok, frame = capture.read()
    capture.release()
    assert ok
    return frame


def test_the_video_decodes_to_exactly_its_frame_count(made):
    folder, truth = made
    capture, count = cv2.VideoCapture(os.path.join(folder, "video.mp4")), 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        assert frame.shape == (240, 320, 3)
        count += 1
    capture.release()
    assert count == truth.frame_count == 40
    assert truth.fps == 10 and truth.size == (320, 240)


def test_every_face_walks_through_once_with_its_labels(made, faces, photo):
    _, truth = made
    assert truth.count == 3
    assert [p["id"] for p in truth.people] == [1, 2, 3]
    assert sorted(p["file"] for p in truth.people) == sorted(faces + [photo])
    for person in truth.people:
        labels = (person["age"], person["gender"], person["race"])
        if person["file"] == photo:
            assert labels == (None, None, None)
        else:
            age, gender, race = os.path.basename(person["file"]).split("_")[:3]
            assert labels == (int(age), int(gender), int(race))
        frames = [row[0] for row in person["boxes"]]
        assert frames == sorted(frames) and len(frames) >= 10  # >= ~1 s
        assert (frames[0], frames[-1]) == (person["first_frame"],
                                           person["last_frame"])


def test_boxes_lie_in_the_frame_never_overlap_and_respect_max_in_view(made):
    _, truth = made
    seen_empty = False
    for frame in range(truth.frame_count):
        people = truth.people_in_frame(frame)
        seen_empty |= not people
        assert len(people) <= SMALL["max_in_view"]
        for person in people:
            x, y, w, h = person["box"]
            assert w > 0 and h > 0
            assert x >= 0 and y >= 0 and x + w <= 320 and y + h <= 240
        for a, b in itertools.combinations(people, 2):
            assert _iou(a["box"], b["box"]) < MAX_IOU
    assert seen_empty  # some moments show nobody
    assert truth.people_in_frame(0) == []


def test_the_same_seed_gives_the_same_truth_and_frames(made, faces, photo,
                                                       tmp_path):
    folder, truth = made
    again = make_test_video(str(tmp_path), faces, photo=photo, **SMALL)
    assert again == truth
    assert first_frame(str(tmp_path)).tobytes() == first_frame(
        folder).tobytes()


def test_it_refuses_to_overwrite_unless_asked(made, faces, tmp_path):
    folder, truth = made
    with pytest.raises(ValueError, match="already exists"):
        make_test_video(folder, faces, **SMALL)
    assert TestVideoTruth.load(folder) == truth  # untouched
    other = str(tmp_path / "other")
    os.makedirs(other)
    open(os.path.join(other, "video.mp4"), "w").close()
    with pytest.raises(ValueError, match="video.mp4 already exists"):
        make_test_video(other, faces, **SMALL)
    longer = dict(SMALL, seconds=5.0)
    assert make_test_video(other, faces, overwrite=True,
                           **longer).frame_count == 50


def test_truth_round_trips_and_writes_a_row_a_person(made, tmp_path):
    folder, truth = made
    truth.save(str(tmp_path))
    assert TestVideoTruth.load(str(tmp_path)) == truth
    with open(os.path.join(folder, "truth.csv")) as file:
        rows = list(csv.DictReader(file))
    assert [int(r["id"]) for r in rows] == [p["id"] for p in truth.people]
    assert float(rows[0]["first_seconds"]) == pytest.approx(
        truth.people[0]["first_frame"] / 10)
    with pytest.raises(ValueError, match="absent"):
        TestVideoTruth.load(str(tmp_path / "nowhere"))


def test_bad_arguments_are_named(faces, tmp_path):
    with pytest.raises(ValueError, match="fps must be .* got -1"):
        make_test_video(str(tmp_path), faces, **dict(SMALL, fps=-1))
    with pytest.raises(ValueError, match="face_sizes"):
        make_test_video(str(tmp_path), faces,
                        **dict(SMALL, face_sizes=(60, 400)))
    with pytest.raises(ValueError, match="do not fit"):
        make_test_video(str(tmp_path), faces * 5, **dict(SMALL, seconds=2.5))
    with pytest.raises(ValueError, match="cannot be read"):
        make_test_video(str(tmp_path), [__file__], **SMALL)


def test_choose_faces_spreads_labels_and_names_a_short_folder(tmp_path):
    folder = shared_path("data", "utkface")
    chosen = choose_faces(folder, 10, seed=1)
    assert len(set(chosen)) == 10 and chosen == choose_faces(folder, 10, 1)
    labels = [utkface_labels(path) for path in chosen]
    assert {gender for _, gender, _ in labels} == {0, 1}
    assert len({race for _, _, race in labels}) == 5
    assert utkface_labels("astronaut.png") == (None, None, None)
    with pytest.raises(ValueError, match="has only 0 usable"):
        choose_faces(str(tmp_path), 1)
