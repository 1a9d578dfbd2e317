import keras
import numpy as np
import pytest

from keras_dmtl.layers import OrdinalHead
from keras_dmtl.layers import ordinal_rank
from tests.layer_test_case import run_layer_test


@pytest.mark.parametrize("rank_consistent", [False, True])
def test_layer_behaviour(rank_consistent, tmp_path):
    run_layer_test(
        OrdinalHead,
        {"num_ranks": 5, "rank_consistent": rank_consistent},
        np.random.default_rng(0).normal(size=(3, 8)).astype("float32"),
        expected_output_shape=(3, 4),
        expected_num_trainable_weights=2,
        tmp_path=tmp_path,
    )


def test_decoding_counts_thresholds_above_one_half():
    # sigmoid > 0.5 for the first two thresholds: p = 1 + 2, index 2.
    logits = np.array([[2.0, 0.5, -1.0, -3.0], [-1.0, -2.0, -3.0, -4.0],
                       [1.0, 1.0, 1.0, 1.0]])
    np.testing.assert_array_equal(np.asarray(ordinal_rank(logits)), [2, 0, 4])


@pytest.mark.parametrize("decoding", ["count", "expected"])
def test_keras_decoding_is_the_tasks_numpy_decoding(decoding):
    """The metrics' decoding (Keras ops) and the answers' (NumPy) agree."""
    from keras_dmtl import OrdinalTask
    from keras_dmtl.layers import ordinal_value

    task = OrdinalTask("stage", ranks=[0, 2, 6, 13, 20, 40],
                       decoding=decoding)
    logits = np.random.default_rng(0).normal(0, 3, (64, 5)).astype("float32")
    outputs = task.numpy_outputs(logits)
    np.testing.assert_allclose(
        np.asarray(ordinal_value(logits, task.values, decoding)),
        outputs["stage"], atol=1e-5)
    np.testing.assert_array_equal(
        np.asarray(ordinal_rank(logits, decoding)), task.output_index(outputs))


def test_independent_head_is_a_dense_layer_per_threshold():
    head = OrdinalHead(num_ranks=4)
    x = np.array([[1.0, 2.0]], "float32")
    head.build(x.shape)
    head.kernel.assign([[1.0, 0.0, -1.0], [0.5, 1.0, 0.0]])
    head.bias.assign([0.0, -1.0, 0.5])
    np.testing.assert_allclose(np.asarray(head(x)), [[2.0, 1.0, -0.5]])


def test_rank_consistent_head_shares_weights_and_stays_monotone():
    head = OrdinalHead(num_ranks=10, rank_consistent=True)
    x = np.random.default_rng(1).normal(size=(16, 6)).astype("float32")
    logits = np.asarray(head(x))
    assert tuple(head.kernel.shape) == (6, 1)
    # The same score minus ordered biases: non-increasing along thresholds.
    assert np.all(np.diff(logits, axis=-1) <= 1e-6)
    np.testing.assert_allclose(
        logits[:, 0] - logits[:, 1], logits[0, 0] - logits[0, 1], rtol=1e-5
    )


def test_rejects_fewer_than_two_ranks():
    with pytest.raises(ValueError, match="at least 2"):
        OrdinalHead(num_ranks=1)


def test_trains_to_decode_ranks():
    # Labels are a linear function of the features: a head must fit them.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(512, 4)).astype("float32")
    y = np.clip(np.round(2 + x[:, 0] * 1.5), 0, 4)
    inputs = keras.Input((4,))
    model = keras.Model(inputs, OrdinalHead(5)(inputs))
    from keras_dmtl.losses import OrdinalCrossentropy

    model.compile(keras.optimizers.Adam(0.05),
                  loss=OrdinalCrossentropy(edges=[1, 2, 3, 4]))
    model.fit(x, y, epochs=30, batch_size=64, verbose=0)
    predicted = np.asarray(ordinal_rank(model.predict(x, verbose=0)))
    assert np.mean(predicted == y) > 0.85
