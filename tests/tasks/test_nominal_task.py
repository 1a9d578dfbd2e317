"""Class offsets of a nominal task: decoding, serving graph, calibration."""

import numpy as np
import pytest

from keras_dmtl import NominalTask

RACES = ["white", "black", "other"]


def _softmax(logits):
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def test_offsets_move_the_answer_and_its_probabilities():
    race = NominalTask("race", RACES, class_offsets=[0.0, 0.0, 1.2])
    logits = np.array([[1.0, 0.5, 0.0], [3.0, 0.0, 0.0]], "float32")
    outputs = race.numpy_outputs(logits)
    # 1.0 < 0.0 + 1.2 for the first face; 3.0 > 1.2 for the second.
    np.testing.assert_array_equal(outputs["race"], [2, 0])
    np.testing.assert_allclose(outputs["race_probabilities"],
                               _softmax(np.array([[1.0, 0.5, 1.2],
                                                  [3.0, 0.0, 1.2]])),
                               rtol=1e-6)
    plain = NominalTask("race", RACES)
    np.testing.assert_array_equal(plain.numpy_outputs(logits)["race"],
                                  [0, 0])


def test_the_serving_graph_applies_the_same_offsets():
    import tensorflow as tf

    race = NominalTask("race", RACES, class_offsets=[0.3, -0.2, 1.1])
    logits = np.random.default_rng(1).normal(size=(64, 3)).astype("float32")
    expected = race.numpy_outputs(logits)
    graph = race.graph_outputs(tf.constant(logits))
    np.testing.assert_array_equal(graph["race"].numpy(), expected["race"])
    np.testing.assert_allclose(graph["race_probabilities"].numpy(),
                               expected["race_probabilities"], atol=1e-6)


def test_grad_cam_and_the_accuracy_metric_follow_the_offsets():
    race = NominalTask("race", RACES, class_offsets=[0.0, 0.0, 1.2])
    logits = np.array([[1.0, 0.5, 0.0]], "float32")
    # The adjusted winner is "other", 0.0 + 1.2.
    assert float(race.gradcam_score(logits)[0]) == pytest.approx(1.2)
    accuracy = race.metrics()[0]
    accuracy.update_state(np.array([2]), logits)
    assert float(accuracy.result()) == 1.0
    assert NominalTask("race", RACES).get_config() == {
        "name": "race", "classes": RACES}  # what older releases read


def test_offsets_are_saved_and_do_not_change_what_labels_mean():
    race = NominalTask("race", RACES, class_offsets=[0.0, 0.5, 1.0])
    restored = NominalTask.from_config(race.get_config())
    assert restored == race
    assert restored.class_offsets == [0.0, 0.5, 1.0]
    assert race != NominalTask("race", RACES)
    assert race.labels_match(NominalTask("race", RACES))
    assert not race.labels_match(NominalTask("race", ["a", "b", "c"]))
    with pytest.raises(ValueError, match="class_offsets must be 3 finite"):
        NominalTask("race", RACES, class_offsets=[0.0, 1.0])
    with pytest.raises(ValueError, match="class_offsets must be 3 finite"):
        NominalTask("race", RACES, class_offsets=[0.0, 1.0, np.nan])


def _held_out():
    """8 + 8 faces of the common classes, 2 of the rare one.

    Priors with each count plus one: 9/21, 9/21, 3/21, so the rare class's
    logit gains tau * log(3) over the others. Its faces are 0.5/0.2/0.3,
    which flip to it once tau * log(3) > log(0.5 / 0.3), at tau > 0.465;
    the first class's faces (0.6/0.3/0.1) would flip only past tau = 1.63.
    """
    labels = np.array([0] * 8 + [1] * 8 + [2] * 2 + [-1])
    probabilities = np.array([[0.6, 0.3, 0.1]] * 8 + [[0.2, 0.7, 0.1]] * 8
                             + [[0.5, 0.2, 0.3]] * 2 + [[0.0, 0.0, 1.0]])
    return labels, probabilities


