import numpy as np
import pytest

from keras_dmtl import NominalTask
from keras_dmtl.data import FaceExamples
from keras_dmtl.data import face_augmentation
from keras_dmtl.data import face_dataset
from keras_dmtl.data import mixed_dataset
from keras_dmtl.data import SyntheticFaces
from keras_dmtl.data import synthetic_tasks
from tests.conftest import write_image


def test_files_of_every_colour_layout_become_rgb(tmp_path):
    paths = [
        write_image(tmp_path / "rgb.jpg", color=(200, 100, 50)),
        write_image(tmp_path / "gray.jpg", color=(90, 90, 90), mode="L"),
        write_image(tmp_path / "cmyk.jpg", mode="CMYK"),
        write_image(tmp_path / "rgba.png", color=(10, 200, 30, 128),
                    mode="RGBA"),
    ]
    examples = FaceExamples("x", [NominalTask("g", 2)], {"g": [0, 1, 0, 1]},
                            paths=paths)
    images, labels = next(iter(face_dataset(examples, image_size=16,
                                            batch_size=4)))
    images = np.asarray(images)
    assert images.shape == (4, 16, 16, 3)
    np.testing.assert_allclose(images[0, 8, 8], [200, 100, 50], atol=3)
    np.testing.assert_allclose(images[1, 8, 8], [90, 90, 90], atol=3)
    np.testing.assert_allclose(images[2, 8, 8], [255, 127, 0], atol=3)
    np.testing.assert_allclose(images[3, 8, 8], [10, 200, 30], atol=3)
    assert np.asarray(labels["g"]).tolist() == [0, 1, 0, 1]


def test_in_memory_grayscale_and_missing_tasks():
    images = np.full((3, 48, 48), 77, "uint8")
    examples = FaceExamples("fer", [NominalTask("expression", 7)],
                            {"expression": [1, 2, 3]}, images=images)
    batch, labels = next(iter(face_dataset(examples, ["age", "expression"],
                                           image_size=32, batch_size=3)))
    assert tuple(batch.shape) == (3, 32, 32, 3)
    assert np.asarray(labels["age"]).tolist() == [-1, -1, -1]
    assert np.asarray(labels["expression"]).tolist() == [1, 2, 3]


def test_augmentation_changes_pixels_not_shapes():
    faces = SyntheticFaces(8, 32)
    examples = faces.examples(["gender"])
    plain, _ = next(iter(face_dataset(examples, image_size=32, batch_size=8)))
    augmented, _ = next(iter(face_dataset(examples, image_size=32,
                                          batch_size=8, augment=True)))
    assert plain.shape == augmented.shape
    assert not np.allclose(np.asarray(plain), np.asarray(augmented))
    assert float(np.asarray(augmented).min()) >= 0
    layer = face_augmentation(flip=False, rotation=0, zoom=0, contrast=0)
    np.testing.assert_array_equal(np.asarray(layer(plain, training=True)),
                                  np.asarray(plain))


def test_mixed_stream_follows_the_weights_and_fills_missing_labels():
    faces = SyntheticFaces(40, 16)
    utk = faces.examples(["age", "gender"])
    fer = faces.examples(["expression"])
    data = mixed_dataset([(utk, 3), (fer, 1)], ["age", "gender", "expression"],
                         image_size=16, batch_size=100, seed=1)
    _, labels = next(iter(data))
    from_utk = np.asarray(labels["age"]) >= 0
    from_fer = np.asarray(labels["expression"]) >= 0
    assert np.all(from_utk ^ from_fer)
    assert np.all(np.asarray(labels["gender"])[from_fer] == -1)
    assert 0.6 < from_utk.mean() < 0.9


def test_mixed_multi_label_and_regression_sources_with_tasks():
    faces = SyntheticFaces(40, 16)
    aus = faces.examples(["action_units", "expression"])
    affect = faces.examples(["affect"])
    tasks = synthetic_tasks(["action_units", "expression", "affect"])
    data = mixed_dataset([(aus, 1), (affect, 1)], tasks, image_size=16,
                         batch_size=64, seed=2)
    _, labels = next(iter(data))
    units = np.asarray(labels["action_units"])
    values = np.asarray(labels["affect"])
    expression = np.asarray(labels["expression"])
    assert units.shape == (64, 8) and units.dtype == np.int32
    assert values.shape == (64, 2) and values.dtype == np.float32
    from_aus = (units >= 0).all(axis=1)
    from_affect = ~np.isnan(values).any(axis=1)
    assert np.all(from_aus ^ from_affect) and 0 < from_aus.sum() < 64
    assert (units[from_affect] == -1).all()
    assert np.isnan(values[from_aus]).all()
    assert (expression[from_affect] == -1).all()
    assert (expression[from_aus] >= 0).all()
    # Names cannot give a missing regression label its shape.
    with pytest.raises(ValueError, match=r"labels of 'action_units' are "
                                         r"int32 \(\) in source 0 .* but "
                                         r"int32 \(8,\) in source 1 "
                                         r".*Task objects"):
        mixed_dataset([(affect, 1), (aus, 1)],
                      ["action_units", "expression", "affect"],
                      image_size=16)


def test_face_dataset_with_tasks_the_examples_lack():
    faces = SyntheticFaces(6, 16)
    examples = faces.examples(["gender"])
    tasks = synthetic_tasks(["gender", "action_units", "affect"])
    _, labels = next(iter(face_dataset(examples, tasks, image_size=16,
                                       batch_size=6)))
    assert np.asarray(labels["action_units"]).tolist() == [[-1] * 8] * 6
    assert np.isnan(np.asarray(labels["affect"])).all()
    assert np.asarray(labels["gender"]).tolist() == (
        faces.labels["gender"].tolist())
