import numpy as np
import pytest

from keras_dmtl.data import ACTION_UNITS
from keras_dmtl.data import EXPRESSIONS
from keras_dmtl.data import SyntheticFaces
from keras_dmtl.data import face_dataset
from keras_dmtl.data import synthetic_tasks
from keras_dmtl.data.synthetic_faces import _draw_face


def test_deterministic_under_the_seed():
    a, b = SyntheticFaces(16, 32, seed=5), SyntheticFaces(16, 32, seed=5)
    np.testing.assert_array_equal(a.images, b.images)
    assert not np.array_equal(a.images, SyntheticFaces(16, 32, seed=6).images)


def test_labels_cover_every_kind_in_range():
    faces = SyntheticFaces(400, 32)
    assert faces.images.shape == (400, 32, 32, 3)
    assert faces.images.dtype == np.uint8
    labels = faces.labels
    assert labels["age"].min() >= 0 and labels["age"].max() <= 116
    assert set(np.unique(labels["gender"])) == {0, 1}
    assert set(np.unique(labels["race"])) == set(range(5))
    assert set(np.unique(labels["expression"])) == set(range(7))
    assert labels["action_units"].shape == (400, 8)
    assert np.abs(labels["valence"]).max() <= 1.0


def test_skin_tone_follows_race():
    faces = SyntheticFaces(300, 32)
    centre = faces.images[:, 14:18, 10:14].reshape(300, -1).mean(axis=1)
    race = faces.labels["race"]
    # Race 0 has the lightest skin, race 1 the darkest.
    assert centre[race == 0].mean() > centre[race == 1].mean() + 40


def test_grey_hair_and_wrinkles_follow_age():
    faces = SyntheticFaces(400, 48)
    top = faces.images[:, 4:12, 16:32].astype("float32")
    greyness = -top.std(axis=-1).mean(axis=(1, 2))
    age = faces.labels["age"]
    old, young = greyness[age > 70].mean(), greyness[age < 30].mean()
    assert old > young


def test_examples_batch_labels_by_task():
    faces = SyntheticFaces(10, 32)
    examples = faces.examples(["age", "gender"])
    assert [t.name for t in examples.tasks] == ["age", "gender"]
    batch = next(iter(face_dataset(examples, batch_size=4, image_size=32)))
    images, labels = batch
    assert tuple(images.shape) == (4, 32, 32, 3)
    assert sorted(labels) == ["age", "gender"]


def test_synthetic_tasks_match_labels():
    names = [t.name for t in synthetic_tasks(("age", "expression"))]
    assert names == ["age", "expression"]
    with pytest.raises(ValueError, match="No synthetic labels"):
        synthetic_tasks(("valence",))


ALL_NAMES = ["age", "age_group", "gender", "race", "expression",
             "action_units", "affect"]


def test_examples_for_every_kind():
    faces = SyntheticFaces(12, 16)
    examples = faces.examples(ALL_NAMES)
    kinds = {t.name: t.kind for t in examples.tasks}
    assert kinds["action_units"] == "multi_label"
    assert kinds["affect"] == "regression"
    assert examples.labels["action_units"].shape == (12, len(ACTION_UNITS))
    affect = examples.labels["affect"]
    assert affect.shape == (12, 2) and affect.dtype == np.float32
    np.testing.assert_array_equal(affect[:, 0], faces.labels["valence"])
    np.testing.assert_array_equal(affect[:, 1], faces.labels["arousal"])
    assert [t.name for t in synthetic_tasks(ALL_NAMES)] == ALL_NAMES
    assert synthetic_tasks(["action_units"])[0].labels == ACTION_UNITS


def test_every_action_unit_changes_the_face():
    labels = {"age": 30, "gender": 0, "race": 0,
              "expression": EXPRESSIONS.index("neutral"),
              "action_units": np.zeros(len(ACTION_UNITS), "int32")}
    plain = _draw_face(np.random.default_rng(3), 64, labels)
    for j, unit in enumerate(ACTION_UNITS):
        units = np.zeros(len(ACTION_UNITS), "int32")
        units[j] = 1
        face = _draw_face(np.random.default_rng(3), 64,
                          dict(labels, action_units=units))
        changed = np.abs(face.astype(int) - plain.astype(int)).max(-1) > 30
        assert changed.sum() >= 10, unit
