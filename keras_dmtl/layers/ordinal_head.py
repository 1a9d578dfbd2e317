"""The K-1 threshold classifiers of an ordinal task."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_dmtl")
class OrdinalHead(keras.layers.Layer):
    """K-1 binary classifiers "y > r_k" for an ordinal target with K ranks.

    Outputs K-1 logits; the k-th is the log-odds that the label lies above
    the k-th rank. `ordinal_rank` decodes them as in DMTL:
    p = 1 + sum_k [sigmoid(logit_k) > 0.5], returned as the 0-based rank
    index p - 1.

    With `rank_consistent=True` the thresholds share one weight vector and
    differ only in their biases (CORAL, Cao et al. 2020): the logits then
    differ by constants, so the threshold probabilities are monotone once
    the biases are ordered, and ordering is what training converges to. The
    biases start in descending order so that the head is monotone from the
    first step.

    Args:
        num_ranks: int, K, the number of ranks (at least 2).
        rank_consistent: bool. Share the weights across thresholds (CORAL).
            Defaults to False: K-1 independent classifiers, as in DMTL.
        kernel_initializer: initializer of the kernel.
        kernel_regularizer: optional regularizer of the kernel.
        **kwargs: base layer arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: a float tensor of shape `(batch, features)`.

    Returns:
        A float tensor of shape `(batch, num_ranks - 1)` of logits.

    Example:

    ```python
    head = keras_dmtl.layers.OrdinalHead(num_ranks=117)
    logits = head(np.random.rand(4, 1280))  # (4, 116)
    ages = keras_dmtl.layers.ordinal_rank(logits)  # (4,), 0..116
    ```
    """

    def __init__(
        self,
        num_ranks,
        rank_consistent=False,
        kernel_initializer="glorot_uniform",
        kernel_regularizer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if int(num_ranks) < 2:
            raise ValueError(f"num_ranks must be at least 2, got {num_ranks}.")
        self.num_ranks = int(num_ranks)
        self.rank_consistent = bool(rank_consistent)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, input_shape):
        num_thresholds = self.num_ranks - 1
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_shape[-1], 1 if self.rank_consistent else num_thresholds),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )
        if self.rank_consistent:
            # Descending start values keep the thresholds ordered from step 0.
            start = [
                1.0 - 2.0 * k / max(num_thresholds - 1, 1)
                for k in range(num_thresholds)
            ]
            initializer = keras.initializers.Constant(start)
        else:
            initializer = "zeros"
        self.bias = self.add_weight(
            name="bias", shape=(num_thresholds,), initializer=initializer
        )

    def call(self, inputs):
        # With one shared column, broadcasting adds the K-1 biases to it.
        return ops.matmul(inputs, self.kernel) + self.bias

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.num_ranks - 1,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_ranks": self.num_ranks,
                "rank_consistent": self.rank_consistent,
                "kernel_initializer": keras.initializers.serialize(
                    self.kernel_initializer
                ),
                "kernel_regularizer": keras.regularizers.serialize(
                    self.kernel_regularizer
                ),
            }
        )
        return config


def ordinal_rank(logits):
    """Decodes K-1 threshold logits to the 0-based rank index p - 1.

    sigmoid(logit) > 0.5 exactly when logit > 0, so the index is the number
    of positive logits.
    """
    return ops.sum(ops.cast(ops.greater(logits, 0), "int32"), axis=-1)
