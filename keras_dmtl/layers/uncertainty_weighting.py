"""Weighs several task losses by learned homoscedastic uncertainty."""

import keras
from keras import ops

LEARNED = "learned"
FIXED = "fixed"


@keras.saving.register_keras_serializable(package="keras_dmtl")
class UncertaintyWeighting(keras.layers.Layer):
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

    In `"fixed"` mode the layer learns nothing and returns sum_t w_t L_t with
    the given weights: the manual-weight baseline.

    Args:
        task_names: list of str, one name per task, in the order the losses
            are passed.
        mode: `"learned"` (default) or `"fixed"`.
        fixed_weights: list of float, one weight per task; required in fixed
            mode, not allowed in learned mode.
        log_variance_bounds: optional `(min, max)` bounds on each s_t. A task
            whose loss reaches zero drives its s_t to minus infinity and its
            weight to infinity; a lower bound such as -6 prevents that
            collapse. Defaults to None (unbounded), as in the paper.
        initial_log_variance: float, the starting s_t. Defaults to 0
            (sigma = 1, equal weights).
        **kwargs: base layer arguments.

    Call arguments:
        inputs: the task losses: a list or tuple of scalars, or a tensor
            whose last axis has one entry per task.

    Returns:
        The weighted total, a scalar (or the input's leading shape).

    Example:

    ```python
    weighting = keras_dmtl.layers.UncertaintyWeighting(["age", "gender"])
    total = weighting([age_loss, gender_loss])
    betas = weighting.task_weights()  # shape (2,), sums to 1
    ```
    """

    def __init__(
        self,
        task_names,
        mode=LEARNED,
        fixed_weights=None,
        log_variance_bounds=None,
        initial_log_variance=0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        task_names = [str(n) for n in task_names]
        if not task_names:
            raise ValueError("UncertaintyWeighting needs at least one task.")
        if mode not in (LEARNED, FIXED):
            raise ValueError(
                f"mode must be '{LEARNED}' or '{FIXED}', got {mode!r}."
            )
        if mode == FIXED:
            if fixed_weights is None or len(fixed_weights) != len(task_names):
                raise ValueError(
                    f"Fixed mode needs one weight per task ({task_names}), "
                    f"got fixed_weights={fixed_weights!r}."
                )
            fixed_weights = [float(w) for w in fixed_weights]
            if min(fixed_weights) < 0 or sum(fixed_weights) <= 0:
                raise ValueError(
                    "fixed_weights must be non-negative with a positive sum, "
                    f"got {fixed_weights}."
                )
        elif fixed_weights is not None:
            raise ValueError("fixed_weights is only used in fixed mode.")
        if log_variance_bounds is not None:
            low, high = (float(b) for b in log_variance_bounds)
            if not low < high:
                raise ValueError(
                    f"log_variance_bounds must be (min, max) with min < max, "
                    f"got {log_variance_bounds!r}."
                )
            log_variance_bounds = (low, high)
        self.task_names = task_names
        self.mode = mode
        self.fixed_weights = fixed_weights
        self.log_variance_bounds = log_variance_bounds
        self.initial_log_variance = float(initial_log_variance)

    def build(self, input_shape=None):
        constraint = None
        if self.log_variance_bounds is not None:
            constraint = _Clip(*self.log_variance_bounds)
        self.log_variance = self.add_weight(
            name="log_variance",
            shape=(len(self.task_names),),
            initializer=keras.initializers.Constant(self.initial_log_variance),
            constraint=constraint,
            trainable=self.mode == LEARNED,
        )

    def _stack(self, inputs):
        if isinstance(inputs, dict):
            inputs = [inputs[name] for name in self.task_names]
        if isinstance(inputs, (list, tuple)):
            inputs = ops.stack([ops.convert_to_tensor(x) for x in inputs], -1)
        return ops.cast(inputs, self.compute_dtype)

    def call(self, inputs):
        losses = self._stack(inputs)
        if self.mode == FIXED:
            weights = ops.convert_to_tensor(self.fixed_weights, losses.dtype)
            return ops.sum(losses * weights, axis=-1)
        s = ops.cast(self.log_variance, losses.dtype)
        return ops.sum(ops.exp(-s) * losses + 0.5 * s, axis=-1)

    def task_weights(self):
        """The normalised weights beta_i; they sum to 1."""
        if self.mode == FIXED:
            weights = ops.convert_to_tensor(self.fixed_weights, "float32")
            return weights / ops.sum(weights)
        if len(self.task_names) == 1:
            return ops.ones((1,), "float32")
        return ops.softmax(-ops.convert_to_tensor(self.log_variance), axis=-1)

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, (list, tuple)) and (
            not input_shape or isinstance(input_shape[0], (list, tuple))
        ):
            return ()
        return tuple(input_shape[:-1])

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "task_names": list(self.task_names),
                "mode": self.mode,
                "fixed_weights": self.fixed_weights,
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
