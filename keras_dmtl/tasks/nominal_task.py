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

    Args:
        name: str. The task's name, a Python identifier.
        classes: list of str, the class names in label order, or an int,
            the number of classes (named `"0"`, `"1"`, ...).

    Example:

    ```python
    gender = keras_dmtl.NominalTask("gender", ["male", "female"])
    gender.decode(np.array([[2.0, -1.0]]))
    # [{'label': 'male', 'index': 0, 'probabilities': {'male': 0.95, ...}}]
    ```
    """

    kind = "nominal"

    def __init__(self, name, classes):
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

    def metrics(self):
        from keras_dmtl.metrics.masked_accuracy import MaskedAccuracy

        return [MaskedAccuracy(name="accuracy")]

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

    def predict_index(self, raw):
        """The class of the largest logit (NumPy)."""
        return np.argmax(np.asarray(raw), axis=-1)

    def numpy_outputs(self, raw):
        logits = np.asarray(raw, "float32")
        shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return {
            self.name: self.predict_index(logits).astype("int32"),
            f"{self.name}_probabilities": (
                shifted / shifted.sum(axis=-1, keepdims=True)),
        }

    def graph_outputs(self, raw):
        import tensorflow as tf

        logits = tf.cast(raw, tf.float32)
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
                      "probabilities": "softmax over the classes"})
        return entry

    @classmethod
    def from_legacy_description(cls, entry):
        return cls(entry["name"], list(entry["labels"]))

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
        """The logit of the predicted class."""
        from keras import ops

        return ops.max(raw, axis=-1)

    def caption(self, outputs, index):
        return self.answer(outputs, index)["label"]

    def label_caption(self, label):
        return "-" if label == MISSING_LABEL else self.classes[int(label)]

    def get_config(self):
        config = super().get_config()
        config["classes"] = list(self.classes)
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
