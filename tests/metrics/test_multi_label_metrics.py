import math

import keras
import numpy as np
import pytest

from keras_dmtl.metrics import MultiLabelAccuracy
from keras_dmtl.metrics import MultiLabelF1


def logit(p):
    return math.log(p / (1 - p))


# Three labels; -1 is "not annotated". Probabilities are chosen away from
# every threshold used below.
LABELS = np.array([[1, 0, -1],
                   [1, 1, -1],
                   [0, -1, -1],
                   [1, 0, -1],
                   [-1, 1, -1]])
PROBABILITIES = np.array([[0.9, 0.2, 0.9],
                          [0.4, 0.7, 0.1],
                          [0.8, 0.6, 0.9],
                          [0.65, 0.55, 0.2],
                          [0.1, 0.3, 0.7]])
LOGITS = np.vectorize(logit)(PROBABILITIES).astype("float32")


def f1(tp, fp, fn):
    return 2 * tp / (2 * tp + fp + fn)


def test_f1_per_label_from_explicit_counts():
    # Threshold 0.5. Label 0: faces 0-3 annotated; predicted 1, 0, 1, 1
    # for labels 1, 1, 0, 1: tp 2, fp 1, fn 1. Label 1: faces 0, 1, 3, 4;
    # predicted 0, 1, 1, 0 for labels 0, 1, 0, 1: tp 1, fp 1, fn 1.
    # Label 2: never annotated, F1 undefined.
    f1_0, f1_1 = f1(2, 1, 1), f1(1, 1, 1)
    mean = MultiLabelF1(3)
    mean.update_state(LABELS, LOGITS)
    assert float(mean.result()) == pytest.approx((f1_0 + f1_1) / 2, 1e-6)
    for index, expected in [(0, f1_0), (1, f1_1), (2, 0.0)]:
        metric = MultiLabelF1(3, label_index=index, name=f"f1_{index}")
        metric.update_state(LABELS, LOGITS)
        assert float(metric.result()) == pytest.approx(expected, 1e-6)


def test_f1_thresholds_per_label():
    # Label 0 at 0.85: predicted 1, 0, 0, 0: tp 1, fp 0, fn 2.
    # Label 1 at 0.25: predicted 0 (0.2), 1, 1, 1 (0.3): tp 2, fp 1, fn 0.
    metric = MultiLabelF1(3, thresholds=[0.85, 0.25, 0.5])
    metric.update_state(LABELS, LOGITS)
    expected = (f1(1, 0, 2) + f1(2, 1, 0)) / 2
    assert float(metric.result()) == pytest.approx(expected, 1e-6)


def test_f1_threshold_is_inclusive():
    metric = MultiLabelF1(1)
    metric.update_state(np.array([[1]]), np.array([[0.0]], "float32"))
    assert float(metric.result()) == pytest.approx(1.0)


def test_f1_sample_weights_weigh_the_counts():
    weights = np.array([2.0, 1.0, 0.0, 0.5, 3.0])
    # Label 0: tp 2 + 0.5, fp 0 (face 2 has weight 0), fn 1.
    # Label 1: tp 1 (face 1), fp 0.5 (face 3), fn 3 (face 4).
    metric = MultiLabelF1(3)
    metric.update_state(LABELS, LOGITS, sample_weight=weights)
    expected = (f1(2.5, 0.0, 1.0) + f1(1.0, 0.5, 3.0)) / 2
    assert float(metric.result()) == pytest.approx(expected, 1e-6)


def test_f1_is_zero_when_no_label_is_defined():
    metric = MultiLabelF1(2)
    metric.update_state(np.array([[-1, 0], [-1, 0]]),
                        np.array([[3.0, -3.0], [3.0, -3.0]], "float32"))
    # Label 0 is never annotated and label 1 has only true negatives.
    assert float(metric.result()) == 0.0


def test_f1_streams_like_one_call_and_resets():
    one = MultiLabelF1(3, thresholds=[0.3, 0.6, 0.5])
    one.update_state(LABELS, LOGITS, sample_weight=np.arange(1.0, 6.0))
    two = MultiLabelF1(3, thresholds=[0.3, 0.6, 0.5])
    two.update_state(LABELS[:2], LOGITS[:2], sample_weight=[1.0, 2.0])
    two.update_state(LABELS[2:], LOGITS[2:], sample_weight=[3.0, 4.0, 5.0])
    assert float(two.result()) == pytest.approx(float(one.result()), 1e-6)
    two.reset_state()
    assert float(two.result()) == 0.0


