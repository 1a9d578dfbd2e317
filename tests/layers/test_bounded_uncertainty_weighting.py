import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_dmtl.layers import BoundedUncertaintyWeighting
from tests.layer_test_case import run_layer_test


def test_layer_behaviour(tmp_path):
    run_layer_test(
        BoundedUncertaintyWeighting,
        {"task_names": ["age", "gender"]},
        np.abs(np.random.default_rng(1).normal(size=(4, 2))).astype("float32"),
        expected_output_shape=(4,),
        expected_num_trainable_weights=1,
        tmp_path=tmp_path,
    )


def test_total_matches_liebel_and_koerner():
    layer = BoundedUncertaintyWeighting(["a", "b"])
    layer.build()
    layer.log_variance.assign([0.3, -0.2])
    total = float(layer(np.array([2.0, 0.5], "float32")))
    # L / (2 sigma^2) + log(1 + sigma^2), sigma^2 = exp(s).
    expected = (2.0 / (2 * math.exp(0.3)) + math.log(1 + math.exp(0.3))
                + 0.5 / (2 * math.exp(-0.2)) + math.log(1 + math.exp(-0.2)))
    assert total == pytest.approx(expected, rel=1e-6)
    np.testing.assert_allclose(
        np.asarray(layer.task_weights()),
        np.exp([-0.3, 0.2]) / np.exp([-0.3, 0.2]).sum(), rtol=1e-6)


def test_never_negative_and_learns_the_closed_form_optimum():
    losses = np.array([0.01, 1.0, 30.0], "float32")
    layer = BoundedUncertaintyWeighting(["a", "b", "c"])
    layer.build()
    optimizer = keras.optimizers.Adam(0.05)
    for _ in range(800):
        with tf.GradientTape() as tape:
            total = layer(list(losses))
        assert float(total) > 0
        grads = tape.gradient(total, layer.trainable_variables)
        optimizer.apply_gradients(zip(grads, layer.trainable_variables))
    sigma2 = (losses + np.sqrt(losses ** 2 + 8 * losses)) / 4
    np.testing.assert_allclose(np.exp(np.asarray(layer.log_variance)),
                               sigma2, rtol=0.03)
    assert sigma2[1] == pytest.approx(1.0)


def test_first_loss_starts_at_the_bounded_optimum():
    layer = BoundedUncertaintyWeighting(["a", "b"],
                                        initial_log_variance="first_loss")
    layer.build()
    layer(np.array([1.0, 30.0], "float32"), training=True)
    np.testing.assert_allclose(
        np.exp(np.asarray(layer.log_variance)),
        [1.0, (30 + math.sqrt(900 + 240)) / 4], rtol=1e-5)
