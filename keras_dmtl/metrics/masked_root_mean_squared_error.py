"""Root mean squared error over the annotated values of a regression head."""

import keras
from keras import ops

from keras_dmtl.metrics.masked_mean import MaskedMean


@keras.saving.register_keras_serializable(package="keras_dmtl")
class MaskedRootMeanSquaredError(MaskedMean):
    """sqrt of the mean squared error over all annotated values of the epoch.

    Labels and predictions have shape `(batch, K)` (or `(batch,)`); a NaN
    label is not annotated and is skipped value by value. Every annotated
    value counts once, with its face's `sample_weight`; an epoch with no
    annotated value reports 0.

    Args:
        name: name of the metric. Defaults to `"rmse"`.
        dtype: dtype of the metric's state.

    Example:

    ```python
    metric = keras_dmtl.metrics.MaskedRootMeanSquaredError()
    metric.update_state([[1.0, np.nan], [3.0, 0.0]], np.zeros((2, 2)))
    metric.result()  # sqrt((1 + 9 + 0) / 3)
    ```
    """

    def __init__(self, name="rmse", dtype="float32"):
        super().__init__(name=name, dtype=dtype)

    def label_values(self, y_true, y_pred):
        """`y_true` in the metric's dtype, of the predictions' shape."""
        return ops.reshape(ops.cast(y_true, self.dtype), ops.shape(y_pred))

    def annotated(self, labels):
        """True where a label value is annotated: not NaN."""
        return ops.logical_not(ops.isnan(labels))

    def per_example(self, labels, y_pred):
        # NaN where a label is NaN: the mask drops those values.
        return ops.square(ops.cast(y_pred, self.dtype) - labels)

    def result(self):
        return ops.sqrt(super().result())
