"""Binary cross-entropy over several labels, each of which may be missing."""

import keras
from keras import ops

from keras_dmtl.labels import MISSING_LABEL
from keras_dmtl.losses.masking import example_weights
from keras_dmtl.losses.masking import mean_over_annotated
from keras_dmtl.losses.per_label import check_per_label


@keras.saving.register_keras_serializable(package="keras_dmtl")
class MultiLabelCrossentropy(keras.losses.Loss):
    """Mean binary cross-entropy over a face's annotated labels.

    Each face has L binary labels (attributes such as "smiling" or
    "eyeglasses"): `1` is present, `0` absent and `-1` not annotated. The
    labels are masked one by one, so a dataset that codes only some of the
    labels leaves the others `-1`. A face's loss is the binary cross-entropy
    from logits averaged over its annotated labels; a face with no annotated
    label contributes nothing, and with the default reduction the loss is
    the mean over the faces that have at least one annotated label (0 when a
    batch has none).

    Args:
        positive_weights: optional list of L non-negative floats, one per
            label, multiplying the positive term "-log sigmoid(logit)" of
            that label; a weight above 1 counts a missed rare attribute
            more. Defaults to None (1 for every label).
        reduction: Keras loss reduction. Defaults to `"sum_over_batch_size"`.
        name: optional name.
        dtype: optional dtype of the computation.

    Example:

    ```python
    loss = keras_dmtl.losses.MultiLabelCrossentropy()
    loss(np.array([[1, -1], [-1, -1]]), np.zeros((2, 2)))  # log(2)
    ```
    """

    def __init__(
        self,
        positive_weights=None,
        reduction="sum_over_batch_size",
        name="multi_label_crossentropy",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if positive_weights is not None:
            positive_weights = [float(w) for w in positive_weights]
            if not positive_weights or min(positive_weights) < 0:
                raise ValueError(
                    "positive_weights must be a non-empty list of "
                    f"non-negative numbers, got {positive_weights}."
                )
        self.positive_weights = positive_weights

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_true = _labels(y_true, y_pred)
        annotated = ops.any(ops.not_equal(y_true, MISSING_LABEL), axis=-1)
        weight = example_weights(annotated, self.reduction, sample_weight)
        return super().__call__(y_true, y_pred, sample_weight=weight)

    def call(self, y_true, y_pred):
        y_true = _labels(y_true, y_pred)
        logits = ops.cast(y_pred, self.dtype)
        check_per_label("positive_weights", self.positive_weights, logits)
        targets = ops.cast(ops.equal(y_true, 1), self.dtype)
        annotated = ops.cast(ops.not_equal(y_true, MISSING_LABEL), self.dtype)
        # -log(1 - sigmoid(x)) = softplus(x) and -log(sigmoid(x)) =
        # softplus(-x); softplus is computed in a numerically stable form,
        # with the exact gradient sigmoid(x) also at x = 0.
        negative = ops.softplus(logits)
        positive = ops.softplus(-logits)
        if self.positive_weights is not None:
            positive = positive * ops.convert_to_tensor(
                self.positive_weights, dtype=self.dtype
            )
        per_label = targets * positive + (1.0 - targets) * negative
        return mean_over_annotated(per_label, annotated)

    def get_config(self):
        config = super().get_config()
        config["positive_weights"] = (
            None
            if self.positive_weights is None
            else list(self.positive_weights)
        )
        return config


def _labels(y_true, y_pred):
    """Labels as a float matrix of the predictions' shape `(batch, L)`."""
    return ops.reshape(ops.cast(y_true, "float32"), ops.shape(y_pred))
