"""Concordance correlation of a regression head over the whole epoch."""

import keras
from keras import ops

from keras_dmtl.losses.masking import regression_values
from keras_dmtl.losses.masking import value_weights
from keras_dmtl.losses.masking import without_nan


@keras.saving.register_keras_serializable(package="keras_dmtl")
class ConcordanceCorrelation(keras.metrics.Metric):
    """Concordance correlation coefficient (CCC) per output over the epoch.

    For each of the K outputs, with x the labels and y the predictions,

        CCC = 2 cov(x, y) / (var(x) + var(y) + (mean(x) - mean(y))^2),

    with population moments taken over every annotated value of the epoch,
    not averaged over batches. The metric keeps running sums per output
    (weight, x, y, x^2, y^2, xy, and the number of values) and computes the
    moments from them in `result`. A NaN label is not annotated and is
    skipped value by value; each value counts with its face's
    `sample_weight`. An output's CCC is defined once it has at least 2
    values; otherwise it is 0, and so is the CCC of an output whose
    denominator is below `keras.config.epsilon()` (labels and predictions
    both constant and equal).

    Args:
        num_outputs: int, K, the number of outputs (at least 1).
        output_index: optional int in [0, K). None (default) reports the
            mean CCC over the outputs with at least 2 values (0 when none
            has); an index reports that output's CCC.
        name: name of the metric. Defaults to `"ccc"`.
        dtype: dtype of the metric's state. The moments come from raw sums,
            so `"float64"` keeps more precision over very long epochs.

    Example:

    ```python
    metric = keras_dmtl.metrics.ConcordanceCorrelation(num_outputs=2)
    y_true = np.array([[0.1, np.nan], [0.5, 0.2], [0.9, np.nan]])
    metric.update_state(y_true, np.nan_to_num(y_true))
    metric.result()  # 1.0: output 0 agrees; output 1 has one value
    ```
    """

    def __init__(
        self, num_outputs, output_index=None, name="ccc", dtype="float32"
    ):
        super().__init__(name=name, dtype=dtype)
        if int(num_outputs) < 1:
            raise ValueError(
                f"num_outputs must be at least 1, got {num_outputs}."
            )
        self.num_outputs = int(num_outputs)
        if output_index is not None and not (
            0 <= int(output_index) < self.num_outputs
        ):
            raise ValueError(
                f"output_index must be in [0, {self.num_outputs}), got "
                f"{output_index}."
            )
        self.output_index = None if output_index is None else int(output_index)
        self.sums = {
            key: self.add_variable(
                shape=(self.num_outputs,),
                initializer="zeros",
                dtype=dtype,
                name=key,
            )
            for key in _SUMS
        }

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = regression_values(y_true, y_pred, self.dtype)
        x, annotated = without_nan(y_true)
        y = ops.where(annotated, y_pred, ops.zeros_like(y_pred))
        weight = value_weights(annotated, sample_weight, self.dtype)
        terms = {
            "num_values": ops.cast(weight > 0, self.dtype),
            "count": weight,
            "sum_true": weight * x,
            "sum_pred": weight * y,
            "sum_true_squared": weight * x * x,
            "sum_pred_squared": weight * y * y,
            "sum_product": weight * x * y,
        }
        for key in _SUMS:
            self.sums[key].assign_add(ops.sum(terms[key], axis=0))

    def result(self):
        sums = {key: ops.convert_to_tensor(v) for key, v in self.sums.items()}
        count = sums["count"]
        mean_true = ops.divide_no_nan(sums["sum_true"], count)
        mean_pred = ops.divide_no_nan(sums["sum_pred"], count)
        var_true = (
            ops.divide_no_nan(sums["sum_true_squared"], count)
            - mean_true * mean_true
        )
        var_pred = (
            ops.divide_no_nan(sums["sum_pred_squared"], count)
            - mean_pred * mean_pred
        )
        cov = ops.divide_no_nan(sums["sum_product"], count) - (
            mean_true * mean_pred
        )
        # Rounding can leave a variance of constant values slightly below 0.
        var_true = ops.maximum(var_true, 0.0)
        var_pred = ops.maximum(var_pred, 0.0)
        denominator = var_true + var_pred + ops.square(mean_true - mean_pred)
        defined = sums["num_values"] >= 2
        # |CCC| <= 1; a denominator at rounding level is taken as 0.
        ccc = ops.clip(ops.divide_no_nan(2.0 * cov, denominator), -1.0, 1.0)
        ccc = ops.where(
            ops.logical_and(defined, denominator > keras.config.epsilon()),
            ccc,
            ops.zeros_like(ccc),
        )
        if self.output_index is not None:
            return ccc[self.output_index]
        defined = ops.cast(defined, self.dtype)
        return ops.divide_no_nan(ops.sum(ccc * defined), ops.sum(defined))

    def reset_state(self):
        for variable in self.sums.values():
            variable.assign(ops.zeros_like(variable))

    def get_config(self):
        return {
            "num_outputs": self.num_outputs,
            "output_index": self.output_index,
            **super().get_config(),
        }


# The running sums, per output: the number of annotated values with a
# positive weight, the sum of weights, and the weighted sums of x, y, x^2,
# y^2 and xy (x the labels, y the predictions).
_SUMS = (
    "num_values",
    "count",
    "sum_true",
    "sum_pred",
    "sum_true_squared",
    "sum_pred_squared",
    "sum_product",
)
