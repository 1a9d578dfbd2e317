"""Streams a dataset through a model, keeping only per-example answers."""

import numpy as np

from keras_dmtl.progress import progress


class TaskPredictions:
    """Labels and answers of one task over a dataset.

    The answers are kept as the task's artifact outputs (`numpy_outputs`),
    the same dictionary an exported model gives, so every score, table and
    figure is computed by the task itself from `labels` and `outputs`.

    Args:
        task: the `Task`.
        labels: the task's labels for every example, of the shape the task
            declares (`(n,)` for one number per face, `(n, L)` for several),
            missing entries marked by `task.missing_value`.
        outputs: the task's artifact outputs (a dict, as
            `task.numpy_outputs` gives), or the head's raw output (an
            array), which is turned into them.

    Attributes:
        task: the `Task`.
        labels: the labels, as given.
        outputs: dict from output name to a NumPy array, one row per example.
        annotated: bool array, one per example: does it carry a label?

    Example:

    ```python
    gender = keras_dmtl.NominalTask("gender", ["male", "female"])
    p = TaskPredictions(gender, np.array([0, 1, -1]),
                        np.array([[2.0, -1.0], [0.0, 1.0], [1.0, 0.0]]))
    p.outputs["gender"]  # array([0, 1, 0], dtype=int32)
    p.annotated          # array([ True,  True, False])
    ```
    """

    def __init__(self, task, labels, outputs):
        self.task = task
        self.labels = np.asarray(labels)
        if not isinstance(outputs, dict):
            outputs = task.numpy_outputs(outputs)
        self.outputs = {name: np.asarray(value)
                        for name, value in outputs.items()}
        self.annotated = np.asarray(task.annotated(self.labels), bool)

    def __len__(self):
        return len(self.labels)

    def subset(self, mask):
        """The predictions of the examples in a bool or index `mask`."""
        return TaskPredictions(
            self.task, self.labels[mask],
            {name: value[mask] for name, value in self.outputs.items()})


def collect_predictions(model, dataset, tasks=None):
    """Runs `model` over `dataset` one batch at a time.

    Only labels and each batch's artifact outputs (`task.numpy_outputs`)
    are kept, never the images, so a dataset larger than memory streams
    through. Uses the model's compiled prediction step
    (`predict_on_batch`). A progress bar shows on a terminal
    (`keras_dmtl.progress`).

    Args:
        model: a `DMTLModel`.
        dataset: yields `(images, {task: labels})` batches.
        tasks: the tasks to collect; defaults to the model's tasks that the
            dataset labels.

    Returns:
        A dict from task name to `TaskPredictions`.

    Raises:
        ValueError: if the dataset is empty or labels none of the tasks.

    Example:

    ```python
    data = keras_dmtl.data.face_dataset(examples, model.tasks, 64)
    predictions = collect_predictions(model, data)
    predictions["gender"].outputs["gender_probabilities"].shape  # (n, 2)
    ```
    """
    tasks = list(tasks or model.tasks)
    outputs = {task.name: {} for task in tasks}
    labels = {task.name: [] for task in tasks}
    batches = 0
    for images, batch_labels in progress(dataset, description="Predicting",
                                         unit="batch"):
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
            answers = task.numpy_outputs(np.asarray(predicted[task.name]))
            for name, value in answers.items():
                outputs[task.name].setdefault(name, []).append(
                    np.asarray(value))
            labels[task.name].append(np.asarray(batch_labels[task.name]))
        batches += 1
    if batches == 0:
        raise ValueError("The dataset is empty: nothing to evaluate.")
    return {
        task.name: TaskPredictions(
            task, np.concatenate(labels[task.name]),
            {name: np.concatenate(parts)
             for name, parts in outputs[task.name].items()})
        for task in tasks
    }
