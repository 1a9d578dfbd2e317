"""A metric that averages per-example values over annotated examples."""

import keras
from keras import ops

from keras_dmtl.labels import MISSING_LABEL


class MaskedMean(keras.metrics.Metric):
    """Mean of a per-example value over the examples that have a label.

    Subclasses implement `per_example(labels, y_pred)`, where `labels` is a
    float vector of shape `(batch,)`. Examples labelled `-1` are skipped; an
    epoch with no annotated example reports 0.

    Args:
        name: name of the metric.
        dtype: dtype of the metric's state.
    """

    def __init__(self, name, dtype="float32"):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(
            shape=(), initializer="zeros", dtype=dtype, name="total"
        )
        self.count = self.add_variable(
            shape=(), initializer="zeros", dtype=dtype, name="count"
        )

    def per_example(self, labels, y_pred):
        raise NotImplementedError

    def update_state(self, y_true, y_pred, sample_weight=None):
        labels = ops.reshape(
            ops.cast(y_true, "float32"), ops.shape(y_pred)[:-1]
        )
        weight = ops.cast(ops.not_equal(labels, MISSING_LABEL), self.dtype)
        if sample_weight is not None:
            weight = weight * ops.reshape(
                ops.cast(sample_weight, self.dtype), ops.shape(weight)
            )
        values = ops.cast(self.per_example(labels, y_pred), self.dtype)
        values = ops.where(weight > 0, values, ops.zeros_like(values))
        self.total.assign_add(ops.sum(values * weight))
        self.count.assign_add(ops.sum(weight))

    def result(self):
        return ops.divide_no_nan(self.total, self.count)

    def reset_state(self):
        self.total.assign(0.0)
        self.count.assign(0.0)
