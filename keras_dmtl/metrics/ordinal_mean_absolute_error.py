"""Mean absolute error of an ordinal head in label units."""

import keras
from keras import ops

from keras_dmtl.layers.ordinal_head import ordinal_rank
from keras_dmtl.metrics.masked_mean import MaskedMean


@keras.saving.register_keras_serializable(package="keras_dmtl")
class OrdinalMeanAbsoluteError(MaskedMean):
    """Mean |predicted rank value - label rank value| over annotated examples.

    Both the prediction and the label are mapped to their rank's value, so
    for ages 0..116 the error is in years, and for age groups (cut points)
    it is in groups.

    Args:
        edges: list of K-1 ascending numbers, as in `OrdinalCrossentropy`.
        values: list of K numbers, the value of each rank.
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

    def __init__(self, edges, values, name="mae", dtype="float32"):
        super().__init__(name=name, dtype=dtype)
        if len(values) != len(edges) + 1:
            raise ValueError(
                f"values needs {len(edges) + 1} entries (one per rank), got "
                f"{len(values)}."
            )
        self.edges = [float(e) for e in edges]
        self.values = [float(v) for v in values]

    def per_example(self, labels, y_pred):
        edges = ops.convert_to_tensor(self.edges, "float32")
        values = ops.convert_to_tensor(self.values, "float32")
        true_index = ops.sum(
            ops.cast(ops.expand_dims(labels, -1) >= edges, "int32"), axis=-1
        )
        predicted = ops.take(values, ordinal_rank(y_pred))
        return ops.abs(predicted - ops.take(values, true_index))

    def get_config(self):
        return {
            "edges": list(self.edges),
            "values": list(self.values),
            **super().get_config(),
        }
