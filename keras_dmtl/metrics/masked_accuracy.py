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
        class_offsets: optional list of floats, one per class, added to the
            logits before the arg-max (`NominalTask.class_offsets`).
        name: name of the metric. Defaults to `"accuracy"`.
        dtype: dtype of the metric's state.

    Example:

    ```python
    metric = keras_dmtl.metrics.MaskedAccuracy()
    metric.update_state([1, -1, 0], [[0.1, 0.9], [0.9, 0.1], [0.2, 0.8]])
    metric.result()  # 0.5: one of the two annotated examples is right
    ```
    """

    def __init__(self, class_offsets=None, name="accuracy", dtype="float32"):
        super().__init__(name=name, dtype=dtype)
        self.class_offsets = (None if class_offsets is None
                              else [float(o) for o in class_offsets])

    def per_example(self, labels, y_pred):
        if self.class_offsets is not None:
            y_pred = ops.add(ops.cast(y_pred, "float32"),
                             ops.convert_to_tensor(self.class_offsets,
                                                   "float32"))
        predicted = ops.cast(ops.argmax(y_pred, axis=-1), "float32")
        return ops.cast(ops.equal(predicted, labels), "float32")

    def get_config(self):
        config = super().get_config()
        config["class_offsets"] = self.class_offsets
        return config
