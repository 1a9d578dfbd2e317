"""The base class of a task specification."""

import keras



class Task:
    """Describes one attribute a multi-task model learns.

    A task knows the head that predicts it, the loss and metrics that train and
    measure it, and how to turn the head's raw output into an answer a person
    can read. The model, its losses, its metrics and its decoding all follow
    from a list of tasks, so a new kind of task is one new subclass.

    Subclasses set `kind` (for example `"ordinal"`) and implement
    `build_head`, `loss`, `metrics`, `predict_index` and `decode`.

    Args:
        name: str. The task's name: a Python identifier, used as the name of
            the model output and as the key of the label dictionary.
    """

    kind = None

    def __init__(self, name):
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(
                f"A task name must be a Python identifier, got {name!r}."
            )
        self.name = name

    @property
    def category(self):
        """The category of the task; tasks of one category may share layers."""
        return self.kind

    def build_head(self):
        """Returns a new layer mapping pooled features to the raw output."""
        raise NotImplementedError

    def loss(self):
        """Returns a Keras loss that ignores `MISSING_LABEL` labels."""
        raise NotImplementedError

    def metrics(self):
        """Returns a list of Keras metrics that ignore `MISSING_LABEL`."""
        raise NotImplementedError

    def predict_index(self, output):
        """Returns the predicted class or rank index for each example."""
        raise NotImplementedError

    def chance_metrics(self, train_labels, test_labels):
        """The metrics a constant guess learned from training labels gets.

        Args:
            train_labels: array of training labels (-1 for missing).
            test_labels: array of test labels (-1 for missing).

        Returns:
            A dict from metric name (as in `metrics()`) to its value on the
            annotated test labels.
        """
        raise NotImplementedError

    def decode(self, output):
        """Decodes a batch of raw outputs into one dictionary per example."""
        raise NotImplementedError

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return type(self) is type(other) and self.get_config() == (
            other.get_config()
        )

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def serialize_tasks(tasks):
    """Serializes a list of tasks for a model config."""
    return [keras.saving.serialize_keras_object(task) for task in tasks]


def deserialize_tasks(configs):
    """Restores a list of tasks serialized by `serialize_tasks`."""
    return [
        config
        if isinstance(config, Task)
        else keras.saving.deserialize_keras_object(config)
        for config in configs
    ]
