import numpy as np
import pytest

from keras_dmtl import RegressionTask


def affect(**kwargs):
    return RegressionTask("affect", ["valence", "arousal"], bounds=(-1, 1),
                          **kwargs)


def test_cells_parse_with_nan_for_missing_and_minus_one_valid():
    task = affect()
    label = task.parse_cells({"valence": "-1", "arousal": ""})
    assert label[0] == -1.0 and np.isnan(label[1])
    assert task.label_cells(label) == {"valence": -1.0, "arousal": None}
    with pytest.raises(ValueError, match=r"field valence: 3 is outside "
                                         r"\[-1, 1\]"):
        task.parse_cells({"valence": "3", "arousal": "0"})
    with pytest.raises(ValueError, match="field arousal: 'high' is not"):
        task.parse_cells({"valence": "0", "arousal": "high"})
    with pytest.raises(ValueError, match="outside"):
        task.parse_cells({"valence": "inf", "arousal": "0"})


def test_label_arrays_are_checked():
    task = affect()
    labels = task.as_labels([[0.5, np.nan], [np.nan, np.nan]], 2, "va.csv")
    assert task.annotated(labels).tolist() == [True, False]
    with pytest.raises(ValueError, match="arousal of example 0 is 3.0"):
        task.as_labels([[0.5, 3.0], [0, 0]], 2, "va.csv")


def test_agreement_within_a_justified_tolerance():
    task = affect()
    assert task.tolerance == pytest.approx(0.05)
    reference = {"affect": np.array([[0.1, 0.2], [0.3, 0.4]])}
    outputs = {"affect": np.array([[0.14, 0.2], [0.36, 0.4]])}
    same, rule = task.agreement(reference, outputs)
    assert same.tolist() == [[True, True], [False, True]]
    assert "0.05" in rule


def test_scores_and_chance():
    task = affect()
    labels = np.array([[0.0, 0.5], [0.5, np.nan], [1.0, -0.5]])
    outputs = {"affect": np.array([[0.0, 0.5], [0.5, 0.0], [1.0, -0.5]])}
    scores = task.scores(labels, outputs)
    assert scores["ccc_valence"] == pytest.approx(1.0)
    assert scores["ccc"] == pytest.approx(1.0)
    assert scores["rmse"] == pytest.approx(0.0)
    chance = task.chance_metrics(np.array([[0.0, 0.0], [1.0, 1.0]]),
                                 np.array([[0.5, 0.5], [1.5, np.nan]]))
    assert chance["ccc"] == 0.0
    # Training mean 0.5: errors 0, 0 and 1.
    assert chance["rmse"] == pytest.approx(np.sqrt(1 / 3))
    assert task.skill({"val_affect_ccc": 0.4}, chance) == pytest.approx(0.4)


def test_a_single_output_answer():
    task = affect()
    assert task.output_names() == ["affect"]
    assert task.decode(np.array([[0.25, -0.5]]))[0] == {
        "valence": 0.25, "arousal": -0.5}


@pytest.mark.parametrize("kwargs, message", [
    ({"outputs": []}, "at least 1"),
    ({"outputs": ["v"], "bounds": (1, -1)}, "low < high"),
    ({"outputs": ["v"], "objective": "mae"}, "objective"),
])
def test_rejects_bad_specifications(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RegressionTask("affect", **kwargs)


def test_the_objective_does_not_change_the_labels():
    assert affect(objective="mse").labels_match(affect())
    assert not affect().labels_match(
        RegressionTask("affect", ["valence", "arousal"], bounds=(0, 1)))


def test_a_value_float32_cannot_hold_is_refused_without_bounds():
    task = RegressionTask("score", ["score"])
    assert task.parse_cells({"score": "1e30"})[0] == np.float32(1e30)
    with pytest.raises(ValueError, match="field score: 1e39 is outside"):
        task.parse_cells({"score": "1e39"})
