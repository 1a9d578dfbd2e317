import json
import os

import numpy as np
import pytest

import keras_dmtl
from keras_dmtl.export import describe
from keras_dmtl.export import info_tasks
from keras_dmtl.export import model_info
from keras_dmtl.export import read_model_info
from keras_dmtl.export.model_info import write_model_info
from tests.conftest import REPO
from tests.export.conftest import small_model

RELEASE_0_1 = os.path.join(REPO, "tests", "fixtures", "release_0_1")


@pytest.fixture(scope="module")
def model():
    return small_model()


@pytest.fixture(scope="module")
def info(model):
    return model_info(model)


def test_info_names_inputs_outputs_and_labels(info, model):
    assert info["input"]["shape"] == [None, 32, 32, 3]
    assert info["outputs"] == [
        "age", "age_probabilities", "age_group", "age_group_probabilities",
        "gender", "gender_probabilities", "race", "race_probabilities"]
    age, group, gender, _ = info["tasks"]
    assert info["tasks"] == [task.describe() for task in model.tasks]
    assert age["kind"] == "ordinal" and age["config"]["ranks"][:3] == [0, 1, 2]
    assert age["outputs"] == ["age", "age_probabilities"]
    assert age["values"][:3] == [0.0, 1.0, 2.0] and age["values_are_ranks"]
    assert group["labels"][:2] == ["<3", "3-9"]
    assert not group["values_are_ranks"]
    assert gender["labels"] == ["male", "female"]
    assert gender["config"] == {"name": "gender",
                                "classes": ["male", "female"]}
    json.dumps(info)  # JSON-ready


def test_tasks_read_back_from_the_json_file(info, model, tmp_path):
    write_model_info(info, str(tmp_path))
    (tmp_path / "model.onnx").write_bytes(b"")
    read = read_model_info(str(tmp_path / "model.onnx"))
    assert info_tasks(read) == model.tasks


def test_every_kind_describes_itself_and_reads_back():
    tasks = [
        keras_dmtl.MultiLabelTask("aus", labels=["AU1", "AU12"],
                                  thresholds=[0.3, 0.6]),
        keras_dmtl.RegressionTask("affect", outputs=["valence", "arousal"],
                                  bounds=(-1, 1)),
    ]
    entries = json.loads(json.dumps({"tasks": [t.describe() for t in tasks]}))
    aus, affect = entries["tasks"]
    assert aus["kind"] == "multi_label" and aus["thresholds"] == [0.3, 0.6]
    assert aus["outputs"] == ["aus", "aus_probabilities"]
    assert affect["kind"] == "regression" and affect["outputs"] == ["affect"]
    assert affect["labels"] == ["valence", "arousal"]
    assert info_tasks(entries) == tasks
    outputs = {"aus": np.array([[1, 0]]),
               "aus_probabilities": np.array([[0.7, 0.2]]),
               "affect": np.array([[0.25, -0.5]])}
    assert describe(entries, outputs, 0) == {
        "aus": {"active": ["AU1"], "probabilities": {"AU1": 0.7, "AU12": 0.2}},
        "affect": {"valence": 0.25, "arousal": -0.5}}


def test_describe_gives_each_task_answer(info, model):
    outputs = {
        "age": np.array([31.0]), "age_probabilities": np.zeros((1, 116)),
        "age_group": np.array([3.0]),
        "age_group_probabilities": np.zeros((1, 8)),
        "gender": np.array([1]), "gender_probabilities": np.array([[.2, .8]]),
        "race": np.array([2]), "race_probabilities": np.full((1, 5), .2),
    }
    attributes = describe(info, outputs, 0)
    assert attributes["age"] == {"value": 31, "label": "31", "index": 31}
    assert attributes["age_group"] == {"value": 3, "label": "20-29",
                                       "index": 3}
    assert attributes["gender"] == {
        "label": "female", "index": 1,
        "probabilities": {"male": 0.2, "female": 0.8}}
    assert attributes["race"]["label"] == "asian"
    assert attributes == {t.name: t.answer(outputs, 0) for t in model.tasks}


