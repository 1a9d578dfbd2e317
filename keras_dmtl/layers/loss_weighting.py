"""The base class of the ways a multi-task model weighs its task losses."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_dmtl")
class LossWeighting(keras.layers.Layer):
    """Combines one loss per task into the total a model minimises.

    Each subclass is one weighting method: learned uncertainty
    (`UncertaintyWeighting`, `BoundedUncertaintyWeighting`), fixed weights
    (`FixedWeighting`), dynamic weight averaging (`DynamicWeightAverage`),
    random weights (`RandomLossWeighting`). `DMTLModel(loss_weighting=...)`
    takes one of them, or its name in `LOSS_WEIGHTINGS`; the layer is part
    of the model, saved and restored with it, and its state (learned
    log-variances, past epochs' losses, a random generator) resumes with
    the model.

    A subclass implements `combine(losses, training)` and
    `task_weights()`, and, if it looks at whole epochs, `end_epoch()`,
    which `DMTLModel.fit` calls after each epoch.

    Args:
        task_names: list of str, one name per task, in the order the losses
            are passed. None lets `DMTLModel` give its tasks' names.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: the task losses: a list or tuple of scalars, a dict from
            task name to scalar, or a tensor whose last axis has one entry
            per task.
        training: bool, whether this is a training step (methods with state
            update it only then).

    Returns:
        The weighted total, a scalar (or the input's leading shape).

    Example:

    ```python
    weighting = keras_dmtl.layers.FixedWeighting(["age", "gender"],
                                                 fixed_weights=[0.2, 0.8])
    total = weighting([age_loss, gender_loss])
    betas = weighting.task_weights()  # (0.2, 0.8)
    ```
    """

    # DMTLModel's arguments a method uses, and the constructor argument
    # each becomes; see `for_tasks`.
    model_arguments = {}

    def __init__(self, task_names=None, **kwargs):
        super().__init__(**kwargs)
        if task_names is not None:
            task_names = [str(n) for n in task_names]
            if not task_names:
                raise ValueError(
                    f"{type(self).__name__} needs at least one task.")
        self.task_names = task_names

    @classmethod
    def for_tasks(cls, task_names, task_weights=None,
                  log_variance_bounds=None, **options):
        """The method for `task_names`, from `DMTLModel`'s arguments.

        `task_weights` belongs to fixed weights and `log_variance_bounds`
        to the learned log-variances: a method that has no use for one
        refuses it rather than ignore it.
        """
        given = {"task_weights": task_weights,
                 "log_variance_bounds": log_variance_bounds}
        for name, value in given.items():
            if value is not None and name not in cls.model_arguments:
                raise ValueError(
                    f"{name} does not apply to {cls.__name__}; it is for "
                    + {"task_weights": "loss_weighting='fixed'",
                       "log_variance_bounds": "the learned weightings "
                       "('learned', 'bounded')"}[name] + ".")
        for name, argument in cls.model_arguments.items():
            options[argument] = given[name]
        return cls(task_names, **options)

    def bind(self, task_names):
        """Gives the layer the model's task names (before it is built)."""
        task_names = [str(n) for n in task_names]
        if self.task_names is not None and self.task_names != task_names:
            raise ValueError(
                f"{type(self).__name__} was made for tasks "
                f"{self.task_names}; the model's are {task_names}.")
        if self.built and self.task_names is None:
            raise ValueError("bind() must come before the layer is built.")
        self.task_names = task_names
        return self

    @property
    def num_tasks(self):
        if self.task_names is None:
            raise ValueError(f"{type(self).__name__} has no task names yet: "
                             "pass task_names or give it to a DMTLModel.")
        return len(self.task_names)

    def build(self, input_shape=None):
        """Creates the method's state; it depends on the tasks only."""

    def _stack(self, inputs):
        if isinstance(inputs, dict):
            inputs = [inputs[name] for name in self.task_names]
        if isinstance(inputs, (list, tuple)):
            inputs = ops.stack([ops.convert_to_tensor(x) for x in inputs], -1)
        return ops.cast(inputs, self.compute_dtype)

    def step_losses(self, losses):
        """One loss per task for the step, averaged over any leading axes,
        outside the gradient: what methods with state learn from."""
        losses = ops.stop_gradient(losses)
        if len(losses.shape) > 1:
            losses = ops.mean(ops.reshape(losses, (-1, self.num_tasks)), 0)
        return losses

    def call(self, inputs, training=False):
        return self.combine(self._stack(inputs), bool(training))

    def combine(self, losses, training):
        """The total for `losses`, a tensor whose last axis is the tasks."""
        raise NotImplementedError

    def task_weights(self):
        """The normalised weight beta of every task; they sum to 1."""
        raise NotImplementedError

    def end_epoch(self):
        """Called after each training epoch; methods that use epochs
        override it."""

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict) or (
            isinstance(input_shape, (list, tuple))
            and (not input_shape or isinstance(input_shape[0], (list, tuple)))
        ):
            return ()
        return tuple(input_shape[:-1])

    def get_config(self):
        config = super().get_config()
        config.update({"task_names": None if self.task_names is None
                       else list(self.task_names)})
        return config


def annotated(losses):
    """1 where a task's loss is positive (the batch annotates it), else 0.

    A task whose faces are all unlabelled in a batch has a loss of exactly 0;
    methods that learn from loss values leave such entries out.
    """
    return ops.cast(ops.greater(losses, 0), losses.dtype)
