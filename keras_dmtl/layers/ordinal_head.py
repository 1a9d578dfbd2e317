"""The K-1 threshold classifiers of an ordinal task."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_dmtl")
class OrdinalHead(keras.layers.Layer):
    """K-1 binary classifiers "y > r_k" for an ordinal target with K ranks.

    Outputs K-1 logits; the k-th is the log-odds that the label lies above
    the k-th rank. `ordinal_rank` decodes them as in DMTL:
    p = 1 + sum_k [sigmoid(logit_k) > 0.5], returned as the 0-based rank
    index p - 1, or, with `decoding="expected"`, as the expected rank
    1 + sum_k sigmoid(logit_k) rounded (`ordinal_value` gives the real
    value).

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


DECODINGS = ("count", "expected")
"""The ways K-1 threshold logits decode to a rank (`OrdinalTask.decoding`).

- `"count"`: DMTL's rank p = 1 + sum_k [sigmoid(logit_k) > 0.5].
- `"expected"`: the expected rank 1 + sum_k sigmoid(logit_k), a real
  number, rounded to the nearest rank; the value is the rank values
  interpolated at it (`interpolate_ranks`).
"""


def ordinal_rank(logits, decoding="count"):
    """Decodes K-1 threshold logits to the 0-based rank index p - 1.

    With `decoding="count"`, sigmoid(logit) > 0.5 exactly when logit > 0, so
    the index is the number of positive logits. With `"expected"` it is the
    expected index (`expected_rank`) rounded to the nearest rank, a tie
    going to the lower one.

    Args:
        logits: float tensor `(..., K-1)`.
        decoding: one of `DECODINGS`.

    Returns:
        An int32 tensor `(...)` of indices 0..K-1.
    """
    if decoding == "count":
        return ops.sum(ops.cast(ops.greater(logits, 0), "int32"), axis=-1)
    check_decoding(decoding)
    return ops.cast(ops.ceil(expected_rank(logits) - 0.5), "int32")


def expected_rank(logits):
    """The expected 0-based rank index sum_k sigmoid(logit_k), a float.

    P(rank > k) is the k-th threshold's probability, so the sum is the
    expectation of the rank index (exactly so when the probabilities are
    monotone, as a CORAL head keeps them).
    """
    return ops.sum(ops.sigmoid(ops.cast(logits, "float32")), axis=-1)


def interpolate_ranks(index, values):
    """The rank values at a real-valued 0-based rank index.

    values[0] + sum_k clip(index - k, 0, 1) * (values[k+1] - values[k]):
    linear between neighbouring ranks, so the nearest rank to the result is
    the index rounded, and for evenly spaced ranks it is the expected value
    values[0] + step * index (computed so).

    Args:
        index: float tensor `(...)` in [0, K-1].
        values: list of the K ascending rank values.

    Returns:
        A float32 tensor `(...)`.
    """
    values = [float(v) for v in values]
    steps = [b - a for a, b in zip(values, values[1:])]
    if all(step == steps[0] for step in steps):
        return index * steps[0] + values[0]
    starts = ops.arange(len(steps), dtype="float32")
    fill = ops.clip(ops.expand_dims(index, -1) - starts, 0.0, 1.0)
    steps = ops.convert_to_tensor(steps, "float32")
    return ops.sum(fill * steps, axis=-1) + values[0]


def ordinal_value(logits, values, decoding="count"):
    """Decodes K-1 threshold logits to a rank value (such as an age).

    Args:
        logits: float tensor `(..., K-1)`.
        values: the K ascending rank values.
        decoding: one of `DECODINGS`: the value of the counted rank, or the
            values interpolated at the expected rank (a real number).

    Returns:
        A float32 tensor `(...)`.
    """
    if decoding == "count":
        return ops.take(ops.convert_to_tensor(values, "float32"),
                        ordinal_rank(logits))
    check_decoding(decoding)
    return interpolate_ranks(expected_rank(logits), values)


def check_decoding(decoding):
    """Raises a `ValueError` unless `decoding` is one of `DECODINGS`."""
    if decoding not in DECODINGS:
        raise ValueError(f"decoding must be one of {DECODINGS}, got "
                         f"{decoding!r}.")
