"""Fixed task weights: the manual-weight baseline."""

import math

import keras
from keras import ops

from keras_dmtl.layers.loss_weighting import LossWeighting


@keras.saving.register_keras_serializable(package="keras_dmtl")
class FixedWeighting(LossWeighting):
    """Returns sum_t w_t L_t with weights chosen by hand; learns nothing.

    The baseline every learned weighting is compared with (the tuning
    recipe searches these weights with KerasTuner).

    Args:
        task_names: list of str, one name per task.
        fixed_weights: one non-negative weight per task, with a positive
            sum: a list of floats in the order of `task_names`, or a dict
            from task name to weight (every task named once, as
            `--task-weights age=0.01,gender=0.7` gives them).
        **kwargs: base layer arguments.

    Call arguments:
        inputs: the task losses (see `LossWeighting`).
        training: unused.

    Example:

    ```python
    weighting = keras_dmtl.layers.FixedWeighting(["age", "gender"],
                                                 fixed_weights=[0.25, 0.75])
    weighting([2.0, 4.0])  # 0.25 * 2 + 0.75 * 4 = 3.5
    by_name = keras_dmtl.layers.FixedWeighting(
        ["age", "gender"], fixed_weights={"gender": 0.75, "age": 0.25})
    ```
    """

    model_arguments = {"task_weights": "fixed_weights"}

    def __init__(self, task_names=None, fixed_weights=None, **kwargs):
        super().__init__(task_names, **kwargs)
        if fixed_weights is None:
            raise ValueError("FixedWeighting needs one weight per task "
                             "(task_weights=[...]).")
        if isinstance(fixed_weights, dict):
            fixed_weights = {str(k): float(w)
                             for k, w in fixed_weights.items()}
        else:
            fixed_weights = [float(w) for w in fixed_weights]
        weights = list(fixed_weights.values() if isinstance(
            fixed_weights, dict) else fixed_weights)
        if (min(weights, default=-1) < 0 or sum(weights) <= 0
                or not all(math.isfinite(w) for w in weights)):
            raise ValueError("Fixed weights must be finite, non-negative, "
                             f"with a positive sum, got {fixed_weights}.")
        self.fixed_weights = fixed_weights
        if self.task_names is not None:
            self.weights_in_order()  # checked against the tasks now

    def bind(self, task_names):
        _in_order(self.fixed_weights, [str(n) for n in task_names])
        return super().bind(task_names)

    def weights_in_order(self):
        """The weights as a list in the order of `task_names`.

        Raises:
            ValueError: when they do not give one weight to each task.
        """
        return _in_order(self.fixed_weights, self.task_names)

    def combine(self, losses, training):
        weights = ops.convert_to_tensor(self.weights_in_order(),
                                        losses.dtype)
        return ops.sum(losses * weights, axis=-1)

    def task_weights(self):
        weights = ops.convert_to_tensor(self.weights_in_order(), "float32")
        return weights / ops.sum(weights)

    def load_own_variables(self, store):
        # Files written before this class existed stored an unused
        # log-variance for fixed weights; there is nothing to restore.
        pass

    def get_config(self):
        config = super().get_config()
        weights = self.fixed_weights
        config.update({"fixed_weights": dict(weights)
                       if isinstance(weights, dict) else list(weights)})
        return config


def _in_order(weights, names):
    """`weights` (a list, or a dict by name) as a list in `names`' order."""
    if isinstance(weights, dict):
        if names is None:
            raise ValueError("Fixed weights by name need the task names.")
        if set(weights) != set(names):
            raise ValueError(
                f"Fixed weights need one weight per task ({names}): "
                f"missing {sorted(set(names) - set(weights))}, unknown "
                f"{sorted(set(weights) - set(names))}.")
        return [weights[name] for name in names]
    if names is not None and len(weights) != len(names):
        raise ValueError(
            f"Fixed weights need one weight per task ({names}), got "
            f"{weights!r}.")
    return list(weights)
