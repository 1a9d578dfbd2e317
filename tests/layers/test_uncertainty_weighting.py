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
        ({"task_names": ["a"], "log_variance_bounds": (1, 0)}, "min < max"),
        ({"task_names": ["a"], "initial_log_variance": "last"},
         "number or 'first_loss'"),
    ],
)
def test_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        UncertaintyWeighting(**kwargs)


def test_first_loss_starts_each_log_variance_at_its_optimum():
    layer = UncertaintyWeighting(["a", "b", "c"],
                                 initial_log_variance="first_loss")
    layer.build()
    # Evaluation leaves the log-variances alone.
    layer(np.array([30.0, 0.7, 0.0], "float32"), training=False)
    np.testing.assert_allclose(np.asarray(layer.log_variance), [0, 0, 0])
    # The first training call starts "a" and "b" at log(2 L); "c" has no
    # annotated face (loss 0) and waits for its first loss.
    total = float(layer(np.array([30.0, 0.7, 0.0], "float32"),
                        training=True))
    np.testing.assert_allclose(np.asarray(layer.log_variance),
                               [math.log(60.0), math.log(1.4), 0.0],
                               rtol=1e-6)
    # At the optimum each started task contributes (1 + log(2 L)) / 2.
    assert total == pytest.approx(
        (1 + math.log(60.0)) / 2 + (1 + math.log(1.4)) / 2, rel=1e-5)
    layer.log_variance.assign([1.0, 2.0, 0.0])
    layer(np.array([5.0, 5.0, 0.25], "float32"), training=True)
    # Started tasks keep what the optimizer made of them.
    np.testing.assert_allclose(np.asarray(layer.log_variance),
                               [1.0, 2.0, math.log(0.5)], rtol=1e-6)


def test_first_loss_start_respects_the_bounds():
    layer = UncertaintyWeighting(["a"], log_variance_bounds=(-1.0, 2.0),
                                 initial_log_variance="first_loss")
    layer.build()
    layer(np.array([30.0], "float32"), training=True)
    np.testing.assert_allclose(np.asarray(layer.log_variance), [2.0])


def test_first_loss_start_inside_a_compiled_training_step():
    layer = UncertaintyWeighting(["a", "b"], initial_log_variance="first_loss")
    inputs = keras.Input((2,))
    model = keras.Model(inputs, layer(inputs))
    # The output is the total: minimise it, with a learning rate of zero so
    # that only the start moves the log-variances.
    model.compile(keras.optimizers.SGD(0.0), loss=lambda y, p: p)
    model.fit(np.array([[3.0, 0.5]], "float32"), np.zeros((1,)), epochs=2,
              verbose=0)
    np.testing.assert_allclose(np.asarray(layer.log_variance),
                               [math.log(6.0), 0.0], rtol=1e-6)
