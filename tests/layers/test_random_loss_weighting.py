import numpy as np
import pytest

from keras_dmtl.layers import RandomLossWeighting
from tests.layer_test_case import run_layer_test


def test_layer_behaviour(tmp_path):
    run_layer_test(
        RandomLossWeighting,
        {"task_names": ["a", "b", "c"], "seed": 4},
        np.abs(np.random.default_rng(4).normal(size=(4, 3))).astype("float32"),
        expected_output_shape=(4,),
        expected_num_trainable_weights=0,
        tmp_path=tmp_path,
    )


def test_each_training_step_draws_softmax_weights():
    layer = RandomLossWeighting(["a", "b", "c"], seed=1)
    layer.build()
    losses = np.array([1.0, 2.0, 4.0], "float32")
    drawn = []
    for _ in range(3):
        total = float(layer(losses, training=True))
        weights = np.asarray(layer.task_weights())
        assert weights.sum() == pytest.approx(1.0, rel=1e-6)
        assert (weights > 0).all()
        assert total == pytest.approx(float(weights @ losses), rel=1e-6)
        drawn.append(weights)
    assert not np.allclose(drawn[0], drawn[1])
    # Evaluation weighs every task 1/K.
    assert float(layer(losses, training=False)) == pytest.approx(7.0 / 3)


def test_the_same_seed_draws_the_same_sequence():
    def sequence():
        layer = RandomLossWeighting(["a", "b"], seed=7)
        layer.build()
        out = []
        for _ in range(3):
            layer(np.ones(2, "float32"), training=True)
            out.append(np.asarray(layer.task_weights()))
        return np.array(out)

    np.testing.assert_allclose(sequence(), sequence())
