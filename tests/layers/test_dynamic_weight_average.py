import math

import numpy as np
import pytest

from keras_dmtl.layers import DynamicWeightAverage
from tests.layer_test_case import run_layer_test


def test_layer_behaviour(tmp_path):
    run_layer_test(
        DynamicWeightAverage,
        {"task_names": ["a", "b"], "temperature": 1.5},
        np.abs(np.random.default_rng(3).normal(size=(4, 2))).astype("float32"),
        expected_output_shape=(4,),
        expected_num_trainable_weights=0,
        tmp_path=tmp_path,
    )


def run_epoch(layer, batches):
    totals = [float(layer(np.array(b, "float32"), training=True))
              for b in batches]
    layer.end_epoch()
    return totals


def test_weights_follow_the_ratio_of_the_last_two_epochs():
    layer = DynamicWeightAverage(["a", "b"], temperature=2.0)
    layer.build()
    # Epochs 1 and 2: weights 1.
    assert run_epoch(layer, [[4.0, 1.0], [2.0, 1.0]]) == pytest.approx(
        [5.0, 3.0])
    run_epoch(layer, [[1.5, 1.0], [1.5, 0.0]])  # "b" unlabelled once
    # Means: a 3 then 1.5 (ratio 0.5); b 1 then 1 (ratio 1).
    wa = 2 * math.exp(0.5 / 2) / (math.exp(0.5 / 2) + math.exp(1.0 / 2))
    wb = 2 - wa
    np.testing.assert_allclose(np.asarray(layer.task_weights()),
                               [wa / 2, wb / 2], rtol=1e-6)
    total = float(layer(np.array([2.0, 3.0], "float32"), training=True))
    assert total == pytest.approx(wa * 2.0 + wb * 3.0, rel=1e-6)
    # Evaluation does not count toward the epoch.
    layer(np.array([100.0, 100.0], "float32"), training=False)
    layer.end_epoch()
    np.testing.assert_allclose(np.asarray(layer.previous_means),
                               [[1.5, 1.0], [2.0, 3.0]])


def test_a_task_absent_for_a_whole_epoch_keeps_its_last_mean():
    layer = DynamicWeightAverage(["a", "b"])
    layer.build()
    run_epoch(layer, [[1.0, 2.0]])
    run_epoch(layer, [[1.0, 0.0]])
    np.testing.assert_allclose(np.asarray(layer.previous_means),
                               [[1.0, 2.0], [1.0, 2.0]])


def test_rejects_a_non_positive_temperature():
    with pytest.raises(ValueError, match="temperature must be positive"):
        DynamicWeightAverage(["a"], temperature=0)