def test_the_previous_release_files_read_back():
    info = read_model_info(os.path.join(RELEASE_0_1, "onnx", "model.onnx"))
    age, group, gender = info_tasks(info)
    assert age == keras_dmtl.OrdinalTask("age", ranks=range(0, 117))
    assert group == keras_dmtl.OrdinalTask(
        "age_group", cut_points=[3, 10, 20, 30, 40, 50, 60, 70])
    assert gender == keras_dmtl.NominalTask("gender", ["male", "female"])


def test_missing_or_foreign_info_is_a_clear_error(tmp_path):
    artifact = tmp_path / "model.onnx"
    artifact.write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="no model_info.json found"):
        read_model_info(str(artifact))
    (tmp_path / "model_info.json").write_text('{"format": "other"}')
    with pytest.raises(ValueError, match="field 'format' is 'other'"):
        read_model_info(str(artifact))


def _entry(**changes):
    entry = keras_dmtl.NominalTask("gender", ["male", "female"]).describe()
    entry.update(changes)
    return {key: value for key, value in entry.items() if value is not None}


@pytest.mark.parametrize("content, message", [
    ("{not json", r"model_info.json: not valid JSON \(Expecting property"),
    ("[1, 2]", r"model_info.json: not a keras-dmtl model_info.json"),
    ({"tasks": []}, r"model_info.json: field 'image_size' is missing"),
    ({"image_size": 32}, r"model_info.json: field 'tasks' is missing"),
    ({"image_size": 32, "tasks": []}, r"field 'tasks' is \[\]"),
    ({"image_size": 32, "tasks": [_entry(), "gender"]},
     r"field 'tasks\[1\]' is 'gender', not an object"),
    ({"image_size": 32, "tasks": [_entry(name=1)]},
     r"field 'tasks\[0\].name' is 1; expected a string"),
    ({"image_size": 32, "tasks": [{"name": "gender"}]},
     r"field 'tasks\[0\].kind' is missing"),
    ({"image_size": 32, "tasks": [_entry(kind="ranking")]},
     r"field 'tasks\[0\].kind' of task 'gender' is 'ranking'; this version "
     r"of keras-dmtl knows \['multi_label', 'nominal', 'ordinal', "
     r"'regression'\]"),
    ({"image_size": 32, "tasks": [_entry(config={"name": "gender"})]},
     r"field 'tasks\[0\].config' of task 'gender': .*missing 1 required "
     r"positional argument: 'classes'"),
    ({"image_size": 32, "tasks": [
        {"name": "age", "kind": "ordinal", "values": [0, 1]}]},
     r"field 'tasks\[0\].labels' of task 'age' is missing"),
    ({"image_size": 32, "tasks": [
        _entry(config={"name": "gender", "classes": ["male"]})]},
     r"field 'tasks\[0\].config' of task 'gender': Task 'gender' needs at "
     r"least 2 classes"),
])
def test_a_malformed_info_file_names_the_file_and_field(content, message,
                                                        tmp_path):
    path = tmp_path / "model_info.json"
    if isinstance(content, dict):
        content = json.dumps({"format": "keras-dmtl-artifact", **content})
    path.write_text(content)
    (tmp_path / "model.tflite").write_bytes(b"")
    with pytest.raises(ValueError, match=message) as error:
        read_model_info(str(tmp_path / "model.tflite"))
    assert str(error.value).startswith(str(path))


def test_predict_names_a_malformed_info_file(tmp_path):
    from keras_dmtl.cli import main
    from tests.conftest import write_image

    (tmp_path / "model.onnx").write_bytes(b"")
    entry = _entry(kind="ranking")
    (tmp_path / "model_info.json").write_text(json.dumps(
        {"format": "keras-dmtl-artifact", "image_size": 32,
         "tasks": [entry]}))
    image = write_image(tmp_path / "face.png")
    with pytest.raises(SystemExit) as error:
        main(["predict", image, "--aligned", "--model",
              str(tmp_path / "model.onnx")])
    assert str(error.value) == (
        f"keras-dmtl predict: {tmp_path / 'model_info.json'}: field "
        "'tasks[0].kind' of task 'gender' is 'ranking'; this version of "
        "keras-dmtl knows ['multi_label', 'nominal', 'ordinal', "
        "'regression']")
