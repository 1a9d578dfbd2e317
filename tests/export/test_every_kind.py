"""A model with every task kind exports, passes parity and answers alike.

Ordinal (age), nominal (gender), multi-label (action units) and regression
(affect) tasks, in one tiny model trained for one epoch, exported to
SavedModel, TFLite fp32 and ONNX: each artifact passes its parity check
and gives `predict_files` the same JSON records as the `.keras` file. The
age is decoded as the expected rank (a real-valued age), chosen after
training, and the model answers as the mean over each face and its
mirror image (`test_time_flip`, switched on after training), so every
artifact's graph must compute both as the Keras model's answers do.
"""

import json
import os

import numpy as np
import pytest

IMAGE_SIZE = 32
FACES = 12
ARTIFACTS = {("savedmodel", "fp32"): "saved_model",
             ("tflite", "fp32"): "model_fp32.tflite",
             ("onnx", "fp32"): "model.onnx"}


@pytest.fixture(scope="module")
def every_kind(tmp_path_factory):
    """The model file, a folder of faces, and the three exports."""
    import keras
    from PIL import Image

    from keras_dmtl import DMTLModel
    from keras_dmtl.data import SyntheticFaces
    from keras_dmtl.export import export_model
    from tests.conftest import lively

    keras.utils.set_random_seed(0)
    faces = SyntheticFaces(256, IMAGE_SIZE, seed=11)
    examples = faces.examples(["age", "gender", "action_units", "affect"])
    model = DMTLModel(examples.tasks, backbone="mobilenet_v2_0.35",
                      image_size=IMAGE_SIZE)
    # Eager: tracing the train step of four kinds of heads and their
    # metrics takes far longer than the epoch's four steps.
    model.compile(optimizer=keras.optimizers.Adam(3e-3), run_eagerly=True)
    model.fit(faces.images, examples.labels_for(model.tasks), epochs=1,
              batch_size=64, verbose=0)
    # The decoding changes no weight: chosen after training, it is saved
    # with the model and exported with it.
    lively(model, faces.images[:64])
    model.tasks[0].decoding = "expected"
    model.test_time_flip = True
    root = tmp_path_factory.mktemp("every_kind")
    model_file = str(root / "model.keras")
    model.save(model_file)
    folder = root / "faces"
    folder.mkdir()
    for index, image in enumerate(
            SyntheticFaces(FACES, IMAGE_SIZE, seed=12).images):
        # Lit from one side: a face unlike its mirror, so that answers
        # over face and mirror differ from the face's alone.
        image = np.asarray(image, "float32")
        image[:, : IMAGE_SIZE // 3] *= 0.4
        Image.fromarray(image.astype("uint8")).save(
            folder / f"face_{index:02d}.png")
    out = str(root / "artifacts")
    results = {key: export_model(model, export_format, out, precision,
                                 data=str(folder), parity_images=FACES)
               for key in ARTIFACTS for export_format, precision in [key]}
    return model, model_file, str(folder), out, results


def test_every_kind_exports_with_parity(every_kind):
    model, _, _, out, results = every_kind
    with open(os.path.join(out, "model_info.json")) as file:
        info = json.load(file)
    assert [t["kind"] for t in info["tasks"]] == [
        "ordinal", "nominal", "multi_label", "regression"]
    assert info["tasks"][0]["decoding"] == "expected"
    assert info["tasks"][0]["config"]["decoding"] == "expected"
    assert info["test_time_flip"] is True
    assert info["outputs"] == [
        "age", "age_probabilities", "gender", "gender_probabilities",
        "action_units", "action_units_probabilities", "affect"]
    for key, name in ARTIFACTS.items():
        report = results[key].reports[os.path.join(out, name)]
        assert report["passed"], (name, report)
        tasks = report["tasks"]
        assert sorted(tasks) == sorted(t.name for t in model.tasks)
        assert sorted(tasks["action_units"]["per_label"]) == sorted(
            model.tasks[2].labels)
        assert sorted(tasks["affect"]["per_label"]) == ["arousal", "valence"]
        assert tasks["affect"]["max_value_difference"] < 1e-4, name
        assert "max_probability_difference" not in tasks["affect"]
        assert tasks["action_units"]["max_probability_difference"] < 1e-4


def test_the_flip_changes_the_answers_the_artifacts_match(every_kind):
    """Every artifact passed parity with the flipped Keras answers, which
    differ from the face's alone far past the parity tolerance."""
    from PIL import Image

    model, _, folder, _, _ = every_kind
    images = np.stack([np.asarray(Image.open(os.path.join(folder, name)),
                                  "float32")
                       for name in sorted(os.listdir(folder))])
    flipped = model.predict_on_batch(images)
    model.test_time_flip = False
    try:
        as_given = model.predict_on_batch(images)
    finally:
        model.test_time_flip = True
    change = max(float(np.abs(flipped[name] - as_given[name]).max())
                 for name in flipped)
    assert change > 1e-2, change  # parity allows 1e-4


def _assert_same_records(got, expected, tasks, where):
    assert len(got) == len(expected), where
    for new, old in zip(got, expected):
        assert {k: v for k, v in new.items() if k != "attributes"} == {
            k: v for k, v in old.items() if k != "attributes"}, where
        assert sorted(new["attributes"]) == sorted(old["attributes"])
        for task in tasks:
            tolerance = getattr(task, "tolerance", 1e-4)
            _assert_close(new["attributes"][task.name],
                          old["attributes"][task.name], tolerance,
                          f"{where}: {new['image']} {task.name}")


def _assert_close(got, expected, tolerance, where):
    """Equal JSON values, floats within `tolerance`."""
    if isinstance(expected, dict):
        assert sorted(got) == sorted(expected), where
        for key in expected:
            _assert_close(got[key], expected[key], tolerance, where)
    elif isinstance(expected, float):
        assert got == pytest.approx(expected, abs=tolerance), where
    else:
        assert got == expected, where


def test_every_artifact_gives_the_keras_records(every_kind):
    from keras_dmtl.export.predict import predict_files

    model, model_file, folder, out, _ = every_kind
    records, _ = predict_files([folder], model_file, aligned=True)
    assert len(records) == FACES
    attributes = records[0]["attributes"]
    assert set(attributes["age"]) == {"value", "label", "index"}
    # The expected age: a real number, answered by the nearest rank.
    ages = [record["attributes"]["age"] for record in records]
    assert all(isinstance(age["value"], float) for age in ages)
    assert [age["index"] for age in ages] == [
        int(np.floor(age["value"] + 0.5)) for age in ages]
    assert set(attributes["action_units"]) == {"active", "probabilities"}
    assert set(attributes["affect"]) == {"valence", "arousal"}
    json.dumps(records)  # JSON-ready
    for name in ARTIFACTS.values():
        others, _ = predict_files([folder], os.path.join(out, name),
                                  aligned=True)
        _assert_same_records(others, records, model.tasks, name)
