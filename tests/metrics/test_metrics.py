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


def test_ordinal_mae_rejects_wrong_number_of_values():
    with pytest.raises(ValueError, match="one per rank"):
        OrdinalMeanAbsoluteError(edges=[1, 2], values=[0, 1])


def test_task_weight_reports_the_last_value():
    metric = TaskWeight(name="age_beta")
    metric.update_state(0.2)
    metric.update_state(0.4)
    assert float(metric.result()) == pytest.approx(0.4)
