import keras
import numpy as np
import tensorflow as tf

from keras_dmtl.coupling import SoftCoAnnotation
from tests.coupling import hand


def test_matches_the_loss_computed_by_hand():
    coupling = SoftCoAnnotation(hand.table(), label_smoothing=0.1)
    labels = {
        # face 0: expression only; face 1: AUs only (AU6 unannotated);
        # face 2: both, which contributes nothing.
        "expression": np.array([1, -1, 0]),
        "aus": np.array([[-1, -1, -1], [1, -1, 0], [0, 1, 1]]),
    }
    value = coupling(labels, hand.OUTPUTS)
    p = hand.sigmoid(hand.OUTPUTS["aus"])
    face0 = hand.bce(hand.MATRIX[1], p[0]).mean()
    present = np.array([[0.9, p[1, 1], 0.1]])
    q = hand.implied_expression(present)[0]
    face1 = -(q * np.log(hand.softmax(hand.OUTPUTS["expression"][1]))).sum()
    np.testing.assert_allclose(float(value), (face0 + face1) / 2, rtol=1e-5)


def test_a_batch_without_any_single_labelled_face_gives_zero():
    coupling = SoftCoAnnotation(hand.table())
    labels = {"expression": np.array([-1, 0, -1]),
              "aus": np.array([[-1, -1, -1], [1, 0, 1], [-1, -1, -1]])}
    outputs = {k: tf.Variable(v) for k, v in hand.OUTPUTS.items()}
    with tf.GradientTape() as tape:
        value = coupling(labels, outputs)
    grads = tape.gradient(value, list(outputs.values()))
    assert float(value) == 0.0
    for grad in grads:
        assert grad is None or np.all(np.isfinite(grad.numpy()))
        assert grad is None or not np.any(grad.numpy())


def test_a_batch_without_au_labels_uses_the_table_rows():
    coupling = SoftCoAnnotation(hand.table())
    labels = {"expression": np.array([0, 2, -1]),
              "aus": np.full((3, 3), -1)}
    value = coupling(labels, hand.OUTPUTS)
    p = hand.sigmoid(hand.OUTPUTS["aus"])
    expected = (hand.bce(hand.MATRIX[0], p[0]).mean()
                + hand.bce(hand.MATRIX[2], p[1]).mean()) / 2
    np.testing.assert_allclose(float(value), expected, rtol=1e-5)


def test_config_round_trip():
    coupling = SoftCoAnnotation(hand.table(), label_smoothing=0.2,
                                name="co")
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(coupling))
    assert restored.get_config() == coupling.get_config()
