"""Mean squared error over the annotated values of a regression head."""

import keras
from keras import ops

from keras_dmtl.losses.masking import example_weights
from keras_dmtl.losses.masking import mean_over_annotated
from keras_dmtl.losses.masking import regression_values
from keras_dmtl.losses.masking import without_nan


@keras.saving.register_keras_serializable(package="keras_dmtl")
class MaskedMeanSquaredError(keras.losses.Loss):
    """Mean squared error that skips missing (NaN) labels value by value.

    Labels and predictions have shape `(batch, K)`; a label that is NaN is
    not annotated. A face's loss is the squared error averaged over its
    annotated values; a face with none contributes nothing, and with the
    default reduction the loss is the mean over the faces that have at
    least one annotated value (0 when a batch has none). NaN labels are
    replaced before any arithmetic, so gradients stay finite.

    Args:
        name: optional name.
        reduction: Keras loss reduction. Defaults to `"sum_over_batch_size"`.
        dtype: optional dtype of the computation.

    Example:

    ```python
    loss = keras_dmtl.losses.MaskedMeanSquaredError()
    loss(np.array([[1.0, np.nan], [np.nan, np.nan]]), np.zeros((2, 2)))  # 1
    ```
    """

    def __init__(
        self,
        name="masked_mean_squared_error",
        reduction="sum_over_batch_size",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = regression_values(y_true, y_pred, self.dtype)
        annotated = ops.any(without_nan(y_true)[1], axis=-1)
        weight = example_weights(annotated, self.reduction, sample_weight)
        return super().__call__(y_true, y_pred, sample_weight=weight)

    def call(self, y_true, y_pred):
        y_true, y_pred = regression_values(y_true, y_pred, self.dtype)
        labels, annotated = without_nan(y_true)
        return mean_over_annotated(
            ops.square(y_pred - labels), ops.cast(annotated, self.dtype)
        )
