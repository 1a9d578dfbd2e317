import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_dmtl.losses import ConcordanceLoss
from keras_dmtl.losses import MaskedMeanSquaredError


def ccc(x, y, w=None):
    """Concordance correlation with (weighted) population moments."""
    x, y = np.asarray(x, "float64"), np.asarray(y, "float64")
    w = np.ones_like(x) if w is None else np.asarray(w, "float64")
    mx, my = np.average(x, weights=w), np.average(y, weights=w)
    vx = np.average((x - mx) ** 2, weights=w)
    vy = np.average((y - my) ** 2, weights=w)
    cov = np.average((x - mx) * (y - my), weights=w)
    return 2 * cov / (vx + vy + (mx - my) ** 2)


def annotated_ccc(labels, predictions, k, weights=None):
    keep = ~np.isnan(labels[:, k])
    w = None if weights is None else weights[keep]
    return ccc(labels[keep, k], predictions[keep, k], w)


LABELS = np.array([[0.2, -0.5], [np.nan, 0.1], [0.7, np.nan],
                   [-0.3, 0.4], [0.9, -0.8]], "float32")
PREDICTIONS = np.array([[0.1, -0.2], [0.5, 0.3], [0.4, 0.6],
                        [-0.1, 0.2], [0.6, -0.4]], "float32")


def test_concordance_loss_against_numpy_on_annotated_values():
    expected = 1 - np.mean(
        [annotated_ccc(LABELS, PREDICTIONS, k) for k in range(2)]
    )
    value = float(ConcordanceLoss()(LABELS, PREDICTIONS))
    assert value == pytest.approx(expected, abs=1e-5)


def test_concordance_loss_is_zero_for_perfect_agreement():
    value = ConcordanceLoss()(LABELS, np.nan_to_num(LABELS))
    assert float(value) == pytest.approx(0.0, abs=1e-6)


def test_concordance_penalises_a_shift_that_correlation_ignores():
    x = np.array([[0.0], [1.0], [2.0]], "float32")
    value = float(ConcordanceLoss()(x, x + 1.0))
    # var 2/3 each, mean gap 1: CCC = (4/3) / (4/3 + 1).
    assert value == pytest.approx(1 - (4 / 3) / (7 / 3), 1e-5)


def test_outputs_with_fewer_than_two_values_are_left_out():
    labels = LABELS.copy()
    labels[1:, 1] = np.nan  # output 1 keeps a single value
    expected = 1 - annotated_ccc(labels, PREDICTIONS, 0)
    value = float(ConcordanceLoss()(labels, PREDICTIONS))
    assert value == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize("annotated_rows", [0, 1])
def test_no_qualifying_output_costs_nothing_with_finite_grads(
    annotated_rows,
):
    labels = np.full((4, 2), np.nan, "float32")
    labels[:annotated_rows] = 0.5
    predictions = tf.Variable(np.random.default_rng(0).normal(
        size=(4, 2)).astype("float32"))
    with tf.GradientTape() as tape:
        value = ConcordanceLoss()(labels, predictions)
    gradient = tape.gradient(value, predictions).numpy()
    assert float(value) == 0.0
    assert np.all(np.isfinite(gradient))


def test_gradients_are_finite_with_nan_labels():
    predictions = tf.Variable(PREDICTIONS)
    with tf.GradientTape() as tape:
        value = ConcordanceLoss()(LABELS, predictions)
    gradient = tape.gradient(value, predictions).numpy()
    assert np.all(np.isfinite(gradient))
    # A face whose label is missing for an output gets no gradient there.
    assert gradient[1, 0] == 0.0 and gradient[2, 1] == 0.0
    assert np.abs(gradient).sum() > 0


def test_constant_equal_labels_and_predictions_stay_finite():
    labels = np.full((3, 1), 0.5, "float32")
    predictions = tf.Variable(np.full((3, 1), 0.5, "float32"))
    with tf.GradientTape() as tape:
        value = ConcordanceLoss()(labels, predictions)
    gradient = tape.gradient(value, predictions).numpy()
    assert np.isfinite(float(value)) and np.all(np.isfinite(gradient))


