"""Uncertainty weighting with a regulariser that keeps the total positive."""

import keras
from keras import ops

from keras_dmtl.layers.uncertainty_weighting import UncertaintyWeighting


@keras.saving.register_keras_serializable(package="keras_dmtl")
class BoundedUncertaintyWeighting(UncertaintyWeighting):
    """Learned uncertainty with Liebel and Koerner's bounded regulariser.

    Liebel and Koerner (2018, "Auxiliary tasks in multi-task learning")
    replace Kendall et al.'s log sigma_t by log(1 + sigma_t^2), which cannot
    go below zero, so the total cannot either and no task is rewarded for a
    vanishing sigma_t. With s_t = log sigma_t^2 the layer returns

        total = sum_t (exp(-s_t) * L_t / 2 + log(1 + exp(s_t))).

    For a fixed loss L_t the optimum is sigma_t^2 = (L_t + sqrt(L_t^2 +
    8 L_t)) / 4 (1 at L_t = 1): near L_t / 2 for large losses, as in
    Kendall's form, but near sqrt(L_t / 2) for small ones, so a nearly
    solved task's weight grows far more slowly. The weights beta are
    softmax(-s), as in `UncertaintyWeighting`, whose other arguments this
    layer takes.

    Args:
        task_names: list of str, one name per task.
        log_variance_bounds: optional `(min, max)` bounds on each s_t.
        initial_log_variance: float (default 0) or `"first_loss"`.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: the task losses (see `LossWeighting`).
        training: bool.

    Example:

    ```python
    weighting = keras_dmtl.layers.BoundedUncertaintyWeighting(
        ["age", "gender"])
    total = weighting([age_loss, gender_loss])  # never below zero
    ```
    """

    def weighted(self, losses, s):
        return 0.5 * ops.exp(-s) * losses + ops.softplus(s)

    def optimum(self, losses):
        return ops.log((losses + ops.sqrt(losses * losses + 8.0 * losses))
                       / 4.0)
