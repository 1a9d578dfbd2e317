"""The base class of a loss that couples two tasks through a table."""

import keras
import numpy as np
from keras import ops

from keras_dmtl.coupling.task_relatedness import TaskRelatedness
from keras_dmtl.tasks.task import find_task


class Coupling:
    """A loss tying a nominal task to a multi-label task (FaceBehaviorNet).

    A coupling reads the model's raw outputs (and, for some, the labels) of
    the two tasks its `TaskRelatedness` names and returns one scalar.
    `DMTLModel(coupling=[...])` weighs it with the task losses in its
    `UncertaintyWeighting` and logs it as `<name>_loss`. Subclasses set
    `default_name` and implement `call`.

    Args:
        relatedness: `TaskRelatedness` (or its config): rows are classes
            of the nominal task `relatedness.source` (expressions), columns
            labels of the multi-label task `relatedness.target` (AUs).
        name: str, a Python identifier; defaults to `default_name`.
        missing: None or a probability: the table entry of a task label
            the table lacks (see `TaskRelatedness.for_tasks`). None
            (default) makes such a label an error.
    """

    default_name = None

    def __init__(self, relatedness, name=None, missing=None):
        if isinstance(relatedness, dict):
            relatedness = keras.saving.deserialize_keras_object(relatedness)
        if not isinstance(relatedness, TaskRelatedness):
            raise ValueError(f"{type(self).__name__} needs a TaskRelatedness"
                             f", got {relatedness!r}.")
        name = self.default_name if name is None else name
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"A coupling name must be a Python identifier, "
                             f"got {name!r}.")
        self.relatedness = relatedness
        self.name = name
        self.missing = missing
        self.matrix = relatedness.matrix.astype("float32")

    @property
    def source(self):
        """The name of the nominal task (expressions)."""
        return self.relatedness.source

    @property
    def target(self):
        """The name of the multi-label task (action units)."""
        return self.relatedness.target

    def bind(self, tasks):
        """Matches the table to the model's tasks, found by name.

        Sets `matrix` to the table with rows in the source task's class
        order and columns in the target task's label order.

        Raises:
            ValueError: naming the coupling, when a task is absent or the
                table does not cover its classes or labels.
        """
        try:
            source = find_task(tasks, self.source)
            target = find_task(tasks, self.target)
            aligned = self.relatedness.for_tasks(source, target,
                                                 missing=self.missing)
        except ValueError as error:
            raise ValueError(f"coupling '{self.name}': {error}") from None
        self.matrix = aligned.matrix.astype("float32")
        return self

    def __call__(self, labels, outputs):
        """The coupling loss, a float32 scalar.

        Args:
            labels: dict from task name to its labels (-1 not annotated).
            outputs: dict from task name to its raw head output.
        """
        return self.call(labels, outputs)

    def call(self, labels, outputs):
        raise NotImplementedError

    def _logits(self, outputs):
        return (ops.cast(outputs[self.source], "float32"),
                ops.cast(outputs[self.target], "float32"))

    def get_config(self):
        return {
            "relatedness": keras.saving.serialize_keras_object(
                self.relatedness),
            "name": self.name,
            "missing": self.missing,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return (f"{type(self).__name__}(name={self.name!r}, "
                f"{self.source} -> {self.target})")


def bind_couplings(coupling, tasks):
    """Coupling losses, restored if serialized, bound to a model's tasks.

    Args:
        coupling: None or a list of `Coupling` objects or their serialized
            configs.
        tasks: the model's tasks.

    Returns:
        The list of bound couplings (empty for None).

    Raises:
        ValueError: for an entry that is not a coupling, a task a coupling
            names that is absent, or a name used twice among the tasks and
            couplings.
    """
    couplings = []
    for item in coupling or []:
        if isinstance(item, dict):
            item = keras.saving.deserialize_keras_object(item)
        if not isinstance(item, Coupling):
            raise ValueError(
                f"coupling must be a list of keras_dmtl.coupling losses, got "
                f"{item!r}.")
        couplings.append(item.bind(tasks))
    names = [task.name for task in tasks] + [c.name for c in couplings]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"Coupling names must differ from each other and "
                         f"from the task names; {repeated} repeat in {names}.")
    return couplings


def expression_log_scores(log_present, log_absent, matrix,
                          empty_class_score=None):
    """Keras ops: log of prod_i p_i^M[e, i], per face and class.

    A class whose row of `matrix` is all zero (neutral) has no action unit
    to score it by; its log-score is either the log-probability that none
    of the action units any class uses is present, sum_i log(1 - p_i)
    (`empty_class_score=None`), or the constant `empty_class_score`.

    Args:
        log_present: `(batch, L)` log p_i.
        log_absent: `(batch, L)` log (1 - p_i).
        matrix: NumPy `(E, L)` table.
        empty_class_score: None or a float.

    Returns:
        `(batch, E)` log-scores; a softmax over them normalises the product
        over classes.
    """
    matrix = np.asarray(matrix, "float32")
    scores = ops.matmul(log_present, ops.convert_to_tensor(matrix.T))
    empty = matrix.sum(axis=1) == 0
    if not empty.any():
        return scores
    if empty_class_score is None:
        used = (matrix.sum(axis=0) > 0).astype("float32")
        fill = ops.matmul(log_absent, ops.convert_to_tensor(used[:, None]))
    else:
        fill = ops.full_like(scores[:, :1], float(empty_class_score))
    return ops.where(ops.convert_to_tensor(empty[None, :]), fill, scores)
