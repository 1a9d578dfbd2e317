import math

import keras
import numpy as np
import pytest

from keras_dmtl.layers import UncertaintyWeighting
from tests.layer_test_case import run_layer_test


def test_layer_behaviour(tmp_path):
    run_layer_test(
        UncertaintyWeighting,
        {"task_names": ["age", "gender", "race"]},
        np.abs(np.random.default_rng(0).normal(size=(4, 3))).astype("float32"),
        expected_output_shape=(4,),
        expected_num_trainable_weights=1,
        tmp_path=tmp_path,
    )


def test_total_and_weights_match_the_closed_form():
    layer = UncertaintyWeighting(["a", "b"])
    layer.build()
    layer.log_variance.assign([0.0, math.log(2.0)])
    total = float(layer(np.array([1.0, 3.0], "float32")))
    # exp(-s) * L + s / 2 summed over tasks.
    assert total == pytest.approx(1.0 + 0.0 + 3.0 / 2 + math.log(2.0) / 2)
    # beta_i = 1 / sum_j sigma_i^2 / sigma_j^2 with sigma^2 = (1, 2).
    np.testing.assert_allclose(
        np.asarray(layer.task_weights()), [1 / (1 + 1 / 2), 1 / (2 + 1)],
        rtol=1e-6,
    )


def test_learns_the_optimum_log_of_twice_the_loss():
    losses = np.array([0.5, 2.0, 8.0], "float32")
    layer = UncertaintyWeighting(["a", "b", "c"])
    layer.build()
    optimizer = keras.optimizers.Adam(0.05)
    import tensorflow as tf

    for _ in range(600):
        with tf.GradientTape() as tape:
            total = layer(list(losses))
        grads = tape.gradient(total, layer.trainable_variables)
        optimizer.apply_gradients(zip(grads, layer.trainable_variables))
    np.testing.assert_allclose(
        np.asarray(layer.log_variance), np.log(2 * losses), atol=0.02
    )


def test_one_task_has_weight_one():
    layer = UncertaintyWeighting(["a"])
    layer.build()
    np.testing.assert_allclose(np.asarray(layer.task_weights()), [1.0])


def test_total_goes_negative_for_small_losses():
    layer = UncertaintyWeighting(["a"])
    layer.build()
    layer.log_variance.assign([math.log(2 * 0.05)])
    assert float(layer(np.array([0.05], "float32"))) < 0


def test_fixed_mode_is_a_weighted_sum_and_learns_nothing():
    layer = UncertaintyWeighting(["a", "b"], mode="fixed",
                                 fixed_weights=[0.25, 0.75])
    layer.build()
    assert float(layer(np.array([2.0, 4.0], "float32"))) == pytest.approx(0.5 + 3.0)
    assert layer.trainable_weights == []
    np.testing.assert_allclose(np.asarray(layer.task_weights()), [0.25, 0.75])


def test_bounds_stop_collapse_when_a_loss_reaches_zero():
    layer = UncertaintyWeighting(["a"], log_variance_bounds=(-2.0, 5.0))
    inputs = keras.Input((1,))
    model = keras.Model(inputs, layer(inputs))
    # Minimising the output with a zero task loss drives s down forever.
    model.compile(keras.optimizers.SGD(1.0), loss=lambda y, p: p)
    model.fit(np.zeros((8, 1)), np.zeros((8,)), epochs=20, verbose=0)
    assert float(np.asarray(layer.log_variance)[0]) == pytest.approx(-2.0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"task_names": []}, "at least one task"),
        ({"task_names": ["a"], "mode": "other"}, "mode must be"),
        ({"task_names": ["a", "b"], "mode": "fixed"}, "one weight per task"),
        ({"task_names": ["a"], "fixed_weights": [1.0]}, "only used in fixed"),
        ({"task_names": ["a"], "log_variance_bounds": (1, 0)}, "min < max"),
        ({"task_names": ["a"], "mode": "fixed", "fixed_weights": [-1.0]},
         "non-negative"),
    ],
)
def test_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        UncertaintyWeighting(**kwargs)
