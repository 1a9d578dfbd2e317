import json

import numpy as np

from keras_dmtl.export import parity_report
from keras_dmtl.export.parity import failure_message
from keras_dmtl.export.parity import write_parity

TASKS = [
    {"name": "age", "kind": "ordinal", "values_are_ranks": True},
    {"name": "group", "kind": "ordinal", "values_are_ranks": False},
    {"name": "gender", "kind": "nominal"},
]


def _outputs(age, group, gender, shift=0.0):
    n = len(age)
    return {
        "age": np.asarray(age, "float32"),
        "age_probabilities": np.full((n, 3), 0.5) + shift,
        "group": np.asarray(group, "float32"),
        "group_probabilities": np.full((n, 2), 0.5),
        "gender": np.asarray(gender, "int32"),
        "gender_probabilities": np.full((n, 2), 0.5),
    }


def test_age_within_a_year_agrees_but_groups_and_classes_must_match():
    reference = _outputs([30, 30, 30, 30], [2, 2, 2, 2], [0, 1, 0, 1])
    artifact = _outputs([31, 29, 32, 30], [2, 3, 2, 2], [0, 1, 1, 1],
                        shift=0.01)
    report = parity_report(TASKS, reference, artifact, "int8")
    assert report["tasks"]["age"]["agreement"] == 0.75
    assert report["tasks"]["age"]["disagreements"] == 1
    assert report["tasks"]["group"]["agreement"] == 0.75
    assert report["tasks"]["gender"]["agreement"] == 0.75
    np.testing.assert_allclose(
        report["tasks"]["age"]["max_probability_difference"], 0.01)
    assert report["bar"] == 0.98 and not report["passed"]
    message = failure_message(report, "model_int8.tflite")
    assert "age: 75.00% agreement (1 of 4 images differ" in message
    assert "Nothing was written" in message


def test_identical_outputs_pass_every_bar(tmp_path):
    outputs = _outputs([30, 40], [2, 3], [0, 1])
    for precision in ["fp32", "fp16", "int8", "dynamic_int8"]:
        assert parity_report(TASKS, outputs, outputs, precision)["passed"]
    report = parity_report(TASKS, outputs, outputs, "fp32", bar=0.5)
    assert report["bar"] == 0.5
    path = write_parity(report, str(tmp_path / "m.parity.json"))
    with open(path) as file:
        assert json.load(file) == report
    assert [p.name for p in tmp_path.iterdir()] == ["m.parity.json"]
