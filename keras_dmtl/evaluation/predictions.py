"""Streams a dataset through a model, keeping only per-example answers."""

import numpy as np

from keras_dmtl.labels import MISSING_LABEL
from keras_dmtl.tasks.ordinal_task import OrdinalTask


class TaskPredictions:
    """Labels and predictions of one task over a dataset.

    Attributes:
        task: the `Task`.
        labels: int array of labels as given (-1 for not annotated).
        true_index: class or rank index of each label (-1 if missing).
        pred_index: predicted class or rank index.
        true_value, pred_value: rank values (years) for ordinal tasks, and
            for nominal tasks whose class names are all numbers (ages as
            plain classes); else None.
        probabilities: for nominal tasks, `(n, classes)`; else None.
    """

    def __init__(self, task, labels, outputs):
        self.task = task
        self.labels = np.asarray(labels).reshape(-1).astype("int64")
        annotated = self.labels != MISSING_LABEL
        self.pred_index = np.asarray(task.predict_index(outputs), "int64")
        if isinstance(task, OrdinalTask):
            values = np.asarray(task.values, "float64")
            self.true_index = np.where(
                annotated, task.label_index(np.maximum(self.labels, 0)), -1)
            self.pred_value = values[self.pred_index]
            self.true_value = np.where(
                annotated, values[np.maximum(self.true_index, 0)], np.nan)
            self.probabilities = None
        else:
            self.true_index = self.labels
            self.pred_value = self.true_value = None
            values = _numeric(task.classes)
            if values is not None:  # such as ages as plain classes
                self.pred_value = values[self.pred_index]
                self.true_value = np.where(
                    annotated, values[np.maximum(self.labels, 0)], np.nan)
            logits = np.asarray(outputs, "float64")
            logits = logits - logits.max(-1, keepdims=True)
            probs = np.exp(logits)
            self.probabilities = probs / probs.sum(-1, keepdims=True)

    @property
    def annotated(self):
        return self.labels != MISSING_LABEL


def _numeric(names):
    try:
        return np.array([float(name) for name in names])
    except ValueError:
        return None


def collect_predictions(model, dataset, tasks=None):
    """Runs `model` over `dataset` one batch at a time.

    Only labels and small per-example outputs are kept, never the images,
    so a dataset larger than memory streams through. Uses the model's
    compiled prediction step (`predict_on_batch`).

    Args:
        model: a `DMTLModel`.
        dataset: yields `(images, {task: labels})` batches.
        tasks: the tasks to collect; defaults to the model's tasks that the
            dataset labels.

    Returns:
        A dict from task name to `TaskPredictions`.

    Raises:
        ValueError: if the dataset is empty or labels none of the tasks.
    """
    tasks = list(tasks or model.tasks)
    outputs = {task.name: [] for task in tasks}
    labels = {task.name: [] for task in tasks}
    batches = 0
    for images, batch_labels in dataset:
        if batches == 0:
            given = [t.name for t in tasks if t.name in batch_labels]
            if not given:
                raise ValueError(
                    f"The data labels {sorted(batch_labels)} but the model's "
                    f"tasks are {[t.name for t in tasks]}: nothing to evaluate."
                )
            tasks = [t for t in tasks if t.name in given]
        predicted = model.predict_on_batch(images)
        for task in tasks:
            outputs[task.name].append(np.asarray(predicted[task.name]))
            labels[task.name].append(np.asarray(batch_labels[task.name]))
        batches += 1
    if batches == 0:
        raise ValueError("The dataset is empty: nothing to evaluate.")
    return {
        task.name: TaskPredictions(task, np.concatenate(labels[task.name]),
                                   np.concatenate(outputs[task.name]))
        for task in tasks
    }
