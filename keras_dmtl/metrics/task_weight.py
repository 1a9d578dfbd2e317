"""A metric that reports the latest weight of a task."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_dmtl")
class TaskWeight(keras.metrics.Metric):
    """Holds the last value it was given: a task's weight beta.

    The model updates it at every step with `UncertaintyWeighting`'s beta
    for one task, so the epoch logs and the History hold every task's
    weight as it stood at the end of the epoch.

    Args:
        name: name of the metric, such as `"age_beta"`.
        dtype: dtype of the metric's state.

    Example:

    ```python
    beta = keras_dmtl.metrics.TaskWeight(name="age_beta")
    beta.update_state(0.4)
    beta.result()  # 0.4
    ```
    """

    def __init__(self, name, dtype="float32"):
        super().__init__(name=name, dtype=dtype)
        # Every replica of a tf.distribute strategy holds the same value:
        # their mean, not their sum (a metric's default), is that value.
        self.value = self.add_variable(
            shape=(), initializer="zeros", dtype=dtype, aggregation="mean",
            name="value"
        )

    def update_state(self, value):
        self.value.assign(ops.cast(value, self.dtype))

    def result(self):
        # A read, as Keras's own metrics do: the value of a variable that
        # tf.distribute spreads over replicas, rather than the variable.
        return ops.cast(self.value, self.dtype)

    def reset_state(self):
        self.value.assign(0.0)
