"""A task whose answer is one of several ordered ranks."""

import keras
import numpy as np

from keras_dmtl.layers.ordinal_head import OrdinalHead
from keras_dmtl.losses.ordinal_crossentropy import OrdinalCrossentropy
from keras_dmtl.metrics.ordinal_accuracy import OrdinalAccuracy
from keras_dmtl.metrics.ordinal_mean_absolute_error import (
    OrdinalMeanAbsoluteError,
)
from keras_dmtl.labels import MISSING_LABEL
from keras_dmtl.labels import annotated as _annotated
from keras_dmtl.tasks.task import Task


@keras.saving.register_keras_serializable(package="keras_dmtl")
class OrdinalTask(Task):
    """An ordinal task: one of K ordered ranks (age in years, age group).

    As in DMTL, the head has K-1 binary classifiers, the k-th answering
    "is the label at least the (k+1)-th rank?", each trained with binary
    cross-entropy; the prediction is rank p = 1 + sum_k [f_k(x) > 0.5].

    Give the ranks in one of two ways:

    - `ranks`: the K rank values themselves, for example the ages 0..116.
      Labels are rank values (an age in years) and the prediction is a value.
    - `cut_points`: K-1 ascending boundaries of K groups, for example
      `[3, 10, 20, 30, 40, 50, 60, 70]` for the age groups <3, 3-9, ...,
      70+. Labels are raw values (ages); a label belongs to group k when it is
      at least the k-th cut point. The prediction is a group index.

    Labels equal to `-1` mean "not annotated", so `-1` may not be a rank.

    Args:
        name: str. The task's name, a Python identifier.
        ranks: list of numbers, the K ascending rank values. Give this or
            `cut_points`.
        cut_points: list of numbers, the K-1 ascending group boundaries.
        rank_names: optional list of K str naming the ranks. Defaults to the
            rank values, or to group names such as `"3-9"` and `"70+"` built
            from integer cut points.
        rank_consistent: bool. If True, the head shares one weight vector
            across thresholds and differs only in its biases (CORAL), which
            keeps threshold probabilities monotone. Defaults to False, the
            paper's independent classifiers.

    Example:

    ```python
    age = keras_dmtl.OrdinalTask("age", ranks=range(0, 117))
    age.decode(np.array([[5.0] * 30 + [-5.0] * 86]))[0]["value"]  # 30
    ```
    """

    kind = "ordinal"

    def __init__(
        self,
        name,
        ranks=None,
        cut_points=None,
        rank_names=None,
        rank_consistent=False,
    ):
        super().__init__(name)
        if (ranks is None) == (cut_points is None):
            raise ValueError(
                f"Task '{name}': give exactly one of `ranks` or `cut_points`."
            )
        if ranks is not None:
            ranks = _ascending_numbers(name, "ranks", ranks)
            if len(ranks) < 2:
                raise ValueError(f"Task '{name}' needs at least 2 ranks.")
            if MISSING_LABEL in ranks:
                raise ValueError(
                    f"Task '{name}': {MISSING_LABEL} marks a missing label "
                    "and cannot be a rank."
                )
            edges, values = ranks[1:], ranks
        else:
            cut_points = _ascending_numbers(name, "cut_points", cut_points)
            if not cut_points:
                raise ValueError(f"Task '{name}' needs at least 1 cut point.")
            edges = cut_points
            values = list(range(len(cut_points) + 1))
        if rank_names is not None:
            rank_names = [str(n) for n in rank_names]
            if len(rank_names) != len(values):
                raise ValueError(
                    f"Task '{name}': {len(rank_names)} rank_names given for "
                    f"{len(values)} ranks."
                )
        self.ranks = ranks
        self.cut_points = cut_points
        self.rank_names = rank_names
        self.rank_consistent = bool(rank_consistent)
        self.edges = edges
        self.values = values

    @property
    def num_ranks(self):
        return len(self.values)

    @property
    def names(self):
        """The display name of each rank."""
        if self.rank_names is not None:
            return self.rank_names
        if self.ranks is not None:
            return [_format_number(v) for v in self.ranks]
        return _group_names(self.cut_points)

    def build_head(self):
        return OrdinalHead(
            num_ranks=self.num_ranks,
            rank_consistent=self.rank_consistent,
            name=f"{self.name}_head",
        )

    def loss(self):
        return OrdinalCrossentropy(
            edges=self.edges, name=f"{self.name}_ordinal_crossentropy"
        )

    def metrics(self):
        return [
            OrdinalAccuracy(edges=self.edges, name="accuracy"),
            OrdinalMeanAbsoluteError(
                edges=self.edges, values=self.values, name="mae"
            ),
        ]

    def label_index(self, labels):
        """Returns the rank index (0..K-1) of each raw label."""
        labels = np.asarray(labels, dtype="float64")[..., None]
        return np.sum(labels >= np.asarray(self.edges), axis=-1)

    def predict_index(self, output):
        return np.sum(np.asarray(output) > 0, axis=-1)

    def chance_metrics(self, train_labels, test_labels):
        train = self.label_index(_annotated(train_labels))
        test = self.label_index(_annotated(test_labels))
        values = np.asarray(self.values, dtype="float64")
        mode = np.bincount(train).argmax()
        median = int(np.median(train))
        return {
            "accuracy": float(np.mean(test == mode)),
            "mae": float(np.mean(np.abs(values[test] - values[median]))),
        }

    def decode(self, output):
        logits = np.asarray(output, dtype="float64")
        indices = self.predict_index(logits)
        probs = 1.0 / (1.0 + np.exp(-logits))
        records = []
        for index, row in zip(indices, probs):
            index = int(index)
            records.append(
                {
                    "value": self.values[index],
                    "index": index,
                    "label": self.names[index],
                    "threshold_probabilities": [
                        round(float(p), 6) for p in row
                    ],
                }
            )
        return records

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "ranks": self.ranks,
                "cut_points": self.cut_points,
                "rank_names": self.rank_names,
                "rank_consistent": self.rank_consistent,
            }
        )
        return config


def _ascending_numbers(task_name, field, numbers):
    try:
        numbers = [float(v) for v in numbers]
    except (TypeError, ValueError):
        raise ValueError(
            f"Task '{task_name}': `{field}` must be numbers, got {numbers!r}."
        )
    numbers = [int(v) if v.is_integer() else v for v in numbers]
    if any(b <= a for a, b in zip(numbers, numbers[1:])):
        raise ValueError(
            f"Task '{task_name}': `{field}` must be strictly ascending, got "
            f"{numbers}."
        )
    return numbers


def _format_number(value):
    return str(int(value)) if float(value).is_integer() else str(value)


def _group_names(cut_points):
    integer = all(float(c).is_integer() for c in cut_points)
    names = []
    lows = [None] + list(cut_points)
    highs = list(cut_points) + [None]
    for low, high in zip(lows, highs):
        if low is None:
            names.append(f"<{_format_number(high)}")
        elif high is None:
            names.append(f"{_format_number(low)}+")
        elif integer:
            names.append(f"{_format_number(low)}-{_format_number(high - 1)}")
        else:
            names.append(f"{_format_number(low)}-<{_format_number(high)}")
    return names
