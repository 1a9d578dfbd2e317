import numpy as np
import pytest

from keras_dmtl.layers import RegressionHead
from tests.layer_test_case import run_layer_test


@pytest.mark.parametrize("bounds", [None, (-1.0, 1.0)])
def test_layer_behaviour(bounds, tmp_path):
    run_layer_test(
        RegressionHead,
        {"num_outputs": 2, "bounds": bounds},
        np.random.default_rng(0).normal(size=(3, 8)).astype("float32"),
        expected_output_shape=(3, 2),
        expected_num_trainable_weights=2,
        tmp_path=tmp_path,
    )


def test_unbounded_head_is_a_dense_layer():
    head = RegressionHead(2)
    x = np.array([[1.0, 2.0]], "float32")
    head.build(x.shape)
    head.dense.kernel.assign([[1.0, -1.0], [0.5, 2.0]])
    head.dense.bias.assign([0.5, -10.0])
    np.testing.assert_allclose(np.asarray(head(x)), [[2.5, -7.0]])


def test_bounded_head_maps_through_a_scaled_sigmoid():
    head = RegressionHead(2, bounds=(0, 10))
    x = np.array([[1.0, 2.0]], "float32")
    head.build(x.shape)
    head.dense.kernel.assign([[1.0, -1.0], [0.5, 2.0]])
    head.dense.bias.assign([0.5, -10.0])
    z = np.array([2.5, -7.0])
    np.testing.assert_allclose(
        np.asarray(head(x))[0], 10 / (1 + np.exp(-z)), rtol=1e-6
    )


def test_bounded_outputs_stay_inside_the_bounds():
    head = RegressionHead(3, bounds=(-1, 1))
    x = np.random.default_rng(1).normal(scale=100, size=(64, 5))
    outputs = np.asarray(head(x.astype("float32")))
    assert np.all(outputs >= -1.0) and np.all(outputs <= 1.0)


@pytest.mark.parametrize("bounds", [(1, 1), (2, -2), (0, 1, 2)])
def test_rejects_bounds_that_are_not_an_ascending_pair(bounds):
    with pytest.raises(ValueError, match="low < high"):
        RegressionHead(1, bounds=bounds)


def test_rejects_no_outputs():
    with pytest.raises(ValueError, match="got 0"):
        RegressionHead(0)


def test_config_keeps_the_bounds():
    head = RegressionHead(2, bounds=(-1, 1), name="affect_head")
    restored = RegressionHead.from_config(head.get_config())
    assert restored.bounds == (-1.0, 1.0)
    assert restored.num_outputs == 2
    assert restored.name == "affect_head"
