"""A task whose answer is the set of labels present (action units)."""

import math

import numpy as np

from keras_dmtl.labels import MISSING_LABEL
from keras_dmtl.tasks.task import Task
from keras_dmtl.tasks.task import register_task


@register_task
class MultiLabelTask(Task):
    """A multi-label task: each of L labels is present or not (action units).

    The head has one logit per label, trained with binary cross-entropy
    averaged over the labels annotated on each face: a label is a vector of
    L entries, 1 (present), 0 (absent) or -1 (not annotated), so a dataset
    that codes only some action units leaves the others unannotated rather
    than negative. A label is answered present when its probability reaches
    its decision threshold (0.5 by default, or chosen on validation data by
    `choose_thresholds` and saved with the model).

    Metrics: mean F1 over the labels (`<task>_mean_f1`), each label's F1
    (`<task>_f1_<label>`), and the accuracy over annotated entries.

    Args:
        name: str. The task's name, a Python identifier.
        labels: list of str, the label names (such as `"AU12"`).
        thresholds: optional list of L decision thresholds in (0, 1).
        positive_weights: optional list of L weights of the positive term
            of each label's loss (above 1 for rare labels); see
            `balanced_positive_weights`.

    Example:

    ```python
    aus = keras_dmtl.MultiLabelTask("aus", labels=["AU1", "AU2", "AU12"])
    aus.decode(np.array([[2.0, -3.0, 0.5]]))[0]
    # {'active': ['AU1', 'AU12'], 'probabilities': {'AU1': 0.880797, ...}}
    ```
    """

    kind = "multi_label"
    headline = ("mean_f1", True)
    needs_calibration = True

    def __init__(self, name, labels, thresholds=None, positive_weights=None):
        super().__init__(name)
        labels = [str(label) for label in labels]
        if not labels:
            raise ValueError(f"Task '{name}' needs at least 1 label.")
        if len(set(labels)) != len(labels):
            raise ValueError(f"Task '{name}' has repeated labels: {labels}.")
        self.labels = labels
        self.thresholds = self._per_label("thresholds", thresholds, 0.5)
        if any(not 0 < t < 1 for t in self.thresholds):
            raise ValueError(f"Task '{name}': thresholds must lie in (0, 1), "
                             f"got {self.thresholds}.")
        self.positive_weights = (
            None if positive_weights is None
            else self._per_label("positive_weights", positive_weights, 1.0))
        if self.positive_weights and min(self.positive_weights) <= 0:
            raise ValueError(f"Task '{name}': positive_weights must be "
                             f"positive, got {self.positive_weights}.")

    def _per_label(self, field, values, default):
        if values is None:
            return [default] * len(self.labels)
        values = [float(v) for v in values]
        if len(values) != len(self.labels):
            raise ValueError(
                f"Task '{self.name}': {len(values)} {field} for "
                f"{len(self.labels)} labels.")
        return values

    @property
    def num_labels(self):
        return len(self.labels)

    def _logit_thresholds(self):
        """The thresholds on logits: sigmoid(z) >= t  <=>  z >= logit(t)."""
        return np.array([math.log(t / (1 - t)) for t in self.thresholds],
                        "float32")

    # === Labels ===

    @property
    def label_shape(self):
        return (self.num_labels,)

    def _shape_words(self):
        return f"{self.num_labels} labels"

    def check_labels(self, labels, where):
        bad = ~np.isin(labels, (0, 1, MISSING_LABEL))
        if bad.any():
            row, column = np.argwhere(bad)[0]
            raise ValueError(
                f"{where}: '{self.name}' label {self.labels[column]} of "
                f"example {row} is {labels[row, column]}; give 1, 0 or -1 "
                "(not annotated)")

    def label_columns(self, column=None):
        if column is None:
            return list(self.labels)
        if isinstance(column, str) or len(column) != self.num_labels:
            raise ValueError(f"Task '{self.name}' reads {self.num_labels} "
                             f"columns, one per label; got {column!r}")
        return list(column)

    def parse_cells(self, cells):
        label = []
        for column, text in cells.items():
            text = "" if text is None else str(text).strip()
            if text.lower() in ("", "nan", "none", str(MISSING_LABEL)):
                label.append(MISSING_LABEL)
                continue
            try:
                value = float(text)
            except ValueError:
                value = None
            if value not in (0.0, 1.0):
                raise ValueError(
                    f"field {column}: {text!r} is not 1, 0 or blank")
            label.append(int(value))
        return np.array(label, "int32")

    def label_cells(self, label, column=None):
        return {c: None if v == MISSING_LABEL else int(v)
                for c, v in zip(self.label_columns(column), label)}

    def labels_match(self, other):
        return (type(self) is type(other) and self.name == other.name
                and self.labels == other.labels)

    # === Training ===

    def build_head(self):
        import keras

        return keras.layers.Dense(self.num_labels, name=f"{self.name}_head")

    def loss(self):
        from keras_dmtl.losses.multi_label_crossentropy import (
            MultiLabelCrossentropy,
        )

        return MultiLabelCrossentropy(
            positive_weights=self.positive_weights,
            name=f"{self.name}_multi_label_crossentropy")

    def distillation_loss(self, teacher_raw, student_raw, temperature):
        from keras import ops

        from keras_dmtl.losses.distillation import sigmoid_distillation

        # Averaged over the labels, as the task's loss averages them.
        return ops.mean(sigmoid_distillation(teacher_raw, student_raw,
                                             temperature), axis=-1)

    def metrics(self):
        from keras_dmtl.metrics.multi_label_accuracy import MultiLabelAccuracy
        from keras_dmtl.metrics.multi_label_f1 import MultiLabelF1

        return [
            MultiLabelF1(self.num_labels, self.thresholds, name="mean_f1"),
            MultiLabelAccuracy(self.thresholds, name="accuracy"),
        ] + [
            MultiLabelF1(self.num_labels, self.thresholds, label_index=j,
                         name=f"f1_{label}")
            for j, label in enumerate(self.labels)
        ]

    def choose_thresholds(self, labels, probabilities,
                          grid=np.arange(0.05, 0.951, 0.05)):
        """Sets each label's threshold to the one with the best F1.

        Use validation faces, never test faces. A label with no annotated
        positive keeps its threshold. The thresholds are part of the task's
        config, so a model saved afterwards keeps them, and exports decode
        with them.

        Args:
            labels: `(n, L)` labels (-1 not annotated).
            probabilities: `(n, L)` predicted probabilities.
            grid: the thresholds to try.

        Returns:
            The new list of thresholds.
        """
        from keras_dmtl.evaluation.scores import binary_f1

        labels = np.asarray(labels)
        probabilities = np.asarray(probabilities, "float64")
        grid = np.round(np.asarray(grid, "float64"), 4)
        chosen = []
        for j in range(self.num_labels):
            mask = labels[:, j] != MISSING_LABEL
            truth = labels[mask, j] == 1
            if not truth.any():
                chosen.append(self.thresholds[j])
                continue
            scores = [binary_f1(truth, probabilities[mask, j] >= t)
                      for t in grid]
            chosen.append(float(grid[int(np.argmax(scores))]))
        self.thresholds = chosen
        return chosen

    def calibration_note(self):
        if all(t == 0.5 for t in self.thresholds):
            return None
        thresholds = ", ".join(f"{label} {t:.2f}" for label, t in
                               zip(self.labels, self.thresholds))
        return f"{self.name} decides with thresholds ({thresholds})"

    def calibration_reads_answers(self, options=None):
        """Always: thresholds are chosen on the model's answers (a given
        `strength`, which sets a nominal task's offsets, is refused)."""
        if (options or {}).get("strength") is not None:
            raise ValueError(
                f"Task '{self.name}' chooses its label thresholds on "
                "held-out faces; a strength sets class offsets (name the "
                "nominal tasks with --tasks)")
        return True

    def calibrate(self, labels, outputs, options=None):
        """Chooses each label's threshold on held-out faces."""
        self.calibration_reads_answers(options)
        chosen = self.choose_thresholds(
            labels, outputs[f"{self.name}_probabilities"])
        return {"thresholds": dict(zip(self.labels, chosen))}

    @staticmethod
    def balanced_positive_weights(labels, limit=20.0):
        """Positive weights negatives / positives per label, at most `limit`.

        Args:
            labels: `(n, L)` training labels (-1 not annotated).
        """
        labels = np.asarray(labels)
        positives = (labels == 1).sum(0)
        negatives = (labels == 0).sum(0)
        weights = negatives / np.maximum(positives, 1)
        return [float(w) for w in np.clip(weights, 1.0, limit)]

    # === Answers ===

    def numpy_outputs(self, raw):
        logits = np.asarray(raw, "float32")
        return {
            self.name: (logits >= self._logit_thresholds()).astype("int32"),
            f"{self.name}_probabilities": 1 / (1 + np.exp(-logits)),
        }

    def graph_outputs(self, raw):
        import tensorflow as tf

        logits = tf.cast(raw, tf.float32)
        cuts = tf.constant(self._logit_thresholds())
        return {self.name: tf.cast(logits >= cuts, tf.int32),
                f"{self.name}_probabilities": tf.sigmoid(logits)}

    def answer(self, outputs, index):
        active = np.asarray(outputs[self.name])[index]
        probabilities = np.asarray(outputs[f"{self.name}_probabilities"])[index]
        return {
            "active": [n for n, a in zip(self.labels, active) if a],
            "probabilities": {n: round(float(p), 6)
                              for n, p in zip(self.labels, probabilities)},
        }

    time_series = True

    def summarize(self, answers):
        """Each label's mean probability over the frames; present where
        that mean reaches the label's threshold."""
        mean = np.mean([[a["probabilities"][n] for n in self.labels]
                        for a in answers], axis=0)
        return {"active": [n for n, p, t in zip(self.labels, mean,
                                                self.thresholds) if p >= t],
                "probabilities": {n: round(float(p), 6)
                                  for n, p in zip(self.labels, mean)},
                "frames": len(answers)}

    def describe(self):
        entry = super().describe()
        entry.update({
            "labels": list(self.labels),
            "thresholds": list(self.thresholds),
            "answer": "1 where a label is present (its probability reaches "
                      "its threshold), else 0, one column per label",
            "probabilities": "sigmoid of each label",
        })
        return entry

    def agreement(self, reference, outputs):
        expected = np.asarray(reference[self.name])
        got = np.asarray(outputs[self.name]).reshape(expected.shape)
        return got == expected, "same decision, label by label"

    # === Evaluation ===

    def _entries(self, labels, outputs, mask=None):
        labels = np.asarray(labels)
        predicted = np.asarray(outputs[self.name]).reshape(labels.shape)
        if mask is not None:
            labels, predicted = labels[mask], predicted[mask]
        return labels, predicted

    def scores(self, labels, outputs, options=None):
        from keras_dmtl.evaluation.scores import multi_label_scores

        labels, predicted = self._entries(labels, outputs)
        return multi_label_scores(labels, predicted)["summary"]

    def report(self, labels, outputs, folder, options=None):
        import os

        import pandas as pd

        from keras_dmtl.evaluation.figures import label_f1_figure
        from keras_dmtl.evaluation.scores import multi_label_scores

        labels, predicted = self._entries(labels, outputs)
        per_label = multi_label_scores(labels, predicted)["per_label"]
        table = pd.DataFrame({"label": self.labels, **per_label,
                              "threshold": self.thresholds})
        table.to_csv(os.path.join(folder, f"labels_{self.name}.csv"),
                     index=False)
        figure = f"labels_{self.name}.png"
        label_f1_figure(self.labels, table, self.name,
                        os.path.join(folder, figure))
        return [(f"Labels of {self.name}: F1, precision and recall per label",
                 table, figure)]

    def headline_value(self, labels, outputs, mask):
        from keras_dmtl.evaluation.scores import multi_label_scores

        labels, predicted = self._entries(labels, outputs, mask)
        return multi_label_scores(labels, predicted)["summary"]["mean_f1"]

    def chance_metrics(self, train_labels, test_labels):
        """A guess that draws each label with its training frequency p.

        On test entries of prevalence q its expected F1 is 2pq / (p + q);
        the chance accuracy is that of always giving each label's majority.
        """
        train, test = np.asarray(train_labels), np.asarray(test_labels)
        f1s, right, total = [], 0, 0
        for j in range(self.num_labels):
            known = train[:, j][train[:, j] != MISSING_LABEL]
            seen = test[:, j][test[:, j] != MISSING_LABEL]
            if not len(known) or not len(seen):
                continue
            p, q = known.mean(), seen.mean()
            if p + q > 0:
                f1s.append(2 * p * q / (p + q))
            right += int(np.sum(seen == int(p >= 0.5)))
            total += len(seen)
        return {"mean_f1": float(np.mean(f1s)) if f1s else 0.0,
                "accuracy": right / total if total else 0.0}

    def skill(self, metrics, chance, prefix="val_"):
        """(mean F1 - chance F1) / (1 - chance F1)."""
        f1 = metrics[f"{prefix}{self.name}_mean_f1"]
        base = chance[f"{self.name}_mean_f1"]
        return (f1 - base) / (1.0 - base) if base < 1 else 0.0

    def gradcam_score(self, raw):
        """The logit of the most confident label."""
        from keras import ops

        return ops.max(raw, axis=-1)

    def caption(self, outputs, index):
        return ",".join(self.answer(outputs, index)["active"]) or "none"

    def label_caption(self, label):
        label = np.asarray(label)
        if (label == MISSING_LABEL).all():
            return "-"
        return ",".join(n for n, v in zip(self.labels, label) if v == 1) or (
            "none")

    def get_config(self):
        config = super().get_config()
        config.update({
            "labels": list(self.labels),
            "thresholds": list(self.thresholds),
            "positive_weights": self.positive_weights,
        })
        return config
