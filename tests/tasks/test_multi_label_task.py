import numpy as np
import pytest

from keras_dmtl import MultiLabelTask


def aus():
    return MultiLabelTask("aus", ["AU1", "AU4", "AU12"])


def test_cells_parse_to_a_label_vector_with_unannotated_entries():
    task = aus()
    assert task.label_columns() == ["AU1", "AU4", "AU12"]
    label = task.parse_cells({"AU1": "1", "AU4": "", "AU12": "0.0"})
    np.testing.assert_array_equal(label, [1, -1, 0])
    assert task.label_cells(label) == {"AU1": 1, "AU4": None, "AU12": 0}
    with pytest.raises(ValueError, match="field AU4: '2' is not 1, 0"):
        task.parse_cells({"AU1": "1", "AU4": "2", "AU12": "0"})


def test_label_arrays_are_checked():
    task = aus()
    labels = task.as_labels([[1, 0, -1], [0, 0, 1]], 2, where="ck.csv")
    assert labels.dtype == np.int32
    assert task.annotated(np.array([[-1, -1, -1], [-1, 1, -1]])).tolist() \
        == [False, True]
    with pytest.raises(ValueError, match=r"ck.csv: .*AU4 of example 1 is 3"):
        task.as_labels([[1, 0, 0], [0, 3, 0]], 2, where="ck.csv")
    with pytest.raises(ValueError, match=r"shape \(2, 2\).*expects \(2, 3\)"):
        task.as_labels([[1, 0], [0, 1]], 2, where="ck.csv")


def test_answer_lists_the_labels_over_their_thresholds():
    task = MultiLabelTask("aus", ["AU1", "AU4", "AU12"],
                          thresholds=[0.5, 0.9, 0.2])
    # Probabilities 0.62, 0.73, 0.27.
    raw = np.log(np.array([[0.62 / 0.38, 0.73 / 0.27, 0.27 / 0.73]]))
    answer = task.decode(raw)[0]
    assert answer["active"] == ["AU1", "AU12"]
    assert answer["probabilities"]["AU4"] == pytest.approx(0.73)


def test_thresholds_chosen_on_validation_data_maximise_f1():
    task = aus()
    labels = np.array([[1, 0, -1], [1, 0, 0], [0, 1, 0], [0, 0, 0]])
    probabilities = np.array([[0.3, 0.1, 0.9], [0.35, 0.2, 0.1],
                              [0.1, 0.8, 0.2], [0.2, 0.6, 0.1]])
    chosen = task.choose_thresholds(labels, probabilities)
    # AU1: positives at 0.3 and 0.35, negatives at 0.1 and 0.2.
    assert 0.2 < chosen[0] <= 0.3
    # AU4: the positive at 0.8 above the negative at 0.6.
    assert 0.6 < chosen[1] <= 0.8
    # AU12 has no annotated positive: it keeps its threshold.
    assert chosen[2] == 0.5
    assert task.get_config()["thresholds"] == chosen


def test_chance_is_the_f1_of_guessing_with_the_label_prior():
    task = MultiLabelTask("aus", ["AU1", "AU2"])
    train = np.array([[1, 0], [0, 0], [1, -1], [0, 1]])
    test = np.array([[1, 0], [0, 1]])
    chance = task.chance_metrics(train, test)
    # AU1: p = 0.5, q = 0.5 -> F1 0.5; AU2: p = 1/3, q = 0.5 -> 0.4.
    assert chance["mean_f1"] == pytest.approx((0.5 + 0.4) / 2)
    # Majorities: AU1 tie -> present, AU2 absent: 2 of 4 entries right.
    assert chance["accuracy"] == pytest.approx(0.5)
    metrics = {"val_aus_mean_f1": 0.9}
    assert task.skill(metrics, {"aus_mean_f1": 0.45}) == pytest.approx(
        (0.9 - 0.45) / 0.55)


def test_scores_count_only_annotated_entries():
    task = aus()
    labels = np.array([[1, 0, -1], [1, 1, -1], [0, 0, -1]])
    outputs = {"aus": np.array([[1, 0, 1], [0, 1, 1], [1, 0, 1]])}
    scores = task.scores(labels, outputs)
    # AU1: tp 1, fn 1, fp 1 -> F1 0.5; AU4: tp 1 -> 1.0; AU12 unannotated.
    assert scores["mean_f1"] == pytest.approx(0.75)
    assert scores["accuracy"] == pytest.approx(4 / 6)


def test_balanced_positive_weights():
    labels = np.array([[1, 0], [0, 0], [0, -1], [0, 0]])
    assert MultiLabelTask.balanced_positive_weights(labels) == [3.0, 3.0]


@pytest.mark.parametrize("kwargs, message", [
    ({"labels": []}, "at least 1"),
    ({"labels": ["a", "a"]}, "repeated"),
    ({"labels": ["a"], "thresholds": [1.0]}, r"\(0, 1\)"),
    ({"labels": ["a", "b"], "thresholds": [0.5]}, "1 thresholds for 2"),
    ({"labels": ["a"], "positive_weights": [0]}, "positive"),
])
def test_rejects_bad_specifications(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MultiLabelTask("aus", **kwargs)


def test_calibrated_thresholds_still_read_the_same_labels():
    """A model whose thresholds were tuned evaluates on the reader's task."""
    calibrated = MultiLabelTask("aus", ["AU1", "AU4", "AU12"],
                                thresholds=[0.3, 0.6, 0.5])
    assert calibrated != aus()
    assert calibrated.labels_match(aus())
    assert not calibrated.labels_match(MultiLabelTask("aus", ["AU1", "AU4"]))


def test_the_calibration_note_names_thresholds_only_when_tuned():
    assert aus().calibration_note() is None
    tuned = MultiLabelTask("aus", ["AU1", "AU4", "AU12"],
                           thresholds=[0.3, 0.5, 0.72])
    assert tuned.calibration_note() == (
        "aus decides with thresholds (AU1 0.30, AU4 0.50, AU12 0.72)")


def test_a_strength_is_refused_before_any_answer_is_read():
    assert aus().calibration_reads_answers()
    with pytest.raises(ValueError, match="chooses its label thresholds"):
        aus().calibration_reads_answers({"strength": 1.0})
