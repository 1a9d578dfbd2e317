"""Weighs several task losses by learned homoscedastic uncertainty."""

import keras
from keras import ops

from keras_dmtl.layers.loss_weighting import LossWeighting
from keras_dmtl.layers.loss_weighting import annotated

FIRST_LOSS = "first_loss"


@keras.saving.register_keras_serializable(package="keras_dmtl")
class UncertaintyWeighting(LossWeighting):
    """Combines task losses weighted by learned uncertainty (Kendall et al.).

    For each task t the layer learns s_t = log sigma_t^2 and returns

        total = sum_t (exp(-s_t) * L_t + s_t / 2),

    which is DMTL's sum_t (L_t / sigma_t^2 + log sigma_t). A task whose loss
    stays large learns a large sigma_t and is weighed down; for a fixed loss
    L_t the optimum is s_t = log(2 L_t). The normalised task weights are

        beta_i = 1 / sum_j (sigma_i^2 / sigma_j^2) = softmax(-s)_i,

    available from `task_weights()`.

    The total can be negative, and that is expected: the s_t / 2 term is
    negative whenever sigma_t < 1, which the optimum chooses as soon as
    L_t < 1/2; at the optimum a task contributes (1 + log(2 L_t)) / 2, which
    is below zero for L_t < 1 / (2e) ~ 0.18. Compare runs by the task losses
    and metrics, not by the total.

    Starting every s_t at 0 gives every task weight 1 at first, however
    large its loss: an ordinal age loss near 30 then dominates the shared
    trunk until its s_t has climbed to log(60), which SGD at 1e-3 takes
    many epochs to do. `initial_log_variance="first_loss"` starts each s_t
    at the optimum for the task's loss on the first training batch that
    annotates it instead.

    Args:
        task_names: list of str, one name per task, in the order the losses
            are passed (None: `DMTLModel` gives its tasks').
        log_variance_bounds: optional `(min, max)` bounds on each s_t. A task
            whose loss reaches zero drives its s_t to minus infinity and its
            weight to infinity; a lower bound such as -6 prevents that
            collapse. Defaults to None (unbounded), as in the paper.
        initial_log_variance: float, the starting s_t (default 0: sigma = 1,
            equal weights), or `"first_loss"`.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: the task losses (see `LossWeighting`).
        training: bool; `"first_loss"` starts the log-variances on the
            first training call.

    Returns:
        The weighted total, a scalar (or the input's leading shape).

    Example:

    ```python
    weighting = keras_dmtl.layers.UncertaintyWeighting(["age", "gender"])
    total = weighting([age_loss, gender_loss])
    betas = weighting.task_weights()  # shape (2,), sums to 1
    ```
    """

    model_arguments = {"log_variance_bounds": "log_variance_bounds"}

    def __init__(
        self,
        task_names=None,
        log_variance_bounds=None,
        initial_log_variance=0.0,
        **kwargs,
    ):
        super().__init__(task_names, **kwargs)
        if log_variance_bounds is not None:
            low, high = (float(b) for b in log_variance_bounds)
            if not low < high:
                raise ValueError(
                    f"log_variance_bounds must be (min, max) with min < max, "
                    f"got {log_variance_bounds!r}."
                )
            log_variance_bounds = (low, high)
        if initial_log_variance != FIRST_LOSS:
            try:
                initial_log_variance = float(initial_log_variance)
            except (TypeError, ValueError):
                raise ValueError(
                    "initial_log_variance must be a number or "
                    f"'{FIRST_LOSS}', got {initial_log_variance!r}.") from None
        self.log_variance_bounds = log_variance_bounds
        self.initial_log_variance = initial_log_variance

    def build(self, input_shape=None):
        constraint = None
        if self.log_variance_bounds is not None:
            constraint = _Clip(*self.log_variance_bounds)
        start = self.initial_log_variance
        self.log_variance = self.add_weight(
            name="log_variance",
            shape=(self.num_tasks,),
            initializer=keras.initializers.Constant(
                0.0 if start == FIRST_LOSS else start),
            constraint=constraint,
            aggregation="mean",
        )
        if start == FIRST_LOSS:
            # 1 for each task whose log-variance has been started.
            self.started = self.add_weight(
                name="started", shape=(self.num_tasks,),
                initializer="zeros", trainable=False, aggregation="mean")

    def combine(self, losses, training):
        if training and self.initial_log_variance == FIRST_LOSS:
            self._start_from(losses)
        s = ops.cast(self.log_variance, losses.dtype)
        return ops.sum(self.weighted(losses, s), axis=-1)

    def weighted(self, losses, s):
        """Each task's term of the total, for log-variances `s`."""
        return ops.exp(-s) * losses + 0.5 * s

    def optimum(self, losses):
        """The s_t that minimises a task's term for a fixed loss L_t."""
        return ops.log(2.0 * losses)

    def _start_from(self, losses):
        losses = self.step_losses(losses)
        fresh = (1.0 - ops.cast(self.started, losses.dtype)) * annotated(
            losses)
        start = self.optimum(ops.maximum(losses, 1e-12))
        if self.log_variance_bounds is not None:
            start = ops.clip(start, *self.log_variance_bounds)
        current = ops.cast(self.log_variance, losses.dtype)
        self.log_variance.assign(ops.cast(
            fresh * start + (1.0 - fresh) * current, self.log_variance.dtype))
        self.started.assign(ops.maximum(
            ops.cast(self.started, losses.dtype), fresh))

    def task_weights(self):
        if self.num_tasks == 1:
            return ops.ones((1,), "float32")
        return ops.softmax(-ops.convert_to_tensor(self.log_variance), axis=-1)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "log_variance_bounds": self.log_variance_bounds,
                "initial_log_variance": self.initial_log_variance,
            }
        )
        return config


class _Clip(keras.constraints.Constraint):
    """Clips a variable into `[low, high]` after each optimizer step."""

    def __init__(self, low, high):
        self.low = low
        self.high = high

    def __call__(self, w):
        return ops.clip(w, self.low, self.high)

    def get_config(self):
        return {"low": self.low, "high": self.high}
