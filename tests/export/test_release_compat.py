"""Files written by keras-dmtl 0.1 still load and give the same answers.

`tests/fixtures/release_0_1/` holds a tiny model saved by the previous
release (tasks age with ranks 0..116, age_group with cut points 3..70,
gender), its ONNX and TFLite fp16 exports with their old-format
`model_info.json` (entries without `config`), eight 32x32 faces, and what
that release answered on them (`expected.json`).
"""

import json
import os

import numpy as np
import pytest

from keras_dmtl.export import info_tasks
from keras_dmtl.export import load_artifact
from keras_dmtl.export import read_model_info
from tests.conftest import REPO

RELEASE = os.path.join(REPO, "tests", "fixtures", "release_0_1")
ARTIFACTS = ["onnx/model.onnx", "tflite/model_fp16.tflite"]


@pytest.fixture(scope="module")
def expected():
    with open(os.path.join(RELEASE, "expected.json")) as file:
        return json.load(file)


@pytest.fixture(scope="module")
def images():
    return np.load(os.path.join(RELEASE, "images.npy"))


@pytest.fixture(scope="module")
def model():
    from keras_dmtl.models.load_model import load_dmtl_model

    return load_dmtl_model(os.path.join(RELEASE, "release_0_1.keras"))


def assert_same_answers(got, expected, where):
    """Every field of the old records (bar the dropped one) is unchanged.

    New records may carry more fields (such as `index`); the old
    `predict_attributes` also gave `threshold_probabilities`, which the
    answer records no longer hold.
    """
    assert len(got) == len(expected), where
    for number, (new, old) in enumerate(zip(got, expected)):
        assert sorted(new) == sorted(old), (where, number)
        for task, answer in old.items():
            place = f"{where}, image {number}, {task}"
            for field, value in answer.items():
                if field == "threshold_probabilities":
                    continue
                assert field in new[task], f"{place}: no {field}"
                if field == "probabilities":
                    assert sorted(new[task][field]) == sorted(value), place
                    for label, p in value.items():
                        assert new[task][field][label] == pytest.approx(
                            p, abs=1e-4), f"{place}: {label}"
                else:
                    assert new[task][field] == value, f"{place}: {field}"


def test_the_old_model_loads_and_answers_as_before(model, images, expected):
    assert [t.name for t in model.tasks] == ["age", "age_group", "gender"]
    assert_same_answers(model.predict_attributes(images),
                        expected["predict_attributes"], "predict_attributes")


def test_the_old_model_info_gives_the_model_tasks(model):
    for artifact in ARTIFACTS:
        info = read_model_info(os.path.join(RELEASE, artifact))
        assert "config" not in info["tasks"][0]  # the old format
        assert info_tasks(info) == model.tasks, artifact


@pytest.mark.parametrize("artifact", ARTIFACTS)
def test_each_old_artifact_answers_as_before(artifact, images, expected):
    runtime = load_artifact(os.path.join(RELEASE, artifact), num_threads=2)
    outputs = runtime.predict(images)
    records = [runtime.describe(outputs, i) for i in range(len(images))]
    assert_same_answers(records, expected["artifacts"][artifact], artifact)


def test_the_old_model_and_its_artifacts_now_give_one_record(model, images):
    """The answer records are the same from the model and every artifact."""
    from keras_dmtl.export.runtimes import KerasRuntime

    keras_runtime = KerasRuntime(None, model=model)
    reference = keras_runtime.predict(images)
    records = model.predict_attributes(images)
    assert [keras_runtime.describe(reference, i)
            for i in range(len(images))] == records
    for artifact in ARTIFACTS:
        runtime = load_artifact(os.path.join(RELEASE, artifact),
                                num_threads=2)
        outputs = runtime.predict(images)
        for i, record in enumerate(records):
            answer = runtime.describe(outputs, i)
            assert sorted(answer) == sorted(record)
            for task in ("age", "age_group"):
                assert answer[task] == record[task], (artifact, i, task)
            assert answer["gender"]["label"] == record["gender"]["label"]
            for label, p in record["gender"]["probabilities"].items():
                assert answer["gender"]["probabilities"][label] == (
                    pytest.approx(p, abs=1e-3)), (artifact, i)
