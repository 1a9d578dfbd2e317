"""How the classes of one task relate to the labels of another."""

import csv
import os

import keras
import numpy as np

from keras_dmtl.labels import MISSING_LABEL

DU2014_FILE = os.path.join(os.path.dirname(__file__),
                           "du2014_au_given_emotion.csv")
DU2014_CITATION = (
    "Du, S., Tao, Y. and Martinez, A. M. (2014). Compound facial expressions "
    "of emotion. PNAS 111(15), E1454-E1462. doi:10.1073/pnas.1322355111")


@keras.saving.register_keras_serializable(package="keras_dmtl")
class TaskRelatedness:
    """P(label i of a multi-label task | class e of a nominal task).

    The table FaceBehaviorNet couples its tasks through: `matrix[e, i]` is
    the probability that label `labels[i]` of the multi-label task `target`
    (an action unit) is present on a face of class `classes[e]` of the
    nominal task `source` (an expression). Rows and columns are named, so a
    table can be matched to tasks whose classes or labels come in another
    order (`for_tasks`). It is checked when it is made.

    Args:
        source: str, the name of the nominal task (rows).
        target: str, the name of the multi-label task (columns).
        classes: list of str, the row names: classes of `source`.
        labels: list of str, the column names: labels of `target`.
        matrix: `(len(classes), len(labels))` probabilities in [0, 1].
        counts: optional array of the same shape: how many annotated faces
            each entry was estimated from (`from_examples`), or None for a
            published table.
        citation: optional str, where the table comes from.

    Raises:
        ValueError: naming the bad name, shape, row, column or value.

    Example:

    ```python
    table = keras_dmtl.coupling.TaskRelatedness.du2014()
    table.probability("happy", "AU12")  # 1.0
    aligned = table.for_tasks(expression_task, au_task)
    ```
    """

    def __init__(self, source, target, classes, labels, matrix, counts=None,
                 citation=None):
        self.source = str(source)
        self.target = str(target)
        self.classes = [str(c) for c in classes]
        self.labels = [str(label) for label in labels]
        for axis, names in (("classes", self.classes),
                            ("labels", self.labels)):
            if not names:
                raise ValueError(f"TaskRelatedness needs at least one of "
                                 f"{axis}, got {names}.")
            repeated = sorted({n for n in names if names.count(n) > 1})
            if repeated:
                raise ValueError(f"TaskRelatedness {axis} must be unique; "
                                 f"{repeated} repeat in {names}.")
        self.matrix = self._checked(matrix, "matrix")
        if np.isnan(self.matrix).any():
            row, column = np.argwhere(np.isnan(self.matrix))[0]
            raise ValueError(self._at(row, column) + " is NaN; give a "
                             "probability in [0, 1].")
        bad = (self.matrix < 0) | (self.matrix > 1)
        if bad.any():
            row, column = np.argwhere(bad)[0]
            raise ValueError(
                self._at(row, column) + f" is {self.matrix[row, column]}; "
                "give a probability in [0, 1].")
        self.counts = None
        if counts is not None:
            self.counts = self._checked(counts, "counts")
            bad = ~np.isfinite(self.counts) | (self.counts < 0) | (
                self.counts != np.round(self.counts))
            if bad.any():
                row, column = np.argwhere(bad)[0]
                raise ValueError(
                    f"counts at {self._at(row, column)} is "
                    f"{self.counts[row, column]}; give a count of faces.")
            self.counts = self.counts.astype("int64")
        self.citation = citation

    def _checked(self, values, field):
        try:
            array = np.asarray(values, dtype="float64")
        except (TypeError, ValueError):
            raise ValueError(f"TaskRelatedness {field} must hold numbers, "
                             f"got {values!r}.") from None
        expected = (len(self.classes), len(self.labels))
        if array.shape != expected:
            raise ValueError(
                f"TaskRelatedness {field} has shape {array.shape}; "
                f"{len(self.classes)} classes {self.classes} by "
                f"{len(self.labels)} labels {self.labels} need {expected}.")
        return array

    def _at(self, row, column):
        return (f"P({self.labels[column]} | {self.classes[row]}) (row {row}, "
                f"column {column})")

    def probability(self, class_name, label):
        """`matrix` at the row of `class_name` and the column of `label`."""
        return float(self.matrix[self.classes.index(class_name),
                                 self.labels.index(label)])

    # === Matching to tasks ===

    def for_tasks(self, source_task, target_task, missing=None):
        """This table with its rows and columns in the tasks' order.

        Rows follow `source_task.classes` and columns `target_task.labels`;
        rows and columns the tasks do not have are dropped.

        Args:
            source_task: the nominal task; it must be named `source`.
            target_task: the multi-label task; it must be named `target`.
            missing: None (default) or a probability in [0, 1]. A label of
                `target_task` that the table lacks raises a `ValueError`
                unless `missing` is given, in which case its column is
                `missing` for every class (0.0: "never part of a class").
                A class of `source_task` the table lacks always raises:
                there is no safe guess for a whole row.

        Returns:
            A new `TaskRelatedness` (with `counts` reordered alike, 0 for
            filled-in columns).

        Raises:
            ValueError: a task of another name or kind, or the classes and
                labels the table lacks.
        """
        for role, task, field in (("source", source_task, "classes"),
                                  ("target", target_task, "labels")):
            expected = getattr(self, role)
            if task.name != expected:
                raise ValueError(f"this table's {role} task is '{expected}'"
                                 f", got task '{task.name}'.")
            if not hasattr(task, field):
                raise ValueError(
                    f"the {role} task '{task.name}' ({type(task).__name__}) "
                    f"has no {field}; the source must be a nominal task and "
                    "the target a multi-label task.")
        classes, labels = list(source_task.classes), list(target_task.labels)
        absent = [c for c in classes if c not in self.classes]
        if absent:
            raise ValueError(
                f"task '{source_task.name}' has classes {absent} that the "
                f"table does not have; it has {self.classes}.")
        unknown = [label for label in labels if label not in self.labels]
        if unknown and missing is None:
            raise ValueError(
                f"task '{target_task.name}' has labels {unknown} that the "
                f"table does not have (it has {self.labels}); pass "
                "missing=0.0 to treat them as never part of a class.")
        if missing is not None and not 0.0 <= float(missing) <= 1.0:
            raise ValueError(f"missing must be a probability in [0, 1], "
                             f"got {missing!r}.")
        rows = [self.classes.index(c) for c in classes]
        matrix = np.full((len(classes), len(labels)),
                         np.nan if missing is None else float(missing))
        counts = None if self.counts is None else np.zeros(matrix.shape,
                                                           "int64")
        for j, label in enumerate(labels):
            if label in self.labels:
                column = self.labels.index(label)
                matrix[:, j] = self.matrix[rows, column]
                if counts is not None:
                    counts[:, j] = self.counts[rows, column]
        return TaskRelatedness(self.source, self.target, classes, labels,
                               matrix, counts, self.citation)

    # === Sources of tables ===

    @classmethod
    def from_examples(cls, examples, source="expression", target="aus"):
        """Estimates P(label | class) from faces that carry both labels.

        Entry `[e, i]` is the fraction of present labels `i` among the
        faces of class `e` annotated for label `i` (labels are masked one
        by one, as a multi-label task's loss masks them). An entry with no
        such face is 0 and its count 0.

        Args:
            examples: `FaceExamples` with a nominal task `source` and a
                multi-label task `target` (CK+ has both).
            source: str, the nominal task's name.
            target: str, the multi-label task's name.

        Returns:
            A `TaskRelatedness` whose `counts` hold the faces behind each
            entry.
        """
        tasks = {task.name: task for task in examples.tasks}
        lacking = [n for n in (source, target) if n not in tasks]
        if lacking:
            raise ValueError(f"{examples.source}: no task {lacking}; the "
                             f"examples have {sorted(tasks)}.")
        classes = list(tasks[source].classes)
        labels = list(tasks[target].labels)
        expression = np.asarray(examples.labels[source])
        aus = np.asarray(examples.labels[target])
        counts = np.zeros((len(classes), len(labels)), "int64")
        present = np.zeros_like(counts)
        for e in range(len(classes)):
            rows = aus[expression == e]
            counts[e] = (rows != MISSING_LABEL).sum(axis=0)
            present[e] = (rows == 1).sum(axis=0)
        matrix = present / np.maximum(counts, 1)
        return cls(source, target, classes, labels, matrix, counts,
                   citation=f"estimated from {counts.sum()} annotated labels "
                            f"of '{examples.source}'")

    @classmethod
    def du2014(cls, source="expression", target="aus"):
        """The published P(action unit | expression) of Du et al. (2014).

        Rows are FER2013's 7 expressions (angry, disgust, fear, happy, sad,
        surprise, neutral), columns the 17 CK+ action units; AU11 (0.26
        for sad) lies outside the 17 and is left out. Prototypical action
        units are 1.0, neutral is an all-zero row. Read from the package's
        `du2014_au_given_emotion.csv`.

        Args:
            source: str, the name of the expression task.
            target: str, the name of the action unit task.
        """
        with open(DU2014_FILE, newline="") as handle:
            rows = [row for row in csv.reader(handle)
                    if row and not row[0].startswith("#")]
        header, body = rows[0], rows[1:]
        return cls(source, target, [row[0] for row in body], header[1:],
                   [[float(v) for v in row[1:]] for row in body],
                   citation=DU2014_CITATION)

    # === Output ===

    def heatmap(self, path, title=None):
        """Draws the table as a heat map (PNG or any matplotlib format).

        Args:
            path: the file to write.
            title: optional title; defaults to the tasks and citation.
        """
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figure, axis = plt.subplots(figsize=(
            max(5, 0.45 * len(self.labels) + 2),
            max(3, 0.4 * len(self.classes) + 1.5)))
        image = axis.imshow(self.matrix, vmin=0, vmax=1, cmap="viridis")
        axis.set_xticks(range(len(self.labels)))
        axis.set_xticklabels(self.labels, rotation=90)
        axis.set_yticks(range(len(self.classes)))
        axis.set_yticklabels(self.classes)
        axis.set_xlabel(self.target)
        axis.set_ylabel(self.source)
        for (row, column), value in np.ndenumerate(self.matrix):
            if value > 0:
                axis.text(column, row, f"{value:.2f}", ha="center",
                          va="center", fontsize=6,
                          color="black" if value > 0.5 else "white")
        figure.colorbar(image, ax=axis,
                        label=f"P({self.target} | {self.source})")
        axis.set_title(title or f"P({self.target} | {self.source})",
                       fontsize=9)
        figure.tight_layout()
        figure.savefig(path, dpi=100)
        plt.close(figure)

    # === Config ===

    def get_config(self):
        return {
            "source": self.source,
            "target": self.target,
            "classes": list(self.classes),
            "labels": list(self.labels),
            "matrix": self.matrix.tolist(),
            "counts": None if self.counts is None else self.counts.tolist(),
            "citation": self.citation,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return type(self) is type(other) and self.get_config() == (
            other.get_config())

    def __repr__(self):
        return (f"TaskRelatedness(source={self.source!r}, "
                f"target={self.target!r}, {len(self.classes)} classes x "
                f"{len(self.labels)} labels)")
