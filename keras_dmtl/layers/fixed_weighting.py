"""Fixed task weights: the manual-weight baseline."""

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
        fixed_weights: list of float, one non-negative weight per task,
            with a positive sum.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: the task losses (see `LossWeighting`).
        training: unused.

    Example:

    ```python
    weighting = keras_dmtl.layers.FixedWeighting(["age", "gender"],
                                                 fixed_weights=[0.25, 0.75])
    weighting([2.0, 4.0])  # 0.25 * 2 + 0.75 * 4 = 3.5
    ```
    """

    model_arguments = {"task_weights": "fixed_weights"}

    def __init__(self, task_names=None, fixed_weights=None, **kwargs):
        super().__init__(task_names, **kwargs)
        weights = fixed_weights
        if weights is None:
            raise ValueError("FixedWeighting needs one weight per task "
                             "(task_weights=[...]).")
        weights = [float(w) for w in weights]
        if task_names is not None and len(weights) != len(self.task_names):
            raise ValueError(
                f"Fixed weights need one weight per task ({self.task_names})"
                f", got {weights!r}.")
        if min(weights) < 0 or sum(weights) <= 0:
            raise ValueError("Fixed weights must be non-negative with a "
                             f"positive sum, got {weights}.")
        self.fixed_weights = weights

    def combine(self, losses, training):
        weights = ops.convert_to_tensor(self.fixed_weights, losses.dtype)
        return ops.sum(losses * weights, axis=-1)

    def task_weights(self):
        weights = ops.convert_to_tensor(self.fixed_weights, "float32")
        return weights / ops.sum(weights)

    def load_own_variables(self, store):
        # Files written before this class existed stored an unused
        # log-variance for fixed weights; there is nothing to restore.
        pass

    def get_config(self):
        config = super().get_config()
        config.update({"fixed_weights": list(self.fixed_weights)})
        return config
