"""Accuracy of binary labels that may be missing one by one."""

import keras
from keras import ops

from keras_dmtl.losses.per_label import check_per_label
from keras_dmtl.metrics.masked_mean import MaskedMean


@keras.saving.register_keras_serializable(package="keras_dmtl")
class MultiLabelAccuracy(MaskedMean):
    """Share of annotated (face, label) entries predicted right.

    Labels have shape `(batch, L)`: `1` present, `0` absent, `-1` not
    annotated (skipped, label by label). Predictions are logits; a label is
    predicted present when sigmoid(logit) is at least its threshold. Each
    entry counts with its face's `sample_weight`; an epoch with no
    annotated entry reports 0.

    Args:
        thresholds: optional list of L probabilities in [0, 1], one per
            label. Defaults to None (0.5 for every label).
        name: name of the metric. Defaults to `"accuracy"`.
        dtype: dtype of the metric's state.

    Example:

    ```python
    metric = keras_dmtl.metrics.MultiLabelAccuracy()
    metric.update_state([[1, -1], [0, 1]], [[2.0, 2.0], [2.0, -2.0]])
    metric.result()  # 1/3: one of the three annotated entries is right
    ```
    """

    def __init__(self, thresholds=None, name="accuracy", dtype="float32"):
        super().__init__(name=name, dtype=dtype)
        if thresholds is not None:
            thresholds = [float(t) for t in thresholds]
            if not thresholds or any(not 0.0 <= t <= 1.0 for t in thresholds):
                raise ValueError(
                    "thresholds must be a non-empty list of probabilities "
                    f"in [0, 1], got {thresholds}."
                )
        self.thresholds = thresholds

    def label_values(self, y_true, y_pred):
        """`y_true` as float32 of the predictions' shape `(batch, L)`."""
        y_pred = ops.convert_to_tensor(y_pred)
        check_per_label("thresholds", self.thresholds, y_pred)
        return ops.reshape(ops.cast(y_true, "float32"), ops.shape(y_pred))

    def per_example(self, labels, y_pred):
        # 1 for a label value predicted right, else 0.
        threshold = 0.5 if self.thresholds is None else ops.convert_to_tensor(
            self.thresholds, dtype="float32"
        )
        predicted = ops.greater_equal(
            ops.sigmoid(ops.cast(y_pred, "float32")), threshold
        )
        present = ops.equal(labels, 1)
        return ops.cast(ops.equal(predicted, present), self.dtype)

    def get_config(self):
        return {
            "thresholds": (
                None if self.thresholds is None else list(self.thresholds)
            ),
            **super().get_config(),
        }