def test_choose_offsets_picks_the_smallest_strength_with_the_best_macro_f1():
    race = NominalTask("race", RACES)
    labels, probabilities = _held_out()
    chosen = race.choose_offsets(labels, probabilities)
    assert chosen["strength"] == pytest.approx(0.5)
    assert chosen["macro_f1"] == pytest.approx(1.0)
    prior = np.array([9, 9, 3]) / 21
    np.testing.assert_allclose(race.class_offsets, -0.5 * np.log(prior))
    by_strength = {row["strength"]: row for row in chosen["by_strength"]}
    # Untouched: the rare class is never predicted; F1 0.889, 1, 0.
    assert by_strength[0.0]["min_recall"] == 0.0
    assert by_strength[0.0]["macro_f1"] == pytest.approx((16 / 18 + 1) / 3)
    assert by_strength[0.4]["accuracy"] == pytest.approx(16 / 18)
    assert race.predict_index(np.log(probabilities[16:18])).tolist() == [2, 2]


def test_calibrate_reads_answers_given_with_offsets_already_set():
    labels, probabilities = _held_out()
    race = NominalTask("race", RACES, class_offsets=[0.7, -0.3, 2.0])
    outputs = race.numpy_outputs(np.log(probabilities + 1e-9))
    changed = race.calibrate(labels, outputs)
    assert changed["strength"] == pytest.approx(0.5)
    assert set(changed["offsets"]) == set(RACES)
    # Where tau = 0 is best, the offsets are removed.
    balanced = np.array([0, 1, 2])
    race.calibrate(balanced, race.numpy_outputs(np.eye(3) * 5))
    assert race.class_offsets is None


def test_a_least_recall_keeps_the_most_accurate_strength_that_reaches_it():
    labels, probabilities = _held_out()
    race = NominalTask("race", RACES)
    chosen = race.choose_offsets(labels, probabilities, min_recall=0.0)
    assert chosen["strength"] == pytest.approx(0.5)
    assert chosen["accuracy"] == 1.0 and chosen["reached"]
    # No strength reaches it: the largest smallest recall, said so.
    race = NominalTask("race", RACES)
    chosen = race.choose_offsets(labels, probabilities, min_recall=1.01)
    assert chosen["strength"] == pytest.approx(0.5)
    assert chosen["min_recall"] == 1.0 and not chosen["reached"]
    changed = race.calibrate(labels, race.numpy_outputs(
        np.log(probabilities + 1e-9)), {"min_recall": 0.5})
    assert changed["reached"] is True
    assert changed["strength"] == pytest.approx(0.5)


def test_a_given_strength_takes_the_prior_from_the_labels_alone():
    # 6 white, 3 black, 0 other (+1 each): prior 7/12, 4/12, 1/12.
    labels = np.array([0] * 6 + [1] * 3 + [-1])
    race = NominalTask("race", RACES)
    assert race.calibration_reads_answers({"min_recall": 0.3})
    assert not race.calibration_reads_answers({"strength": 1.0})
    changed = race.calibrate(labels, None, {"strength": 1.0})
    np.testing.assert_allclose(race.class_offsets,
                               [np.log(12 / 7), np.log(3), np.log(12)])
    assert changed["counts"] == {"white": 6, "black": 3, "other": 0}
    assert changed["offsets"]["other"] == pytest.approx(np.log(12), 1e-4)
    # Logits 1.8, 1, 0: white as trained; with the offsets "other"
    # (0 + 2.485) beats white (1.8 + 0.539) and black (1 + 1.099).
    answer = race.numpy_outputs(np.array([[1.8, 1.0, 0.0]], "float32"))
    assert answer["race"].tolist() == [2]
    race.calibrate(labels, None, {"strength": 0.5})
    np.testing.assert_allclose(race.class_offsets,
                               0.5 * np.array([np.log(12 / 7), np.log(3),
                                               np.log(12)]))
    assert race.calibration_note() == (
        "race adds class offsets to its logits (white +0.269, black +0.549, "
        "other +1.242)")
    race.calibrate(labels, None, {"strength": 0})
    assert race.class_offsets is None
    assert race.calibration_note() is None
    for options, message in (({"strength": -1}, "at least 0"),
                             ({"strength": 1, "min_recall": 0.3},
                              "exclude each other")):
        with pytest.raises(ValueError, match=message):
            race.calibrate(labels, None, options)
    with pytest.raises(ValueError, match="no labelled faces"):
        race.calibrate(np.array([-1, -1]), None, {"strength": 1})
