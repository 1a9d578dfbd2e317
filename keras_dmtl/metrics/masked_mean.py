"""A metric that averages per-example values over annotated examples."""

import keras
from keras import ops

from keras_dmtl.labels import MISSING_LABEL
from keras_dmtl.losses.masking import value_weights


class MaskedMean(keras.metrics.Metric):
    """Mean of a per-example value over the examples that have a label.

    Subclasses implement `per_example(labels, y_pred)`, where `labels` is a
    float vector of shape `(batch,)`. Examples labelled `-1` are skipped; an
    epoch with no annotated example reports 0.

    A subclass whose examples have several label values (a `(batch, L)`
    matrix) overrides `label_values`, and `annotated` when a missing value
    is not `-1`: `per_example` then returns one value per label value, and
    each annotated value counts once, with its example's `sample_weight`.

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

    def label_values(self, y_true, y_pred):
        """The labels `per_example` takes.

        Args:
            y_true: the labels as given to `update_state`.
            y_pred: the predictions, of shape `(batch, K)`.

        Returns:
            `y_true` as a float32 vector of shape `(batch,)`.
        """
        return ops.reshape(
            ops.cast(y_true, "float32"), ops.shape(y_pred)[:-1]
        )

    def annotated(self, labels):
        """True where a label is annotated: not `MISSING_LABEL` (-1).

        Args:
            labels: the result of `label_values`.

        Returns:
            A bool array of the shape of `labels`.
        """
        return ops.not_equal(labels, MISSING_LABEL)

    def update_state(self, y_true, y_pred, sample_weight=None):
        labels = self.label_values(y_true, y_pred)
        weight = value_weights(self.annotated(labels), sample_weight,
                               self.dtype)
        values = ops.cast(self.per_example(labels, y_pred), self.dtype)
        values = ops.where(weight > 0, values, ops.zeros_like(values))
        self.total.assign_add(ops.sum(values * weight))
        self.count.assign_add(ops.sum(weight))

    def result(self):
        return ops.divide_no_nan(self.total, self.count)

    def reset_state(self):
        self.total.assign(0.0)
        self.count.assign(0.0)
