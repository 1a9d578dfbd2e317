"""Accuracy of class predictions that skips unannotated examples."""

import keras
from keras import ops

from keras_dmtl.metrics.masked_mean import MaskedMean


@keras.saving.register_keras_serializable(package="keras_dmtl")
class MaskedAccuracy(MaskedMean):
    """Share of annotated examples whose arg-max class equals the label.

    Labels are integer class indices; `-1` means "not annotated" and the
    example is skipped.

    Args:
        name: name of the metric. Defaults to `"accuracy"`.
        dtype: dtype of the metric's state.

    Example:

    ```python
    metric = keras_dmtl.metrics.MaskedAccuracy()
    metric.update_state([1, -1, 0], [[0.1, 0.9], [0.9, 0.1], [0.2, 0.8]])
    metric.result()  # 0.5: one of the two annotated examples is right
    ```
    """

    def __init__(self, name="accuracy", dtype="float32"):
        super().__init__(name=name, dtype=dtype)

    def per_example(self, labels, y_pred):
        predicted = ops.cast(ops.argmax(y_pred, axis=-1), "float32")
        return ops.cast(ops.equal(predicted, labels), "float32")
