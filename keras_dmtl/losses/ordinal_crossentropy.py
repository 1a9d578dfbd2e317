"""The sum of K-1 binary cross-entropies of an ordinal head."""

import keras
from keras import ops

from keras_dmtl.labels import MISSING_LABEL
from keras_dmtl.losses.masking import example_weights


@keras.saving.register_keras_serializable(package="keras_dmtl")
class OrdinalCrossentropy(keras.losses.Loss):
    """Sum over K-1 thresholds of binary cross-entropy, from plain labels.

    The labels are plain values (ages in years, not encoded vectors); the
    k-th binary target "label is at least edge_k" is built inside the loss.
    Each example's loss is the sum of its K-1 binary cross-entropies, taken
    from logits. Examples labelled `-1` are not annotated: they contribute
    nothing, and with the default reduction the loss is the mean over the
    annotated examples only (0 when a batch has none).

    Args:
        edges: list of K-1 ascending numbers; target k is `label >= edges[k]`.
            For ranks r_1 < ... < r_K these are r_2..r_K, which is the paper's
            "y > r_k" for labels that are ranks.
        reduction: Keras loss reduction. Defaults to `"sum_over_batch_size"`.
        name: optional name.
        dtype: optional dtype of the computation.

    Example:

    ```python
    loss = keras_dmtl.losses.OrdinalCrossentropy(edges=[1, 2, 3])
    loss(np.array([2, -1]), np.zeros((2, 3)))  # 3 * log(2): one example
    ```
    """

    def __init__(
        self,
        edges,
        reduction="sum_over_batch_size",
        name="ordinal_crossentropy",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.edges = [float(e) for e in edges]

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_true = _flat_labels(y_true, y_pred)
        weight = example_weights(ops.not_equal(y_true, MISSING_LABEL),
                                 self.reduction, sample_weight)
        return super().__call__(y_true, y_pred, sample_weight=weight)

    def call(self, y_true, y_pred):
        y_true = _flat_labels(y_true, y_pred)
        logits = ops.cast(y_pred, self.dtype)
        edges = ops.convert_to_tensor(self.edges, dtype=self.dtype)
        targets = ops.cast(
            ops.greater_equal(ops.expand_dims(y_true, -1), edges), self.dtype
        )
        # Binary cross-entropy from logits, in its numerically stable form.
        per_threshold = (
            ops.relu(logits)
            - logits * targets
            + ops.log1p(ops.exp(-ops.abs(logits)))
        )
        per_example = ops.sum(per_threshold, axis=-1)
        annotated = ops.not_equal(y_true, MISSING_LABEL)
        return ops.where(annotated, per_example, ops.zeros_like(per_example))

    def get_config(self):
        config = super().get_config()
        config["edges"] = list(self.edges)
        return config


def _flat_labels(y_true, y_pred):
    """Labels as a float vector of shape `(batch,)`."""
    y_true = ops.cast(y_true, "float32")
    return ops.reshape(y_true, ops.shape(y_pred)[:-1])
