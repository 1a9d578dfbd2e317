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


def test_weights_by_name_follow_the_task_order():
    layer = FixedWeighting(["a", "b", "c"],
                           fixed_weights={"c": 3.0, "a": 1.0, "b": 0.0})
    layer.build()
    # 1 * 1 + 0 * 10 + 3 * 100
    losses = np.array([1.0, 10.0, 100.0], "float32")
    assert float(layer(losses)) == pytest.approx(301.0)
    np.testing.assert_allclose(np.asarray(layer.task_weights()),
                               [0.25, 0.0, 0.75])
    restored = FixedWeighting.from_config(layer.get_config())
    assert restored.fixed_weights == {"c": 3.0, "a": 1.0, "b": 0.0}
    assert float(restored(losses)) == pytest.approx(301.0)


def test_weights_by_name_are_checked_when_the_tasks_are_known():
    layer = FixedWeighting(fixed_weights={"age": 1.0, "gendr": 1.0})
    with pytest.raises(ValueError,
                       match=r"missing \['gender'\], unknown \['gendr'\]"):
        layer.bind(["age", "gender"])
    with pytest.raises(ValueError, match=r"missing \['b'\], unknown \[\]"):
        FixedWeighting(["a", "b"], fixed_weights={"a": 1.0})
    with pytest.raises(ValueError, match="non-negative"):
        FixedWeighting(["a"], fixed_weights={"a": -1.0})
    with pytest.raises(ValueError, match="finite"):
        FixedWeighting(["a"], fixed_weights=[float("nan")])
    # A refused binding leaves the layer unbound.
    assert layer.task_names is None
