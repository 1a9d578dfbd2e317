import json

import numpy as np
import pytest

from keras_dmtl.export import parity_report
from keras_dmtl.export.parity import difference_text
from keras_dmtl.export.parity import failure_message
from keras_dmtl.export.parity import write_parity
from keras_dmtl.tasks import MultiLabelTask
from keras_dmtl.tasks import NominalTask
from keras_dmtl.tasks import OrdinalTask
from keras_dmtl.tasks import RegressionTask

TASKS = [
    OrdinalTask("age", ranks=range(0, 117)),
    OrdinalTask("group", cut_points=[10, 20, 30]),
    NominalTask("gender", ["male", "female"]),
]


def _outputs(age, group, gender, shift=0.0):
    n = len(age)
    return {
        "age": np.asarray(age, "float32"),
        "age_probabilities": np.full((n, 116), 0.5) + shift,
        "group": np.asarray(group, "float32"),
        "group_probabilities": np.full((n, 3), 0.5),
        "gender": np.asarray(gender, "int32"),
        "gender_probabilities": np.full((n, 2), 0.5),
    }


@pytest.mark.parametrize("tasks", [
    TASKS, [task.describe() for task in TASKS]], ids=["tasks", "entries"])
def test_age_within_a_year_agrees_but_groups_and_classes_must_match(tasks):
    reference = _outputs([30, 30, 30, 30], [2, 2, 2, 2], [0, 1, 0, 1])
    artifact = _outputs([31, 29, 32, 30], [2, 3, 2, 2], [0, 1, 1, 1],
                        shift=0.01)
    report = parity_report(tasks, reference, artifact, "int8")
    assert report["tasks"]["age"]["agreement"] == 0.75
    assert report["tasks"]["age"]["disagreements"] == 1
    assert report["tasks"]["age"]["rule"].startswith("answer within 1 rank")
    assert report["tasks"]["group"]["agreement"] == 0.75
    assert report["tasks"]["group"]["rule"] == "same group"
    assert report["tasks"]["gender"]["agreement"] == 0.75
    assert report["tasks"]["gender"]["rule"] == "same class"
    np.testing.assert_allclose(
        report["tasks"]["age"]["max_probability_difference"], 0.01)
    assert report["bar"] == 0.98 and not report["passed"]
    message = failure_message(report, "model_int8.tflite")
    assert "age: 75.00% agreement (1 of 4 images differ" in message
    assert "max probability difference 0.01)" in message
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


def test_multi_label_and_regression_tasks_are_judged_by_the_worst_label():
    aus = MultiLabelTask("aus", labels=["AU1", "AU2", "AU12"])
    affect = RegressionTask("affect", outputs=["valence", "arousal"],
                            bounds=(-1, 1))
    reference = {
        "aus": np.zeros((10, 3), "int32"),
        "aus_probabilities": np.full((10, 3), 0.2),
        "affect": np.zeros((10, 2), "float32"),
    }
    artifact = {key: value.copy() for key, value in reference.items()}
    artifact["aus"][0, 0] = 1  # AU1: 9 of 10
    artifact["aus"][:2, 2] = 1  # AU12: 8 of 10, the worst
    artifact["aus"][0, 1] = 1  # AU2: 9 of 10, the same image as AU1
    artifact["aus_probabilities"][0, 0] = 0.7
    artifact["affect"][:, 0] = 0.04  # valence within 0.05: agrees
    artifact["affect"][0, 1] = 0.3  # arousal: 9 of 10
    report = parity_report([aus, affect], reference, artifact, "fp16")
    au = report["tasks"]["aus"]
    assert au["per_label"] == {"AU1": 0.9, "AU2": 0.9, "AU12": 0.8}
    assert au["worst_label"] == "AU12"
    assert au["agreement"] == 0.8 and au["disagreements"] == 2
    assert au["images_with_a_difference"] == 2
    assert au["rule"] == "same decision, label by label"
    np.testing.assert_allclose(au["max_probability_difference"], 0.5)
    values = report["tasks"]["affect"]
    assert values["per_label"] == {"valence": 1.0, "arousal": 0.9}
    assert values["worst_label"] == "arousal" and values["agreement"] == 0.9
    assert values["rule"] == "each value within 0.05"
    assert "max_probability_difference" not in values
    np.testing.assert_allclose(values["max_value_difference"], 0.3,
                               rtol=1e-6)
    np.testing.assert_allclose(values["mean_value_difference"],
                               (10 * 0.04 + 0.3) / 20, rtol=1e-6)
    assert difference_text(values) == "max value difference 0.3"
    assert not report["passed"]
    message = failure_message(report, "model_fp16.tflite")
    assert ("aus: 80.00% agreement on AU12 (2 of 10 images differ, max "
            "probability difference 0.5)") in message
    assert ("affect: 90.00% agreement on arousal (1 of 10 images differ, max "
            "value difference 0.3)") in message
    assert parity_report([aus, affect], reference, artifact, "fp16",
                         bar=0.8)["passed"]
