"""One minus the concordance correlation of a regression head's outputs."""

import keras
from keras import ops

from keras_dmtl.losses.masking import regression_values
from keras_dmtl.losses.masking import value_weights
from keras_dmtl.losses.masking import without_nan


@keras.saving.register_keras_serializable(package="keras_dmtl")
class ConcordanceLoss(keras.losses.Loss):
    """1 - mean over outputs of the batch's concordance correlation (CCC).

    For each of the K outputs, over the faces of the batch,

        CCC = 2 cov(x, y) / (var(x) + var(y) + (mean(x) - mean(y))^2),

    with population moments, x the labels and y the predictions (valence
    and arousal, for instance). CCC is 1 for perfect agreement, 0 for none
    and -1 for perfect disagreement; unlike the squared error it also
    rewards matching the labels' spread.

    A NaN label is not annotated: each output's CCC uses only the faces
    where that value is annotated, weighted by `sample_weight` when given.
    An output with fewer than 2 annotated values in the batch is left out
    of the mean, and the loss is 0 when no output qualifies. An output
    whose denominator is below `keras.config.epsilon()` (labels and
    predictions both constant and equal) counts with CCC 0. NaN labels are
    replaced before any arithmetic, so gradients stay finite.

    The CCC is a statistic of the whole batch, not a sum over faces, so the
    loss is a scalar and takes no reduction; `call` returns that scalar for
    every face, which any reduction by the mean gives back.

    Args:
        name: optional name.
        dtype: optional dtype of the computation.

    Example:

    ```python
    loss = keras_dmtl.losses.ConcordanceLoss()
    y_true = np.array([[0.1, np.nan], [0.5, 0.2], [0.9, np.nan]])
    loss(y_true, y_true)  # 0: output 0 agrees, output 1 has one value
    ```
    """

    def __init__(self, name="concordance_loss", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def __call__(self, y_true, y_pred, sample_weight=None):
        return self._concordance_loss(y_true, y_pred, sample_weight)

    def call(self, y_true, y_pred):
        loss = self._concordance_loss(y_true, y_pred)
        return ops.ones(ops.shape(y_pred)[:1], dtype=self.dtype) * loss

    def _concordance_loss(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = regression_values(y_true, y_pred, self.dtype)
        labels, annotated = without_nan(y_true)
        weight = value_weights(annotated, sample_weight, self.dtype)
        count = ops.sum(weight, axis=0)
        num_values = ops.sum(ops.cast(weight > 0, self.dtype), axis=0)
        # Every output's moments are computed, with safe divisors; those
        # of outputs with fewer than 2 values are then dropped.
        safe_count = ops.where(count > 0, count, ops.ones_like(count))
        mean_true = ops.sum(weight * labels, axis=0) / safe_count
        mean_pred = ops.sum(weight * y_pred, axis=0) / safe_count
        dev_true = labels - mean_true
        dev_pred = y_pred - mean_pred
        var_true = ops.sum(weight * ops.square(dev_true), axis=0) / safe_count
        var_pred = ops.sum(weight * ops.square(dev_pred), axis=0) / safe_count
        cov = ops.sum(weight * dev_true * dev_pred, axis=0) / safe_count
        denominator = var_true + var_pred + ops.square(mean_true - mean_pred)
        positive = denominator > keras.config.epsilon()
        ccc = ops.where(
            positive,
            2.0 * cov / ops.where(positive, denominator, 1.0),
            ops.zeros_like(cov),
        )
        valid = ops.cast(num_values >= 2, self.dtype)
        return ops.sum(valid * (1.0 - ccc)) / ops.maximum(ops.sum(valid), 1.0)

    def get_config(self):
        config = super().get_config()
        # The loss is a scalar per batch: no reduction to configure.
        config.pop("reduction", None)
        return config
