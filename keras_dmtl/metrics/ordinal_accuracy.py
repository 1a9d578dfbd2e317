"""Exact rank accuracy of an ordinal head."""

import keras
from keras import ops

from keras_dmtl.layers.ordinal_head import check_decoding
from keras_dmtl.layers.ordinal_head import ordinal_rank
from keras_dmtl.metrics.masked_mean import MaskedMean


@keras.saving.register_keras_serializable(package="keras_dmtl")
class OrdinalAccuracy(MaskedMean):
    """Share of annotated examples whose decoded rank equals the label's.

    The prediction is decoded from the K-1 threshold logits as the task
    decodes them (`ordinal_rank`): by default as in DMTL (rank index =
    number of thresholds with probability above 0.5), or with
    `decoding="expected"` as the expected rank rounded to the nearest one.
    The label's rank index is the number of edges it reaches.

    Args:
        edges: list of K-1 ascending numbers, as in `OrdinalCrossentropy`.
        decoding: `"count"` (default) or `"expected"`, as
            `OrdinalTask.decoding`.
        name: name of the metric. Defaults to `"accuracy"`.
        dtype: dtype of the metric's state.

    Example:

    ```python
    metric = keras_dmtl.metrics.OrdinalAccuracy(edges=[1, 2, 3])
    metric.update_state([2, 3], [[1.0, 1.0, -1.0], [1.0, -1.0, -1.0]])
    metric.result()  # 0.5
    ```
    """

    def __init__(self, edges, decoding="count", name="accuracy",
                 dtype="float32"):
        super().__init__(name=name, dtype=dtype)
        check_decoding(decoding)
        self.edges = [float(e) for e in edges]
        self.decoding = decoding

    def per_example(self, labels, y_pred):
        edges = ops.convert_to_tensor(self.edges, "float32")
        true_index = ops.sum(
            ops.cast(ops.expand_dims(labels, -1) >= edges, "int32"), axis=-1
        )
        predicted = ordinal_rank(y_pred, self.decoding)
        return ops.cast(ops.equal(predicted, true_index), "float32")

    def get_config(self):
        return {"edges": list(self.edges), "decoding": self.decoding,
                **super().get_config()}
