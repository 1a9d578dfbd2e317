"""The output layer of a regression task, optionally bounded."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_dmtl")
class RegressionHead(keras.layers.Layer):
    """A dense layer of `num_outputs` values, optionally kept inside bounds.

    Without bounds the outputs are linear, z = W x + b. With
    `bounds=(low, high)` they are low + (high - low) * sigmoid(z), so they
    stay strictly inside the range of the labels (valence and arousal in
    [-1, 1], for instance) and the head starts at the middle of it.

    Args:
        num_outputs: int, K, the number of values per face (at least 1).
        bounds: optional `(low, high)` pair of numbers with low < high.
            Defaults to None (linear outputs).
        **kwargs: base layer arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: a float tensor of shape `(batch, features)`.

    Returns:
        A float tensor of shape `(batch, num_outputs)`.

    Example:

    ```python
    head = keras_dmtl.layers.RegressionHead(2, bounds=(-1.0, 1.0))
    valence_arousal = head(np.random.rand(4, 1280))  # (4, 2), in (-1, 1)
    ```
    """

    def __init__(self, num_outputs, bounds=None, **kwargs):
        super().__init__(**kwargs)
        if int(num_outputs) < 1:
            raise ValueError(
                f"num_outputs must be at least 1, got {num_outputs}."
            )
        self.num_outputs = int(num_outputs)
        if bounds is not None:
            bounds = tuple(bounds)
            if len(bounds) != 2 or not float(bounds[0]) < float(bounds[1]):
                raise ValueError(
                    "bounds must be a pair (low, high) with low < high, got "
                    f"{bounds}."
                )
            bounds = (float(bounds[0]), float(bounds[1]))
        self.bounds = bounds
        self.dense = keras.layers.Dense(
            self.num_outputs, dtype=self.dtype_policy, name="dense"
        )

    def build(self, input_shape):
        self.dense.build(input_shape)

    def call(self, inputs):
        outputs = self.dense(inputs)
        if self.bounds is None:
            return outputs
        low, high = self.bounds
        return low + (high - low) * ops.sigmoid(outputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.num_outputs,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_outputs": self.num_outputs,
                "bounds": None if self.bounds is None else list(self.bounds),
            }
        )
        return config
