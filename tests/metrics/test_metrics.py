import numpy as np
import pytest

from keras_dmtl.metrics import MaskedAccuracy
from keras_dmtl.metrics import OrdinalAccuracy
from keras_dmtl.metrics import OrdinalMeanAbsoluteError
from keras_dmtl.metrics import TaskWeight


def test_masked_accuracy_skips_missing_labels():
    metric = MaskedAccuracy()
    metric.update_state(np.array([1, -1, 0]),
                        np.array([[0.1, 0.9], [0.9, 0.1], [0.2, 0.8]]))
    assert float(metric.result()) == pytest.approx(0.5)
    metric.update_state(np.array([0]), np.array([[0.7, 0.3]]))
    assert float(metric.result()) == pytest.approx(2 / 3)
    metric.reset_state()
    assert float(metric.result()) == 0.0


def test_masked_accuracy_adds_class_offsets_before_the_arg_max():
    metric = MaskedAccuracy(class_offsets=[0.0, 0.5])
    # 0.0 + 0.5 > 0.3: class 1, right; 1.0 > 0.0 + 0.5: class 0, right;
    # 0.0 + 0.5 > 0.4: class 1, wrong.
    metric.update_state(np.array([1, 0, 0]),
                        np.array([[0.3, 0.0], [1.0, 0.0], [0.4, 0.0]]))
    assert float(metric.result()) == pytest.approx(2 / 3)
    restored = MaskedAccuracy.from_config(metric.get_config())
    assert restored.class_offsets == [0.0, 0.5]


def test_ordinal_accuracy_against_hand_decoded_ranks():
    metric = OrdinalAccuracy(edges=[1, 2, 3])
    logits = np.array([[1.0, 1.0, -1.0],    # rank 2, label 2: right
                       [1.0, -1.0, -1.0],   # rank 1, label 3: wrong
                       [1.0, 1.0, 1.0]])    # label missing
    metric.update_state(np.array([2, 3, -1]), logits)
    assert float(metric.result()) == pytest.approx(0.5)


def test_ordinal_mae_in_label_units():
    # Ranks are ages 20, 30, 40, 50: the error is in years.
    metric = OrdinalMeanAbsoluteError(edges=[30, 40, 50],
                                      values=[20, 30, 40, 50])
    logits = np.array([[1.0, -1.0, -1.0],   # predicts 30, label 50
                       [1.0, 1.0, 1.0],     # predicts 50, label 50
                       [-1.0, -1.0, -1.0]])  # label missing
    metric.update_state(np.array([50, 50, -1]), logits)
    assert float(metric.result()) == pytest.approx(10.0)


def _logits(probabilities):
    p = np.asarray(probabilities, "float64")
    return np.log(p / (1 - p)).astype("float32")


def test_ordinal_metrics_decode_the_expected_rank():
    # Expected indices 0.9 + 0.8 + 0.45 + 0.4 = 2.55 (nearest rank 3; the
    # count says 2) and 0.9 + 0.6 + 0.4 + 0.1 = 2.0.
    logits = _logits([[0.9, 0.8, 0.45, 0.4], [0.9, 0.6, 0.4, 0.1]])
    labels = np.array([40, 40])
    edges, values = [20, 30, 40, 50], [10, 20, 30, 40, 50]
    accuracy = OrdinalAccuracy(edges=edges, decoding="expected")
    accuracy.update_state(labels, logits)
    assert float(accuracy.result()) == pytest.approx(0.5)
    counted = OrdinalAccuracy(edges=edges)
    counted.update_state(labels, logits)
    assert float(counted.result()) == 0.0
    # 35.5 and 30.0 years against 40: errors 4.5 and 10.
    mae = OrdinalMeanAbsoluteError(edges=edges, values=values,
                                   decoding="expected")
    mae.update_state(labels, logits)
    assert float(mae.result()) == pytest.approx(7.25, abs=1e-4)
    counted = OrdinalMeanAbsoluteError(edges=edges, values=values)
    counted.update_state(labels, logits)
    assert float(counted.result()) == pytest.approx(10.0)


def test_ordinal_metrics_keep_their_decoding_in_config():
    for metric in (OrdinalAccuracy(edges=[1, 2], decoding="expected"),
                   OrdinalMeanAbsoluteError(edges=[1, 2], values=[0, 1, 2],
                                            decoding="expected")):
        config = metric.get_config()
        assert config["decoding"] == "expected"
        assert type(metric).from_config(config).decoding == "expected"
        del config["decoding"]  # saved before the option: counting
        assert type(metric).from_config(config).decoding == "count"
    with pytest.raises(ValueError, match="decoding must be one of"):
        OrdinalAccuracy(edges=[1, 2], decoding="mean")


def test_ordinal_mae_rejects_wrong_number_of_values():
    with pytest.raises(ValueError, match="one per rank"):
        OrdinalMeanAbsoluteError(edges=[1, 2], values=[0, 1])


def test_task_weight_reports_the_last_value():
    metric = TaskWeight(name="age_beta")
    metric.update_state(0.2)
    metric.update_state(0.4)
    assert float(metric.result()) == pytest.approx(0.4)
