"""A task whose answer is one of several unordered classes."""

import keras
import numpy as np

from keras_dmtl.metrics.masked_accuracy import MaskedAccuracy
from keras_dmtl.labels import MISSING_LABEL
from keras_dmtl.labels import annotated as _annotated
from keras_dmtl.tasks.task import Task


@keras.saving.register_keras_serializable(package="keras_dmtl")
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
    # [{'label': 'male', 'index': 0, 'probabilities': {...}}]
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
        return keras.layers.Dense(self.num_classes, name=f"{self.name}_head")

    def loss(self):
        return keras.losses.SparseCategoricalCrossentropy(
            from_logits=True,
            ignore_class=MISSING_LABEL,
            name=f"{self.name}_crossentropy",
        )

    def metrics(self):
        return [MaskedAccuracy(name="accuracy")]

    def predict_index(self, output):
        return np.argmax(np.asarray(output), axis=-1)

    def chance_metrics(self, train_labels, test_labels):
        train, test = _annotated(train_labels), _annotated(test_labels)
        majority = np.bincount(train.astype("int64")).argmax()
        return {"accuracy": float(np.mean(test == majority))}

    def decode(self, output):
        logits = np.asarray(output, dtype="float64")
        logits = logits - logits.max(axis=-1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=-1, keepdims=True)
        records = []
        for row in probs:
            index = int(np.argmax(row))
            records.append(
                {
                    "label": self.classes[index],
                    "index": index,
                    "probabilities": {
                        c: round(float(p), 6) for c, p in zip(self.classes, row)
                    },
                }
            )
        return records

    def get_config(self):
        config = super().get_config()
        config["classes"] = list(self.classes)
        return config