def test_f1_rejects_bad_arguments():
    with pytest.raises(ValueError, match="got 0"):
        MultiLabelF1(0)
    with pytest.raises(ValueError, match="3 entries.*got 2"):
        MultiLabelF1(3, thresholds=[0.5, 0.5])
    with pytest.raises(ValueError, match=r"1\.5"):
        MultiLabelF1(2, thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match="got 2"):
        MultiLabelF1(2, label_index=2)


def test_f1_serialization_round_trip():
    metric = MultiLabelF1(3, thresholds=[0.2, 0.5, 0.7], label_index=1,
                          name="f1_smiling")
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(metric)
    )
    assert isinstance(restored, MultiLabelF1)
    assert restored.get_config() == metric.get_config()
    assert restored.name == "f1_smiling"


def test_accuracy_over_annotated_entries():
    # Threshold 0.5. Label 0: right, wrong, wrong, right. Label 1: right,
    # right, wrong, wrong. 4 right of 8 annotated entries.
    metric = MultiLabelAccuracy()
    metric.update_state(LABELS, LOGITS)
    assert float(metric.result()) == pytest.approx(4 / 8)


def test_accuracy_thresholds_per_label():
    # Label 0 at 0.85: predicted 1, 0, 0, 0 for 1, 1, 0, 1: right, wrong,
    # right, wrong. Label 1 at 0.25: predicted 0, 1, 1, 1 for 0, 1, 0, 1:
    # right, right, wrong, right. 5 right of 8.
    metric = MultiLabelAccuracy(thresholds=[0.85, 0.25, 0.5])
    metric.update_state(LABELS, LOGITS)
    assert float(metric.result()) == pytest.approx(5 / 8)


def test_accuracy_sample_weights_apply_per_face():
    weights = np.array([2.0, 1.0, 0.0, 0.5, 3.0])
    # Right entries: face 0 both (2 + 2), face 1 label 1 (1), face 3
    # label 0 (0.5). Weighted entries: 4 + 2 + 0 + 1 + 3 = 10.
    metric = MultiLabelAccuracy()
    metric.update_state(LABELS, LOGITS, sample_weight=weights)
    assert float(metric.result()) == pytest.approx(5.5 / 10)


def test_accuracy_streams_like_one_call_and_resets():
    one = MultiLabelAccuracy()
    one.update_state(LABELS, LOGITS)
    two = MultiLabelAccuracy()
    two.update_state(LABELS[:3], LOGITS[:3])
    two.update_state(LABELS[3:], LOGITS[3:])
    assert float(two.result()) == pytest.approx(float(one.result()))
    two.reset_state()
    assert float(two.result()) == 0.0


def test_accuracy_of_no_annotated_entry_is_zero():
    metric = MultiLabelAccuracy()
    metric.update_state(-np.ones((2, 3)), np.zeros((2, 3), "float32"))
    assert float(metric.result()) == 0.0


def test_accuracy_rejects_bad_thresholds():
    with pytest.raises(ValueError, match=r"-0\.1"):
        MultiLabelAccuracy(thresholds=[-0.1])
    metric = MultiLabelAccuracy(thresholds=[0.5, 0.5])
    with pytest.raises(ValueError, match="2 entries.*3 labels"):
        metric.update_state(LABELS, LOGITS)


def test_accuracy_serialization_round_trip():
    metric = MultiLabelAccuracy(thresholds=[0.2, 0.5, 0.7])
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(metric)
    )
    assert isinstance(restored, MultiLabelAccuracy)
    assert restored.get_config() == metric.get_config()


def test_metrics_and_loss_in_a_compiled_model():
    from keras_dmtl.losses import MultiLabelCrossentropy

    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Identity()(inputs))
    model.compile(
        loss=MultiLabelCrossentropy(),
        metrics=[MultiLabelF1(3), MultiLabelAccuracy(),
                 MultiLabelF1(3, label_index=0, name="f1_0")],
    )
    logs = model.evaluate(LOGITS, LABELS, batch_size=2, verbose=0,
                          return_dict=True)
    assert logs["mean_f1"] == pytest.approx(
        (f1(2, 1, 1) + f1(1, 1, 1)) / 2, 1e-6
    )
    assert logs["f1_0"] == pytest.approx(f1(2, 1, 1), 1e-6)
    assert logs["accuracy"] == pytest.approx(4 / 8)
