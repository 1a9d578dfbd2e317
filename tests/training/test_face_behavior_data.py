import numpy as np
import pytest

from keras_dmtl import NominalTask
from keras_dmtl.training import hold_out_for_calibration
from keras_dmtl.training import read_face_behavior_data
from keras_dmtl.training import union_tasks


@pytest.fixture(scope="module")
def datasets():
    return read_face_behavior_data({}, synthetic_size=80, image_size=16)


def test_synthetic_slices_stand_in_for_the_four_datasets(datasets):
    assert list(datasets) == ["utkface", "fer2013", "ckplus", "affect"]
    assert datasets["ckplus"][0].task_names == ["action_units", "expression"]
    assert sum(len(train) + len(test)
               for train, test in datasets.values()) == 80
    assert [t.name for t in union_tasks(datasets)] == [
        "age", "gender", "race", "expression", "action_units", "affect"]


def test_tasks_of_one_name_must_agree_across_datasets(datasets):
    train, test = datasets["fer2013"]
    other = train.subset(range(len(train)))
    other.tasks = [NominalTask("expression", ["calm", "angry"])]
    with pytest.raises(ValueError, match="task 'expression' differs"):
        union_tasks({"fer2013": (train, test), "other": (other, test)})


def test_only_datasets_whose_tasks_calibrate_lose_training_faces(datasets):
    tasks = union_tasks(datasets)
    smaller, calibration = hold_out_for_calibration(datasets, tasks)
    assert list(calibration) == ["ckplus"]  # the action units calibrate
    before, after = datasets["ckplus"][0], smaller["ckplus"][0]
    assert len(after) + len(calibration["ckplus"]) == len(before)
    assert smaller["utkface"][0] is datasets["utkface"][0]


def test_limit_keeps_a_seeded_share_of_training_faces_and_every_test_face(
        datasets):
    limited = read_face_behavior_data({}, synthetic_size=80, image_size=16,
                                      limit=5)
    again = read_face_behavior_data({}, synthetic_size=80, image_size=16,
                                    limit=5)
    for name, (train, test) in limited.items():
        full_train, full_test = datasets[name]
        assert len(train) == min(5, len(full_train))
        assert len(test) == len(full_test)
        assert train.task_names == full_train.task_names
        assert np.array_equal(train.images, again[name][0].images)


def test_limit_below_one_is_refused():
    with pytest.raises(ValueError, match="--limit must be at least 1"):
        read_face_behavior_data({}, synthetic_size=80, image_size=16,
                                limit=-3)
