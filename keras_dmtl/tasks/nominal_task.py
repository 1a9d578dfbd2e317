"""A task whose answer is one of several unordered classes."""

import numpy as np

from keras_dmtl.labels import MISSING_LABEL
from keras_dmtl.labels import annotated as _annotated
from keras_dmtl.tasks.task import Task
from keras_dmtl.tasks.task import register_task


@register_task
class NominalTask(Task):
    """A nominal task: one of several unordered classes (gender, race, ...).

    The head is a dense layer with one logit per class, trained with softmax
    cross-entropy; the prediction is the class of the largest logit. Labels
    are integer class indices, `-1` for "not annotated".

    A class that is rare in training (UTKFace's "others" race) is seldom
    predicted. `class_offsets` adds a number to each class's logit before
    the answer and its probabilities are taken (post-hoc logit adjustment,
    Menon et al. 2021): `-tau * log(prior)` with `tau = 1` gives every
    class the same weight, `tau = 0` the model as trained. `calibrate`
    chooses `tau` on held-out faces, or takes a given `tau` with the
    training faces' class frequencies as the prior (`keras-dmtl calibrate
    --strength`); the offsets
    change no weight, are saved with the model and go into every
    artifact's serving graph. Training ignores them.

    Args:
        name: str. The task's name, a Python identifier.
        classes: list of str, the class names in label order, or an int,
            the number of classes (named `"0"`, `"1"`, ...).
        class_offsets: optional list of floats, one per class, added to the
            logits before the answer and the probabilities (default: none).

    Example:

    ```python
    gender = keras_dmtl.NominalTask("gender", ["male", "female"])
    gender.decode(np.array([[2.0, -1.0]]))
    # [{'label': 'male', 'index': 0, 'probabilities': {'male': 0.95, ...}}]
    gender.class_offsets = [0.0, 3.5]  # 2.0 < -1.0 + 3.5
    gender.decode(np.array([[2.0, -1.0]]))[0]["label"]  # 'female'
    ```
    """

    kind = "nominal"

    def __init__(self, name, classes, class_offsets=None):
        super().__init__(name)
        if isinstance(classes, int):
            classes = [str(i) for i in range(classes)]
        classes = [str(c) for c in classes]
        if len(classes) < 2:
            raise ValueError(
                f"Task '{name}' needs at least 2 classes, got {classes}."
            )
        if len(set(classes)) != len(classes):
            raise ValueError(f"Task '{name}' has repeated classes: {classes}.")
        self.classes = classes
        self.class_offsets = class_offsets

    @property
    def class_offsets(self):
        return self._class_offsets

    @class_offsets.setter
    def class_offsets(self, offsets):
        if offsets is not None:
            offsets = [float(o) for o in np.asarray(offsets).reshape(-1)]
            if len(offsets) != len(self.classes) or not np.all(
                    np.isfinite(offsets)):
                raise ValueError(
                    f"Task '{self.name}': class_offsets must be "
                    f"{len(self.classes)} finite numbers, got {offsets}.")
        self._class_offsets = offsets

    @property
    def num_classes(self):
        return len(self.classes)

    def build_head(self):
        import keras

        return keras.layers.Dense(self.num_classes, name=f"{self.name}_head")

    def loss(self):
        import keras

        return keras.losses.SparseCategoricalCrossentropy(
            from_logits=True,
            ignore_class=MISSING_LABEL,
            name=f"{self.name}_crossentropy",
        )

    def distillation_loss(self, teacher_raw, student_raw, temperature):
        from keras_dmtl.losses.distillation import softmax_distillation

        return softmax_distillation(teacher_raw, student_raw, temperature)

    def metrics(self):
        from keras_dmtl.metrics.masked_accuracy import MaskedAccuracy

        return [MaskedAccuracy(self.class_offsets, name="accuracy")]

    # === Labels ===

    def check_labels(self, labels, where):
        bad = (labels != MISSING_LABEL) & ((labels < 0)
                                           | (labels >= self.num_classes))
        if bad.any():
            raise ValueError(
                f"{where}: '{self.name}' label {labels[bad][0]} at example "
                f"{int(np.flatnonzero(bad)[0])} is outside "
                f"0..{self.num_classes - 1} (and -1 for not annotated)")

    def parse_cell(self, text):
        if text in self.classes:
            return self.classes.index(text)
        if text == str(MISSING_LABEL):
            return MISSING_LABEL
        try:
            number = float(text)
        except ValueError:
            raise ValueError(
                f"{text!r} is not a class of '{self.name}' ({self.classes})"
            ) from None
        if not number.is_integer():
            raise ValueError(f"class index {text} is not a whole number")
        index = int(number)
        if not 0 <= index < self.num_classes:
            raise ValueError(f"class index {index} is outside "
                             f"0..{self.num_classes - 1}")
        return index

    # === Answers ===

    def _adjusted(self, logits):
        """The logits with `class_offsets` added (NumPy)."""
        if self.class_offsets is None:
            return logits
        return logits + np.asarray(self.class_offsets, logits.dtype)

    def predict_index(self, raw):
        """The class of the largest (adjusted) logit (NumPy)."""
        return np.argmax(self._adjusted(np.asarray(raw, "float32")), axis=-1)

    def numpy_outputs(self, raw):
        logits = self._adjusted(np.asarray(raw, "float32"))
        shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return {
            self.name: np.argmax(logits, axis=-1).astype("int32"),
            f"{self.name}_probabilities": (
                shifted / shifted.sum(axis=-1, keepdims=True)),
        }

    def graph_outputs(self, raw):
        import tensorflow as tf

        logits = tf.cast(raw, tf.float32)
        if self.class_offsets is not None:
            logits = logits + tf.constant(self.class_offsets, tf.float32)
        return {self.name: tf.argmax(logits, axis=-1, output_type=tf.int32),
                f"{self.name}_probabilities": tf.nn.softmax(logits)}

    def answer(self, outputs, index):
        rank = int(np.asarray(outputs[self.name]).reshape(-1)[index])
        probabilities = np.asarray(
            outputs[f"{self.name}_probabilities"])[index]
        return {
            "label": self.classes[rank],
            "index": rank,
            "probabilities": {
                c: round(float(p), 6)
                for c, p in zip(self.classes, probabilities)
            },
        }

    def summarize(self, answers):
        """The class of the largest probability summed over the frames."""
        total = np.sum([[a["probabilities"][c] for c in self.classes]
                        for a in answers], axis=0)
        mean = total / len(answers)
        index = int(np.argmax(mean))
        return {"label": self.classes[index], "index": index,
                "probabilities": {c: round(float(p), 6)
                                  for c, p in zip(self.classes, mean)},
                "frames": len(answers)}

    def describe(self):
        entry = super().describe()
        entry.update({"labels": list(self.classes),
                      "answer": "the class index",
                      "probabilities": "softmax over the classes"
                      + ("" if self.class_offsets is None else
                         " of the logits plus class_offsets")})
        return entry

    @classmethod
    def from_legacy_description(cls, entry):
        return cls(entry["name"], list(entry["labels"]))

    def labels_match(self, other):
        """Whether `other` reads the same labels, whatever its offsets."""
        return (type(self) is type(other) and self.name == other.name
                and self.classes == other.classes)

    # === Calibration ===

    def prior_offsets(self, labels, strength=1.0):
        """`-strength * log(prior)`: offsets that undo the class prior.

        Args:
            labels: class labels (-1 skipped) whose frequencies, each
                count plus one, are the prior.
            strength: `tau`; 1 weighs every class the same.

        Returns:
            A float array, one offset per class.
        """
        labels = np.asarray(labels)
        true = labels[self.annotated(labels)].astype("int64")
        counts = np.bincount(true, minlength=self.num_classes) + 1.0
        return -float(strength) * np.log(counts / counts.sum())

    def choose_offsets(self, labels, probabilities, min_recall=None,
                       strengths=np.round(np.arange(0, 1.51, 0.1), 2)):
        """Sets `class_offsets` to `-tau * log(prior)`, `tau` chosen on faces.

        The prior is the class frequencies of `labels` (each count plus
        one). Each `tau` of `strengths` (and 0, the model as trained) is
        tried on the given answers. Without `min_recall` the one with the
        best macro-F1 is kept, so a rare class gains recall where that
        costs the others less than it gains; with it, the one with the best
        accuracy among those where every class's recall reaches
        `min_recall` (or, where none does, the one with the largest
        smallest recall). Strengths within one face's worth (1 / n) of the
        best count as tied, and the smallest of them is kept.

        Args:
            labels: `(n,)` class labels of held-out faces (-1 skipped).
            probabilities: `(n, C)` the task's probabilities on them, as
                the model gives them now (with its current offsets).
            min_recall: optional float, the least recall every class must
                reach.
            strengths: the values of `tau` to try.

        Returns:
            A dict: the chosen `strength`, its `macro_f1`, `accuracy` and
            `min_recall`, whether `min_recall` was `reached`, the
            `offsets`, and `by_strength`, each strength's macro-F1,
            accuracy and smallest class recall.
        """
        from keras_dmtl.evaluation.scores import confusion_matrix
        from keras_dmtl.evaluation.scores import nominal_scores
        from keras_dmtl.evaluation.scores import per_class_scores

        labels = np.asarray(labels)
        mask = self.annotated(labels)
        true = labels[mask].astype("int64")
        if not len(true):
            raise ValueError(f"Task '{self.name}': no labelled faces to "
                             "choose class offsets on")
        logits = np.log(np.clip(np.asarray(probabilities, "float64")[mask],
                                1e-12, None))
        if self.class_offsets is not None:
            logits = logits - np.asarray(self.class_offsets)
        unit = self.prior_offsets(true)
        table = []
        for tau in sorted(set([0.0] + [float(t) for t in strengths])):
            predicted = np.argmax(logits + tau * unit, axis=-1)
            scores = nominal_scores(true, predicted, self.num_classes)
            counts = confusion_matrix(true, predicted, self.num_classes)
            _, recall, _ = per_class_scores(counts)
            table.append({"strength": tau, "macro_f1": scores["macro_f1"],
                          "accuracy": scores["accuracy"],
                          "min_recall": float(
                              recall[counts.sum(1) > 0].min())})
        candidates, key = table, "macro_f1"
        if min_recall is not None:
            key = "accuracy"
            candidates = [r for r in table if r["min_recall"] >= min_recall]
            if not candidates:
                top = max(r["min_recall"] for r in table)
                candidates = [r for r in table if r["min_recall"] == top]
        top = max(r[key] for r in candidates)
        best = min((r for r in candidates if r[key] >= top - 1 / len(true)),
                   key=lambda r: r["strength"])
        tau = best["strength"]
        self.class_offsets = None if tau == 0 else list(tau * unit)
        return {**best,
                "reached": (None if min_recall is None
                            else best["min_recall"] >= min_recall),
                "offsets": dict(zip(self.classes,
                                    self.class_offsets or [0.0] * len(
                                        self.classes))),
                "by_strength": table}

    def set_prior_offsets(self, labels, strength):
        """Sets `class_offsets` to `-strength * log(prior)`, no search.

        The textbook logit adjustment: with `strength` 1 and the training
        faces' class frequencies as the prior, the answer is the one that
        weighs every class the same (Menon et al. 2021). No answer of the
        model is read, so the faces may be the ones it trained on.

        Args:
            labels: class labels (-1 skipped) whose frequencies, each count
                plus one, are the prior: the training faces'.
            strength: `tau`, at least 0; 0 removes the offsets.

        Returns:
            A dict: the `strength`, the class `counts` and the `offsets`.
        """
        labels = np.asarray(labels)
        true = labels[self.annotated(labels)].astype("int64")
        if not len(true):
            raise ValueError(f"Task '{self.name}': no labelled faces to "
                             "take the class prior from")
        strength = float(strength)
        if not np.isfinite(strength) or strength < 0:
            raise ValueError(f"Task '{self.name}': a strength of {strength}"
                             "; class offsets take a strength of at least 0")
        offsets = self.prior_offsets(true, strength)
        self.class_offsets = None if strength == 0 else list(offsets)
        counts = np.bincount(true, minlength=self.num_classes)
        return {"strength": strength,
                "counts": dict(zip(self.classes, counts.tolist())),
                "offsets": dict(zip(self.classes, offsets.tolist()))}

    def calibration_note(self):
        if self.class_offsets is None:
            return None
        offsets = ", ".join(f"{c} {o:+.3f}" for c, o in
                            zip(self.classes, self.class_offsets))
        return f"{self.name} adds class offsets to its logits ({offsets})"

    def calibration_reads_answers(self, options=None):
        """Only a chosen `tau` reads answers; a given `strength` does not."""
        return (options or {}).get("strength") is None

    def calibrate(self, labels, outputs, options=None):
        """Chooses the class offsets on held-out faces (`choose_offsets`).

        `options` may hold `min_recall`, or `strength`: then the offsets
        are `set_prior_offsets(labels, strength)`, the prior the given
        faces' class frequencies (the training faces'), and `outputs` is
        not read.
        """
        options = options or {}
        if options.get("strength") is not None:
            if options.get("min_recall") is not None:
                raise ValueError(f"Task '{self.name}': a given strength "
                                 "and a least recall exclude each other")
            chosen = self.set_prior_offsets(labels, options["strength"])
            return {"strength": chosen["strength"],
                    "counts": chosen["counts"],
                    "offsets": {c: round(o, 4)
                                for c, o in chosen["offsets"].items()}}
        chosen = self.choose_offsets(
            labels, outputs[f"{self.name}_probabilities"],
            min_recall=options.get("min_recall"))
        changed = {key: round(chosen[key], 4)
                   for key in ("strength", "accuracy", "macro_f1",
                               "min_recall")}
        if chosen["reached"] is not None:
            changed["reached"] = chosen["reached"]
        changed["offsets"] = {c: round(o, 4)
                              for c, o in chosen["offsets"].items()}
        return changed

    # === Evaluation ===

    def _values(self):
        """The classes as numbers, when every class name is one (ages)."""
        try:
            return np.array([float(c) for c in self.classes])
        except ValueError:
            return None

    def scores(self, labels, outputs, options=None):
        from keras_dmtl.evaluation.scores import nominal_scores

        mask = self.annotated(labels)
        true = np.asarray(labels)[mask]
        predicted = np.asarray(outputs[self.name]).reshape(-1)[mask]
        scores = nominal_scores(true, predicted, self.num_classes)
        values = self._values()
        if values is not None:  # numeric classes: errors too
            errors = values[predicted] - values[true]
            scores.update(mae=float(np.mean(np.abs(errors))),
                          mse=float(np.mean(errors ** 2)))
        return scores

    def report(self, labels, outputs, folder, options=None):
        import os

        import pandas as pd

        from keras_dmtl.evaluation.scores import confusion_matrix
        from keras_dmtl.evaluation.scores import per_class_scores

        mask = self.annotated(labels)
        true = np.asarray(labels)[mask]
        predicted = np.asarray(outputs[self.name]).reshape(-1)[mask]
        counts = confusion_matrix(true, predicted, self.num_classes)
        precision, recall, f1 = per_class_scores(counts)
        table = pd.DataFrame({
            "class": self.classes, "precision": precision, "recall": recall,
            "f1": f1, "labelled": counts.sum(1), "predicted": counts.sum(0),
        })
        table.to_csv(os.path.join(folder, f"classes_{self.name}.csv"),
                     index=False)
        return [(f"Classes of {self.name}", table, None)] + (
            _confusion_section(self.name, self.classes, true, predicted,
                               folder))

    def headline_value(self, labels, outputs, mask):
        mask = mask & self.annotated(labels)
        predicted = np.asarray(outputs[self.name]).reshape(-1)
        return float(np.mean(predicted[mask] == np.asarray(labels)[mask]))

    def subgroups(self, labels, options=None):
        return {self.name: (np.asarray(labels), list(self.classes))}

    def chance_metrics(self, train_labels, test_labels):
        train, test = _annotated(train_labels), _annotated(test_labels)
        majority = np.bincount(train.astype("int64")).argmax()
        return {"accuracy": float(np.mean(test == majority))}

    def skill(self, metrics, chance, prefix="val_"):
        """(accuracy - majority accuracy) / (1 - majority accuracy)."""
        accuracy = metrics[f"{prefix}{self.name}_accuracy"]
        base = chance[f"{self.name}_accuracy"]
        return (accuracy - base) / (1.0 - base) if base < 1 else 0.0

    def gradcam_score(self, raw):
        """The logit of the predicted class (offsets included)."""
        from keras import ops

        if self.class_offsets is not None:
            raw = raw + ops.convert_to_tensor(self.class_offsets, raw.dtype)
        return ops.max(raw, axis=-1)

    def caption(self, outputs, index):
        return self.answer(outputs, index)["label"]

    def label_caption(self, label):
        return "-" if label == MISSING_LABEL else self.classes[int(label)]

    def get_config(self):
        config = super().get_config()
        config["classes"] = list(self.classes)
        if self.class_offsets is not None:  # older releases read the rest
            config["class_offsets"] = list(self.class_offsets)
        return config


def _confusion_section(name, names, true, predicted, folder):
    """Writes a task's confusion matrices (CSV and PNG); returns sections."""
    import os

    import pandas as pd

    from keras_dmtl.evaluation.figures import confusion_figure
    from keras_dmtl.evaluation.scores import confusion_matrix
    from keras_dmtl.evaluation.scores import row_normalised

    counts = confusion_matrix(true, predicted, len(names))
    normalised = row_normalised(counts)
    key = f"confusion_{name}"
    pd.DataFrame(counts, index=names, columns=names).to_csv(
        os.path.join(folder, f"{key}.csv"))
    pd.DataFrame(normalised, index=names, columns=names).to_csv(
        os.path.join(folder, f"{key}_normalised.csv"))
    confusion_figure(counts, normalised, list(names), name,
                     os.path.join(folder, f"{key}.png"))
    return [(f"Confusion matrix of {name}", None, f"{key}.png")]
