"""A labelled set of face images, as the readers return it."""

import os
import warnings

import numpy as np

from keras_dmtl.labels import MISSING_LABEL


class FaceExamples:
    """Face images with labels for some tasks, from one dataset.

    Images are either files (`paths`) or an in-memory `uint8` array
    (`images`, for datasets shipped as pixel tables such as `fer2013.csv`).
    Labels are arrays keyed by task name, of the shape and dtype each task
    declares (`task.label_shape`, `task.label_dtype`): one int per example
    for ordinal and nominal tasks, `(n, L)` ints for a multi-label task,
    `(n, K)` floats for a regression task, with the task's missing marker
    (`-1`, or NaN for regression) where an image is not annotated. Each
    array is checked by its task (`task.as_labels`) when the examples are
    made, so a wrong shape, an out-of-range value or a fraction where a
    task takes whole numbers (a class 1.7) fails here, naming the dataset
    and the task, rather than inside a training epoch or by truncation.

    Args:
        source: str, the dataset's name.
        tasks: list of `Task`, one per label array.
        labels: dict from task name to an array of that task's labels.
        paths: list of str, image files; or None.
        images: array `(n, h, w, 3)` or `(n, h, w)` of uint8; or None.
        subjects: optional array of subject ids (one person's images share
            one), for subject-exclusive splits.
        content_ids: optional array of content fingerprints (byte-identical
            images share one), so that splits keep copies together.
        report: the `ReadReport` of the reader.

    Example:

    ```python
    aus = keras_dmtl.MultiLabelTask("aus", labels=["AU1", "AU12"])
    examples = keras_dmtl.data.FaceExamples(
        "mine", [aus], {"aus": [[1, 0], [0, -1]]}, paths=["a.png", "b.png"])
    examples.labels["aus"].shape  # (2, 2), int32
    ```
    """

    def __init__(self, source, tasks, labels, paths=None, images=None,
                 subjects=None, content_ids=None, report=None):
        if (paths is None) == (images is None):
            raise ValueError("Give exactly one of `paths` or `images`.")
        count = len(paths) if paths is not None else len(images)
        names = [task.name for task in tasks]
        if sorted(names) != sorted(labels):
            raise ValueError(f"{source}: tasks {names} do not match labels "
                             f"{list(labels)}")
        self.source = source
        self.tasks = list(tasks)
        for task in self.tasks:
            _check_whole_numbers(source, task, labels[task.name])
        self.labels = {
            task.name: task.as_labels(labels[task.name], count,
                                      where=f"{source}")
            for task in self.tasks
        }
        self.paths = None if paths is None else list(paths)
        self.images = None if images is None else np.asarray(images)
        self.subjects = None if subjects is None else np.asarray(subjects)
        self.content_ids = (
            None if content_ids is None else np.asarray(content_ids)
        )
        self.report = report

    def __len__(self):
        return len(self.paths) if self.paths is not None else len(self.images)

    @property
    def task_names(self):
        return [task.name for task in self.tasks]

    def subset(self, indices):
        """The examples at `indices`, as a new `FaceExamples`."""
        indices = np.asarray(indices, dtype="int64")
        return FaceExamples(
            self.source,
            self.tasks,
            {n: v[indices] for n, v in self.labels.items()},
            paths=None if self.paths is None else [self.paths[i] for i in indices],
            images=None if self.images is None else self.images[indices],
            subjects=None if self.subjects is None else self.subjects[indices],
            content_ids=(None if self.content_ids is None
                         else self.content_ids[indices]),
            report=self.report,
        )

    def labels_for(self, tasks):
        """The label arrays of `tasks`, filled in for tasks these lack.

        Args:
            tasks: a list of `Task` objects (a model's tasks) or of task
                names. For a `Task` the examples annotate, their labels are
                checked against it (`task.as_labels`: a model's task with a
                different label shape or class count is a `ValueError`
                naming both); for one they lack, the result holds
                `task.missing_labels(len(self))`, of the task's own shape
                and dtype. A name the examples lack gets a `-1` int32
                vector, which is only right for an ordinal or nominal task:
                pass `Task` objects when mixing other kinds.

        Returns:
            A dict from task name to a label array with one entry per
            example.
        """
        result = {}
        for task in tasks:
            if isinstance(task, str):
                result[task] = self.labels.get(
                    task, np.full(len(self), MISSING_LABEL, dtype="int32"))
            elif task.name in self.labels:
                result[task.name] = task.as_labels(
                    self.labels[task.name], len(self),
                    where=f"{self.source}, for the model's task")
            else:
                result[task.name] = task.missing_labels(len(self))
        return result

    def to_csv(self, path, image_column="image"):
        """Writes the image paths and labels as a CSV `read_table` reads.

        Each task writes its own columns (`task.label_columns()`: one for an
        ordinal or nominal task, one per label or output for the others)
        with `task.label_cells`: class indices, rank values for ordinal
        tasks with `ranks`, 1/0 per label, numbers per output; a value that
        is not annotated is left blank.
        """
        import pandas as pd

        if self.paths is None:
            raise ValueError(f"{self.source}: in-memory images have no paths "
                             "to write")
        frame = pd.DataFrame({image_column: [os.path.abspath(p)
                                             for p in self.paths]})
        for task in self.tasks:
            rows = [task.label_cells(label)
                    for label in self.labels[task.name]]
            for column in task.label_columns():
                values = [row[column] for row in rows]
                given = [v for v in values if v is not None]
                if all(isinstance(v, (int, np.integer)) for v in given):
                    frame[column] = pd.array(values, dtype="Int64")
                else:  # shortest text that reads back to the same value
                    kind = np.dtype(task.label_dtype).type
                    frame[column] = pd.array(
                        [None if v is None else float(str(kind(v)))
                         for v in values], dtype="Float64")
        frame.to_csv(path, index=False)

    def summary(self):
        return self.report.summary() if self.report else (
            f"{self.source}: {len(self)} examples"
        )