def test_concordance_sample_weights_weigh_the_moments():
    weights = np.array([1.0, 2.0, 0.5, 3.0, 0.0], "float32")
    expected = 1 - np.mean(
        [annotated_ccc(LABELS, PREDICTIONS, k, weights) for k in range(2)]
    )
    value = ConcordanceLoss()(LABELS, PREDICTIONS, sample_weight=weights)
    assert float(value) == pytest.approx(expected, abs=1e-5)


def test_concordance_zero_sample_weights_remove_values():
    # Output 0 keeps faces 2 and 3; output 1 keeps only face 3 and is
    # left out.
    weights = np.array([0.0, 0.0, 2.0, 1.0, 0.0], "float32")
    expected = 1 - annotated_ccc(LABELS, PREDICTIONS, 0, weights)
    value = ConcordanceLoss()(LABELS, PREDICTIONS, sample_weight=weights)
    assert float(value) == pytest.approx(expected, abs=1e-5)


def test_concordance_call_broadcasts_the_batch_value():
    loss = ConcordanceLoss()
    per_face = np.asarray(loss.call(LABELS, PREDICTIONS))
    assert per_face.shape == (5,)
    np.testing.assert_allclose(per_face, float(loss(LABELS, PREDICTIONS)),
                               rtol=1e-6)


def test_concordance_loss_in_a_compiled_model():
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Identity()(inputs))
    model.compile(loss=ConcordanceLoss())
    value = model.evaluate(PREDICTIONS, LABELS, batch_size=5, verbose=0)
    expected = float(ConcordanceLoss()(LABELS, PREDICTIONS))
    assert value == pytest.approx(expected, abs=1e-5)


def test_concordance_serialization_round_trip():
    loss = ConcordanceLoss(name="affect_concordance_loss")
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(loss)
    )
    assert isinstance(restored, ConcordanceLoss)
    assert restored.get_config() == loss.get_config()
    assert restored.name == "affect_concordance_loss"


def test_mse_per_face_over_annotated_values_then_over_faces():
    labels = np.array([[1.0, np.nan, 3.0], [np.nan, 2.0, np.nan],
                       [np.nan, np.nan, np.nan]], "float32")
    predictions = np.array([[0.0, 9.0, 1.0], [5.0, 0.5, 5.0],
                            [7.0, 7.0, 7.0]], "float32")
    face_0 = (1.0 + 4.0) / 2
    face_1 = 1.5 ** 2
    value = float(MaskedMeanSquaredError()(labels, predictions))
    assert value == pytest.approx((face_0 + face_1) / 2, 1e-6)


def test_mse_of_a_batch_with_no_label_is_zero_with_finite_grads():
    predictions = tf.Variable(np.ones((2, 2), "float32"))
    with tf.GradientTape() as tape:
        value = MaskedMeanSquaredError()(
            np.full((2, 2), np.nan, "float32"), predictions
        )
    gradient = tape.gradient(value, predictions).numpy()
    assert float(value) == 0.0
    np.testing.assert_array_equal(gradient, 0.0)


def test_mse_gradients_are_finite_with_nan_labels():
    predictions = tf.Variable(PREDICTIONS)
    with tf.GradientTape() as tape:
        value = MaskedMeanSquaredError()(LABELS, predictions)
    gradient = tape.gradient(value, predictions).numpy()
    assert np.all(np.isfinite(gradient))
    assert gradient[1, 0] == 0.0 and gradient[2, 1] == 0.0


def test_mse_sample_weights_apply_per_face():
    labels = np.array([[1.0, np.nan], [2.0, 2.0], [np.nan, np.nan]],
                      "float32")
    predictions = np.zeros((3, 2), "float32")
    value = MaskedMeanSquaredError()(
        labels, predictions, sample_weight=np.array([2.0, 0.5, 4.0])
    )
    # Two faces with labels: (2 * 1 + 0.5 * 4) / 2.
    assert float(value) == pytest.approx(2.0, 1e-6)


def test_mse_serialization_round_trip():
    loss = MaskedMeanSquaredError(name="affect_mse", reduction="sum")
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(loss)
    )
    assert isinstance(restored, MaskedMeanSquaredError)
    assert restored.get_config() == loss.get_config()
