import math

import numpy as np
import pytest

from keras_dmtl.losses import OrdinalCrossentropy


def softplus(x):
    return math.log1p(math.exp(x))


def test_sum_of_binary_crossentropies_from_plain_labels():
    loss = OrdinalCrossentropy(edges=[1, 2, 3])
    # Label 2: targets "y >= 1", "y >= 2", "y >= 3" are 1, 1, 0.
    logits = np.array([[2.0, -1.0, 0.5]], "float32")
    expected = softplus(-2.0) + softplus(1.0) + softplus(0.5)
    assert float(loss(np.array([2]), logits)) == pytest.approx(expected, 1e-5)


def test_zero_logits_cost_log_two_per_threshold():
    loss = OrdinalCrossentropy(edges=[1, 2, 3])
    value = loss(np.array([0, 3]), np.zeros((2, 3), "float32"))
    assert float(value) == pytest.approx(3 * math.log(2), 1e-5)


def test_missing_labels_are_left_out_of_the_mean():
    loss = OrdinalCrossentropy(edges=[1, 2, 3])
    logits = np.array([[2.0, -1.0, 0.5], [9.0, 9.0, 9.0]], "float32")
    expected = softplus(-2.0) + softplus(1.0) + softplus(0.5)
    value = loss(np.array([2, -1]), logits)
    assert float(value) == pytest.approx(expected, 1e-5)


def test_a_batch_with_no_label_costs_nothing():
    loss = OrdinalCrossentropy(edges=[1, 2])
    assert float(loss(np.array([-1, -1]), np.ones((2, 2), "float32"))) == 0.0


def test_sample_weights_apply_to_annotated_examples():
    loss = OrdinalCrossentropy(edges=[1])
    logits = np.array([[0.0], [0.0], [5.0]], "float32")
    value = loss(np.array([1, 0, -1]), logits,
                 sample_weight=np.array([1.0, 0.0, 1.0]))
    # Only the first example counts, with weight 1, over 2 annotated.
    assert float(value) == pytest.approx(math.log(2) / 2, 1e-5)


def test_labels_shaped_as_a_column_work():
    loss = OrdinalCrossentropy(edges=[1, 2, 3])
    logits = np.zeros((2, 3), "float32")
    a = float(loss(np.array([[1], [2]]), logits))
    b = float(loss(np.array([1, 2]), logits))
    assert a == pytest.approx(b)


def test_config_round_trip():
    loss = OrdinalCrossentropy(edges=[1, 2.5], name="x")
    assert OrdinalCrossentropy.from_config(loss.get_config()).edges == [1, 2.5]