def require_labels(where, tasks, labels, columns=None):
    """Raises a `ValueError` when no example carries a label for any task.

    A reader calls this on what it read: data that labels none of the
    tasks asked for (a table whose label cells are all blank) would
    otherwise train or evaluate nothing and report nothing.

    Args:
        where: str, the file or dataset, for the message.
        tasks: list of `Task`.
        labels: dict from task name to a label array (checked by its task).
        columns: optional dict from task name to the columns it read, for
            the message.
    """
    if not tasks or any(task.annotated(labels[task.name]).any()
                        for task in tasks):
        return
    read = "; ".join(
        f"'{task.name}'" + (f" from {columns[task.name]}" if columns else "")
        for task in tasks)
    raise ValueError(f"{where}: no example is labelled for any of the "
                     f"tasks ({read}): every label is blank or not "
                     "annotated")


def typed_label(task, label, columns):
    """One example's label as the task's dtype, refusing what does not fit.

    A reader calls this on each row's label, so that a number too large
    for the task's labels (an age of 1e20 as int32, a valence of 1e39 as
    float32) or a fraction where the task takes whole numbers skips that
    row instead of failing the whole dataset, or being truncated.

    Args:
        task: the `Task`.
        label: the label `task.parse_cells` returned.
        columns: the columns it was read from, for the message.

    Raises:
        ValueError: starting "field <columns>: ".
    """
    field = ", ".join(columns)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # float overflow
        try:
            typed = np.asarray(label, task.label_dtype)
        except (OverflowError, RuntimeWarning, ValueError, TypeError):
            raise ValueError(f"field {field}: {label} does not fit the "
                             f"task's {task.label_dtype} labels") from None
    if typed.dtype.kind == "f" and np.isinf(typed).any():
        raise ValueError(f"field {field}: a value is infinite, or too large "
                         f"for the task's {task.label_dtype} labels")
    if typed.dtype.kind in "iu" and not np.array_equal(
            typed, np.asarray(label, "float64")):
        raise ValueError(f"field {field}: {label} is not a whole number")
    return typed


def _check_whole_numbers(source, task, values):
    """Raises a `ValueError` for fractions given to a task of whole labels."""
    if np.dtype(task.label_dtype).kind not in "iu":
        return
    try:
        array = np.asarray(values)
    except ValueError:
        return  # ragged: as_labels names the shape
    if array.dtype.kind != "f":
        return
    bad = ~np.isfinite(array) | (array != np.round(array))
    if bad.any():
        index = np.argwhere(bad)[0]
        raise ValueError(
            f"{source}: '{task.name}' label {array[tuple(index)]} at "
            f"example {int(index[0])} is not a whole number ({task.kind} "
            "labels are whole numbers; -1 marks not annotated)")
