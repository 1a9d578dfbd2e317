import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_dmtl.losses import MultiLabelCrossentropy


def bce(label, logit, positive_weight=1.0):
    """Binary cross-entropy from a logit, by formula."""
    p = 1.0 / (1.0 + math.exp(-logit))
    if label == 1:
        return -positive_weight * math.log(p)
    return -math.log(1.0 - p)


def test_mean_over_labels_then_over_faces():
    loss = MultiLabelCrossentropy()
    labels = np.array([[1, 0, 1], [0, 0, 1]])
    logits = np.array([[2.0, -1.0, 0.5], [1.5, -3.0, -0.5]], "float32")
    faces = [np.mean([bce(t, z) for t, z in zip(row, zs)])
             for row, zs in zip(labels, logits)]
    assert float(loss(labels, logits)) == pytest.approx(np.mean(faces), 1e-5)


def test_per_label_masks_average_over_annotated_labels_only():
    loss = MultiLabelCrossentropy()
    # Face 0 codes labels 0 and 2, face 1 only label 1, face 2 none.
    labels = np.array([[1, -1, 0], [-1, 1, -1], [-1, -1, -1]])
    logits = np.array([[2.0, 9.0, 0.5], [9.0, -1.0, -9.0],
                       [5.0, 5.0, 5.0]], "float32")
    face_0 = (bce(1, 2.0) + bce(0, 0.5)) / 2
    face_1 = bce(1, -1.0)
    expected = (face_0 + face_1) / 2
    assert float(loss(labels, logits)) == pytest.approx(expected, 1e-5)


def test_positive_weights_multiply_the_positive_term():
    loss = MultiLabelCrossentropy(positive_weights=[3.0, 0.5])
    labels = np.array([[1, 0], [0, 1]])
    logits = np.array([[0.3, 1.2], [-0.7, -2.0]], "float32")
    face_0 = (bce(1, 0.3, 3.0) + bce(0, 1.2)) / 2
    face_1 = (bce(0, -0.7) + bce(1, -2.0, 0.5)) / 2
    value = float(loss(labels, logits))
    assert value == pytest.approx((face_0 + face_1) / 2, 1e-5)


def test_unit_positive_weights_change_nothing():
    labels = np.array([[1, 0, -1], [0, 1, 1]])
    logits = np.random.default_rng(0).normal(size=(2, 3)).astype("float32")
    plain = float(MultiLabelCrossentropy()(labels, logits))
    weighted = float(
        MultiLabelCrossentropy(positive_weights=[1, 1, 1])(labels, logits)
    )
    assert weighted == pytest.approx(plain, 1e-6)


def test_large_logits_stay_finite():
    loss = MultiLabelCrossentropy()
    value = float(loss(np.array([[1, 0]]), np.array([[-100.0, 100.0]])))
    assert value == pytest.approx(100.0, 1e-5)


def test_a_batch_with_no_annotated_label_costs_nothing_with_finite_grads():
    loss = MultiLabelCrossentropy(positive_weights=[2.0, 1.0])
    logits = tf.Variable(np.ones((3, 2), "float32"))
    with tf.GradientTape() as tape:
        value = loss(-np.ones((3, 2), "int32"), logits)
    gradient = tape.gradient(value, logits)
    assert float(value) == 0.0
    assert np.all(np.isfinite(gradient.numpy()))
    np.testing.assert_array_equal(gradient.numpy(), 0.0)


def test_gradients_skip_unannotated_entries():
    loss = MultiLabelCrossentropy()
    logits = tf.Variable(np.zeros((2, 2), "float32"))
    with tf.GradientTape() as tape:
        value = loss(np.array([[1, -1], [-1, -1]]), logits)
    gradient = tape.gradient(value, logits).numpy()
    # d/dz of -log sigmoid(z) at 0 is -1/2; one face, one label.
    np.testing.assert_allclose(gradient, [[-0.5, 0.0], [0.0, 0.0]], atol=1e-6)


def test_sample_weights_apply_per_face():
    loss = MultiLabelCrossentropy()
    labels = np.array([[1, 0], [0, -1], [-1, -1]])
    logits = np.array([[0.0, 0.0], [2.0, 7.0], [5.0, 5.0]], "float32")
    value = loss(labels, logits, sample_weight=np.array([0.5, 2.0, 3.0]))
    # Two faces have labels: (0.5 * log 2 + 2 * bce(0, 2)) / 2.
    expected = (0.5 * math.log(2) + 2.0 * bce(0, 2.0)) / 2
    assert float(value) == pytest.approx(expected, 1e-5)


def test_sum_reduction_adds_face_losses():
    loss = MultiLabelCrossentropy(reduction="sum")
    labels = np.array([[1, -1], [0, 0], [-1, -1]])
    logits = np.zeros((3, 2), "float32")
    assert float(loss(labels, logits)) == pytest.approx(2 * math.log(2), 1e-5)


def test_rejects_negative_positive_weights():
    with pytest.raises(ValueError, match=r"\[1.0, -2.0\]"):
        MultiLabelCrossentropy(positive_weights=[1.0, -2.0])


def test_rejects_positive_weights_of_the_wrong_length():
    loss = MultiLabelCrossentropy(positive_weights=[1.0, 2.0])
    with pytest.raises(ValueError, match="2 entries.*3 labels"):
        loss(np.ones((1, 3)), np.zeros((1, 3), "float32"))


def test_serialization_round_trip():
    loss = MultiLabelCrossentropy(positive_weights=[1.0, 2.5], name="x")
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(loss)
    )
    assert isinstance(restored, MultiLabelCrossentropy)
    assert restored.get_config() == loss.get_config()
    assert restored.positive_weights == [1.0, 2.5]
