"""Mean absolute error of an ordinal head in label units."""

import keras
from keras import ops

from keras_dmtl.layers.ordinal_head import check_decoding
from keras_dmtl.layers.ordinal_head import ordinal_value
from keras_dmtl.metrics.masked_mean import MaskedMean


@keras.saving.register_keras_serializable(package="keras_dmtl")
class OrdinalMeanAbsoluteError(MaskedMean):
    """Mean |predicted rank value - label rank value| over annotated examples.

    Both the prediction and the label are mapped to their rank's value, so
    for ages 0..116 the error is in years, and for age groups (cut points)
    it is in groups. The prediction is decoded as the task decodes it
    (`ordinal_value`): the value of the counted rank, or with
    `decoding="expected"` the rank values interpolated at the expected rank
    (a real number, such as an age of 31.4 years).

    Args:
        edges: list of K-1 ascending numbers, as in `OrdinalCrossentropy`.
        values: list of K numbers, the value of each rank.
        decoding: `"count"` (default) or `"expected"`, as
            `OrdinalTask.decoding`.
        name: name of the metric. Defaults to `"mae"`.
        dtype: dtype of the metric's state.

    Example:

    ```python
    metric = keras_dmtl.metrics.OrdinalMeanAbsoluteError(
        edges=[1, 2, 3], values=[0, 1, 2, 3]
    )
    metric.update_state([3], [[1.0, -1.0, -1.0]])
    metric.result()  # 2.0: predicted rank 1, labelled rank 3
    ```
    """

    def __init__(self, edges, values, decoding="count", name="mae",
                 dtype="float32"):
        super().__init__(name=name, dtype=dtype)
        if len(values) != len(edges) + 1:
            raise ValueError(
                f"values needs {len(edges) + 1} entries (one per rank), got "
                f"{len(values)}."
            )
        check_decoding(decoding)
        self.edges = [float(e) for e in edges]
        self.values = [float(v) for v in values]
        self.decoding = decoding

    def per_example(self, labels, y_pred):
        edges = ops.convert_to_tensor(self.edges, "float32")
        values = ops.convert_to_tensor(self.values, "float32")
        true_index = ops.sum(
            ops.cast(ops.expand_dims(labels, -1) >= edges, "int32"), axis=-1
        )
        predicted = ordinal_value(y_pred, self.values, self.decoding)
        return ops.abs(predicted - ops.take(values, true_index))

    def get_config(self):
        return {
            "edges": list(self.edges),
            "values": list(self.values),
            "decoding": self.decoding,
            **super().get_config(),
        }
