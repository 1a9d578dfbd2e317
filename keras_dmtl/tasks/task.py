"""The base class of a task kind, and the registry of kinds."""

import numpy as np

from keras_dmtl.labels import MISSING_LABEL


class Task:
    """Describes one attribute a multi-task model learns, end to end.

    A task kind (ordinal, nominal, multi-label, regression) owns everything
    that depends on it, so that no caller branches on the kind:

    - **labels**: their shape, dtype and missing marker, how a table cell
      becomes a label and back (`parse_cells`, `label_cells`), and which
      examples are annotated;
    - **training**: the head, the loss and the metrics;
    - **answers**: the artifact outputs computed from the head's raw output,
      in NumPy (`numpy_outputs`) and in the serving graph (`graph_outputs`),
      the JSON answer for one face (`answer`), the task's entry in
      `model_info.json` (`describe`, read back by `Task.from_description`)
      and the rule by which an exported artifact agrees with the Keras
      model (`agreement`);
    - **evaluation**: the report's scores, tables and figures, the bias
      study's headline metric and subgroups, the tuning objective's skill
      over chance, and the Grad-CAM score.

    The label, answer and description parts use NumPy only, so the task
    classes load where neither Keras nor TensorFlow is installed (beside a
    TensorRT engine); the rest imports Keras where it is used.

    Subclasses set `kind`, are decorated with `register_task`, and
    implement the methods that raise `NotImplementedError` here.

    Args:
        name: str. The task's name: a Python identifier, used as the name of
            the model output and as the key of the label dictionary.
    """

    kind = None
    KINDS = {}
    """Every registered kind, from `kind` to its class."""

    missing_value = MISSING_LABEL
    """The label value that marks "not annotated"."""

    label_dtype = "int32"

    headline = ("accuracy", True)
    """The bias study's metric and whether higher is better."""

    needs_calibration = False
    """Whether `calibrate` tunes decisions on held-out faces."""

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

    # === Labels ===

    @property
    def label_shape(self):
        """The shape of one example's label: `()` for one number."""
        return ()

    def missing_labels(self, count):
        """Labels for `count` examples that this task does not annotate."""
        return np.full((count,) + self.label_shape, self.missing_value,
                       dtype=self.label_dtype)

    def is_missing(self, labels):
        """Elementwise: which label values mark "not annotated"."""
        return np.asarray(labels) == self.missing_value

    def annotated(self, labels):
        """One bool per example: does it carry a label for this task?"""
        missing = self.is_missing(labels)
        if missing.ndim > 1:
            return ~missing.all(axis=tuple(range(1, missing.ndim)))
        return ~missing

    def as_labels(self, values, count, where="labels"):
        """Checks a label array for `count` examples and returns it typed.

        Raises:
            ValueError: naming `where`, the task and what is wrong.
        """
        try:
            array = np.asarray(values, dtype=self.label_dtype)
        except (TypeError, ValueError):
            raise ValueError(
                f"{where}: labels of '{self.name}' are not "
                f"{self.label_dtype} numbers") from None
        expected = (count,) + self.label_shape
        if array.shape != expected:
            raise ValueError(
                f"{where}: labels of '{self.name}' have shape "
                f"{array.shape}; a {self.kind} task with "
                f"{self._shape_words()} expects {expected}")
        self.check_labels(array, where)
        return array

    def _shape_words(self):
        return "one value per example"

    def check_labels(self, labels, where):
        """Raises a `ValueError` naming `where` for values out of range."""

    def label_columns(self, column=None):
        """The table columns this task reads, from an optional override."""
        return [column or self.name]

    def parse_cells(self, cells):
        """One label from the table cells of `label_columns`.

        Args:
            cells: dict from column name to the cell's text.

        Raises:
            ValueError: starting with "field <column>: ".
        """
        (column, text), = cells.items()
        text = _blank(text)
        if text is None:
            return self.missing_value
        try:
            return self.parse_cell(text)
        except ValueError as error:
            raise ValueError(f"field {column}: {error}") from None

    def parse_cell(self, text):
        """One label from one non-blank cell (tasks read from one column)."""
        raise NotImplementedError

    def label_cells(self, label, column=None):
        """The inverse of `parse_cells`: a dict from column to cell value."""
        value = None if self.is_missing(label).all() else label.item()
        return {column or self.name: value}

    def labels_match(self, other):
        """Whether `other` reads the same labels (decisions may differ).

        A model's task and a dataset's task of the same name match when
        their labels mean the same, even where the model has tuned its
        decisions (the thresholds of a calibrated multi-label task).
        """
        return self == other

    # === Training ===

    def build_head(self):
        """Returns a new layer mapping pooled features to the raw output."""
        raise NotImplementedError

    def loss(self):
        """Returns a Keras loss that leaves unannotated labels out."""
        raise NotImplementedError

    def metrics(self):
        """Returns a list of Keras metrics that leave unannotated labels out."""
        raise NotImplementedError

    def distillation_loss(self, teacher_raw, student_raw, temperature):
        """Keras ops: how far the student's raw outputs are from a
        teacher's for the same faces, one value per face, zero when they
        agree (see `keras_dmtl.models.Teacher`).

        Args:
            teacher_raw: the teacher's raw head output for the batch.
            student_raw: the student's, of the same shape.
            temperature: float, how much class and threshold probabilities
                are softened (kinds without probabilities ignore it).
        """
        raise NotImplementedError(
            f"A {self.kind} task cannot be distilled.")

    def annotated_count(self, labels):
        """Keras ops: how many examples of a batch carry a label."""
        from keras import ops

        missing = ops.equal(ops.cast(labels, "float32"), self.missing_value)
        if len(labels.shape) > 1:
            missing = ops.all(missing, axis=-1)
        return ops.sum(ops.cast(ops.logical_not(missing), "float32"))

    # === Answers (NumPy, and the serving graph) ===

    def output_names(self):
        """The artifact outputs of this task, in order."""
        return [self.name, f"{self.name}_probabilities"]

    def numpy_outputs(self, raw):
        """The artifact outputs, in NumPy, from the head's raw output."""
        raise NotImplementedError

    def graph_outputs(self, raw):
        """TensorFlow: the same outputs inside an exported graph."""
        raise NotImplementedError

    def answer(self, outputs, index):
        """The JSON-ready answer for example `index` of artifact outputs."""
        raise NotImplementedError

    def decode(self, raw):
        """Decodes a batch of raw head outputs into one answer per example."""
        outputs = self.numpy_outputs(raw)
        count = len(np.asarray(outputs[self.name]))
        return [self.answer(outputs, i) for i in range(count)]

    def describe(self):
        """This task's entry in `model_info.json`.

        Holds `name`, `kind`, the task's `config` (read back by
        `Task.from_description`) and, for apps that do not use Python,
        what each output holds.
        """
        return {"name": self.name, "kind": self.kind,
                "config": self.get_config(),
                "outputs": self.output_names()}

    @classmethod
    def from_description(cls, entry):
        """The task of a `model_info.json` entry, of any registered kind."""
        kind = entry.get("kind")
        if kind not in Task.KINDS:
            raise ValueError(
                f"task '{entry.get('name')}' has kind {kind!r}; this version "
                f"knows {sorted(Task.KINDS)}")
        task_cls = Task.KINDS[kind]
        if "config" in entry:
            return task_cls.from_config(entry["config"])
        return task_cls.from_legacy_description(entry)

    @classmethod
    def from_legacy_description(cls, entry):
        """The task of an entry written before entries held `config`."""
        raise ValueError(f"task '{entry.get('name')}': its model_info.json "
                         "entry has no 'config'")

    def agreement(self, reference, outputs):
        """Where an artifact gives the Keras model's answer.

        Args:
            reference: the Keras model's outputs (`numpy_outputs`).
            outputs: the artifact's outputs on the same images.

        Returns:
            `(same, rule)`: a bool array with one row per image (and one
            column per label for tasks with several), and the rule in words.
        """
        expected = np.asarray(reference[self.name])
        got = np.asarray(outputs[self.name]).reshape(expected.shape)
        return got == expected, "same class"

    def calibrate(self, labels, outputs, options=None):
        """Tunes the task's decisions on held-out faces (never test faces).

        Args:
            labels: the task's labels of the held-out faces (with a
                nominal task's `strength`: of the training faces).
            outputs: `numpy_outputs` of the model on them, or None where
                `calibration_reads_answers(options)` is False.
            options: optional dict of what the kind's calibration takes
                (a nominal task's `min_recall` or `strength`); other keys
                are ignored.

        Returns:
            A dict of what changed (saved with the model when it is saved
            afterwards), or None for a kind with nothing to tune.
        """
        return None

    def calibration_note(self):
        """What calibration changed in the task's decisions, for a report.

        Returns:
            A phrase naming the task and its tuned decisions (a nominal
            task's class offsets, a multi-label task's thresholds), or
            None where the decisions are the trained model's.
        """
        return None

    def calibration_reads_answers(self, options=None):
        """Whether `calibrate` reads the model's answers (`outputs`).

        When it does not, `calibrate_model` passes `outputs=None` and runs
        no face through the model for this task. A kind refuses options it
        cannot follow here (`ValueError`), before any face is read. By
        default a kind that tunes something (overrides `calibrate`) reads
        answers; one that does not, does not.

        Args:
            options: the dict given to `calibrate`, or None.

        Returns:
            A bool.
        """
        return type(self).calibrate is not Task.calibrate

    # === Evaluation ===

    def scores(self, labels, outputs, options=None):
        """The report's summary metrics over the annotated examples."""
        raise NotImplementedError

    def report(self, labels, outputs, folder, options=None):
        """Writes the task's tables (CSV) and figures (PNG) into `folder`.

        Args:
            labels: the task's labels, all examples.
            outputs: `numpy_outputs` for the same examples.
            folder: where to write.
            options: `EvaluationOptions` or None.

        Returns:
            A list of `(heading, table or None, figure file or None)`.
        """
        return []

    def headline_value(self, labels, outputs, mask):
        """The `headline` metric over the annotated examples in `mask`."""
        raise NotImplementedError

    def subgroups(self, labels, options=None):
        """Attributes to break the bias study down by.

        Returns:
            A dict from attribute name to `(group index per example, -1 when
            not annotated; group names)`.
        """
        return {}

    def chance_metrics(self, train_labels, test_labels):
        """The metrics a guess learned from training labels alone gets.

        Returns:
            A dict from metric name (as logged by `metrics()`) to its value
            on the annotated test labels.
        """
        raise NotImplementedError

    def skill(self, metrics, chance, prefix="val_"):
        """How far a logged metric went from chance towards perfect: 0 at
        chance level, 1 when perfect, negative when worse than chance."""
        raise NotImplementedError

    def skill_metric(self):
        """The logged metric `skill` reads, without the task's prefix."""
        return self.headline[0]

    def gradcam_score(self, raw):
        """Keras ops: one score per example whose gradient Grad-CAM follows."""
        raise NotImplementedError

    # === Tracks (one person followed through a video) ===

    time_series = False
    """Whether a track keeps this task's answer on every frame (action
    units, valence/arousal) besides its summary."""

    def summarize(self, answers):
        """One answer for a whole track from its per-frame `answer`s.

        Args:
            answers: a non-empty list of this task's `answer` dicts, one per
                frame on which the person's face was seen.

        Returns:
            A JSON-ready dict; `label` (where the kind has one) is what the
            track is stored under.
        """
        raise NotImplementedError

    def caption(self, outputs, index):
        """A short text of the answer for example `index`."""
        raise NotImplementedError

    def label_caption(self, label):
        """A short text of one label ("-" when not annotated)."""
        raise NotImplementedError

    # === Config ===

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return type(self) is type(other) and self.get_config() == (
            other.get_config()
        )

    def __hash__(self):
        return hash((type(self).__name__, self.name))

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def register_task(cls):
    """Registers a task kind, by its `kind` and for Keras serialization.

    Model configs name a task by its Keras registered name
    (`keras_dmtl>OrdinalTask`) and `model_info.json` by its `kind`; this
    one decorator does both. Where Keras is not installed (beside a
    TensorRT engine) only the kind is registered.
    """
    if not cls.kind:
        raise ValueError(f"{cls.__name__} sets no `kind`")
    Task.KINDS[cls.kind] = cls
    try:
        import keras
    except ImportError:
        return cls
    return keras.saving.register_keras_serializable(package="keras_dmtl")(cls)


def serialize_tasks(tasks):
    """Serializes a list of tasks for a model config."""
    import keras

    return [keras.saving.serialize_keras_object(task) for task in tasks]


def deserialize_tasks(configs):
    """Restores a list of tasks serialized by `serialize_tasks`."""
    import keras

    return [
        config
        if isinstance(config, Task)
        else keras.saving.deserialize_keras_object(config)
        for config in configs
    ]


def find_task(tasks, name):
    """The task called `name`, or a `ValueError` listing the names."""
    for task in tasks:
        if task.name == name:
            return task
    raise ValueError(f"no task '{name}'; the tasks are "
                     f"{[t.name for t in tasks]}")


def _blank(text):
    """None for an empty, NaN or missing cell, else the stripped text."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    text = str(text).strip()
    if text == "" or text.lower() in ("nan", "none"):
        return None
    return text
