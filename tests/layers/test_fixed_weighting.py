import numpy as np
import pytest

from keras_dmtl.layers import FixedWeighting
from tests.layer_test_case import run_layer_test


def test_layer_behaviour(tmp_path):
    run_layer_test(
        FixedWeighting,
        {"task_names": ["a", "b"], "fixed_weights": [0.25, 0.75]},
        np.abs(np.random.default_rng(2).normal(size=(4, 2))).astype("float32"),
        expected_output_shape=(4,),
        expected_num_trainable_weights=0,
        tmp_path=tmp_path,
    )


def test_a_weighted_sum_that_learns_nothing():
    layer = FixedWeighting(["a", "b"], fixed_weights=[0.5, 1.5])
    layer.build()
    assert float(layer(np.array([2.0, 4.0], "float32"))) == pytest.approx(7.0)
    assert layer.trainable_weights == []
    np.testing.assert_allclose(np.asarray(layer.task_weights()), [0.25, 0.75])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"task_names": ["a", "b"]}, "one weight per task"),
        ({"task_names": ["a", "b"], "fixed_weights": [1.0]},
         "one weight per task"),
        ({"task_names": ["a"], "fixed_weights": [-1.0]}, "non-negative"),
        ({"task_names": [], "fixed_weights": []}, "at least one task"),
    ],
)
def test_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FixedWeighting(**kwargs)
