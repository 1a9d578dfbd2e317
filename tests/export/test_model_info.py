import json

import numpy as np
import pytest

from keras_dmtl.export import describe
from keras_dmtl.export import model_info
from keras_dmtl.export import read_model_info
from tests.export.conftest import small_model


@pytest.fixture(scope="module")
def info():
    return model_info(small_model())


def test_info_names_inputs_outputs_and_labels(info):
    assert info["input"]["shape"] == [None, 32, 32, 3]
    assert info["outputs"] == [
        "age", "age_probabilities", "age_group", "age_group_probabilities",
        "gender", "gender_probabilities", "race", "race_probabilities"]
    age, group, gender, _ = info["tasks"]
    assert age["values"][:3] == [0.0, 1.0, 2.0] and age["values_are_ranks"]
    assert group["labels"][:2] == ["<3", "3-9"]
    assert not group["values_are_ranks"]
    assert gender["labels"] == ["male", "female"]
    json.dumps(info)  # JSON-ready


def test_describe_names_each_answer(info):
    outputs = {
        "age": np.array([31.0]), "age_probabilities": np.zeros((1, 116)),
        "age_group": np.array([3.0]),
        "age_group_probabilities": np.zeros((1, 8)),
        "gender": np.array([1]), "gender_probabilities": np.array([[.2, .8]]),
        "race": np.array([2]), "race_probabilities": np.full((1, 5), .2),
    }
    attributes = describe(info, outputs, 0)
    assert attributes["age"] == {"value": 31, "label": "31"}
    assert attributes["age_group"] == {"value": 3, "label": "20-29"}
    assert attributes["gender"] == {
        "label": "female", "index": 1,
        "probabilities": {"male": 0.2, "female": 0.8}}
    assert attributes["race"]["label"] == "asian"


def test_missing_or_foreign_info_is_a_clear_error(tmp_path):
    artifact = tmp_path / "model.onnx"
    artifact.write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="no model_info.json found"):
        read_model_info(str(artifact))
    (tmp_path / "model_info.json").write_text('{"format": "other"}')
    with pytest.raises(ValueError, match="field 'format' is 'other'"):
        read_model_info(str(artifact))
