"""A task whose answer is one of several ordered ranks."""

import numpy as np

from keras_dmtl.labels import MISSING_LABEL
from keras_dmtl.labels import annotated as _annotated
from keras_dmtl.tasks.nominal_task import _confusion_section
from keras_dmtl.tasks.task import Task
from keras_dmtl.tasks.task import register_task


@register_task
class OrdinalTask(Task):
    """An ordinal task: one of K ordered ranks (age in years, age group).

    As in DMTL, the head has K-1 binary classifiers, the k-th answering
    "is the label at least the (k+1)-th rank?", each trained with binary
    cross-entropy. Their probabilities f_k(x) decode to a rank in one of
    two ways (`decoding`):

    - `"count"` (default, DMTL's): rank p = 1 + sum_k [f_k(x) > 0.5].
    - `"expected"`: the expected rank p = 1 + sum_k f_k(x), a real number,
      which moves smoothly with the probabilities instead of jumping when
      one of them crosses 0.5 (more robust to noisy thresholds). The answer
      (`index`, `label`) is the rank nearest to it (a tie goes to the lower
      rank), and the value (the `<task>` output and the answer's `value`)
      is the rank values interpolated linearly at it: for evenly spaced
      ranks such as ages 0..116 the expected age in years, a real number
      (31.4); for groups (`cut_points`) the expected group index (2.6,
      nearest group 3). For unevenly spaced ranks the value lies between
      the two neighbouring rank values in proportion, so the nearest rank
      to the value is always the expected index rounded.

    Every artifact's serving graph (`graph_outputs`) decodes the same way,
    and `describe()` records the decoding in `model_info.json`. The
    decoding changes no weight: set `task.decoding` on a trained model's
    task (or rebuild the task with another `decoding`) to switch, then save
    or export it; recompile before training to log metrics decoded the new
    way.

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
        decoding: `"count"` (default) or `"expected"`, as above. Configs
            and `model_info.json` entries written without it decode by
            counting.

    Example:

    ```python
    age = keras_dmtl.OrdinalTask("age", ranks=range(0, 117))
    age.decode(np.array([[5.0] * 30 + [-5.0] * 86]))[0]
    # {'value': 30, 'label': '30', 'index': 30}
    age.decoding = "expected"  # 30 * 0.9933 + 86 * 0.0067 = 30.37
    age.decode(np.array([[5.0] * 30 + [-5.0] * 86]))[0]
    # {'value': 30.3748..., 'label': '30', 'index': 30}
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
        decoding="count",
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
        self.decoding = decoding

    @property
    def decoding(self):
        """How threshold probabilities decode: `"count"` or `"expected"`."""
        return self._decoder.name

    @decoding.setter
    def decoding(self, decoding):
        if decoding not in DECODERS:
            raise ValueError(
                f"Task '{self.name}': decoding must be one of "
                f"{sorted(DECODERS)}, got {decoding!r}."
            )
        self._decoder = DECODERS[decoding]

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
        from keras_dmtl.layers.ordinal_head import OrdinalHead

        return OrdinalHead(
            num_ranks=self.num_ranks,
            rank_consistent=self.rank_consistent,
            name=f"{self.name}_head",
        )

    def loss(self):
        from keras_dmtl.losses.ordinal_crossentropy import OrdinalCrossentropy

        return OrdinalCrossentropy(
            edges=self.edges, name=f"{self.name}_ordinal_crossentropy"
        )

    def distillation_loss(self, teacher_raw, student_raw, temperature):
        from keras import ops

        from keras_dmtl.losses.distillation import sigmoid_distillation

        # Summed over the thresholds, as the task's loss sums their
        # binary cross-entropies.
        return ops.sum(sigmoid_distillation(teacher_raw, student_raw,
                                            temperature), axis=-1)

    def metrics(self):
        from keras_dmtl.metrics.ordinal_accuracy import OrdinalAccuracy
        from keras_dmtl.metrics.ordinal_mean_absolute_error import (
            OrdinalMeanAbsoluteError,
        )

        return [
            OrdinalAccuracy(edges=self.edges, decoding=self.decoding,
                            name="accuracy"),
            OrdinalMeanAbsoluteError(
                edges=self.edges, values=self.values,
                decoding=self.decoding, name="mae"
            ),
        ]

    # === Labels ===

    def check_labels(self, labels, where):
        given = labels[labels != MISSING_LABEL]
        bad = (~np.isin(given, self.ranks) if self.ranks is not None
               else given < 0)
        if bad.any():
            raise ValueError(
                f"{where}: '{self.name}' label {given[bad][0]} is not "
                + (f"one of the ranks {self.ranks[0]}..{self.ranks[-1]}"
                   if self.ranks is not None else "a value of at least 0")
                + " (and -1 for not annotated)")

    def parse_cell(self, text):
        if text == str(MISSING_LABEL):
            return MISSING_LABEL
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
        if not np.isfinite(number):
            raise ValueError(f"{text!r} is not a finite number")
        if self.ranks is not None:
            if number not in self.ranks:
                raise ValueError(f"{text} is not one of the ranks "
                                 f"{self.ranks[0]}..{self.ranks[-1]}")
        elif number < 0:
            raise ValueError(f"{text} is negative")
        elif number > np.iinfo("int32").max:
            raise ValueError(f"{text} is too large")
        # An age of 2.6 is 2 years old: completed units, as ages are told
        # (rounding would move faces near a cut point into the next group).
        return int(np.floor(number))

    def label_index(self, labels):
        """Returns the rank index (0..K-1) of each raw label."""
        labels = np.asarray(labels, dtype="float64")[..., None]
        return np.sum(labels >= np.asarray(self.edges), axis=-1)

    def label_values(self, labels):
        """The rank value of each label (NaN where not annotated)."""
        labels = np.asarray(labels)
        values = np.asarray(self.values, "float64")
        index = self.label_index(np.maximum(labels, 0))
        return np.where(labels != MISSING_LABEL, values[index], np.nan)

    # === Answers ===

    def predict_index(self, raw):
        """The rank index the head's threshold logits give (NumPy)."""
        return self.output_index(self.numpy_outputs(raw))

    def output_index(self, outputs):
        """The rank index of each answer in artifact outputs: the rank
        nearest to the `<task>` value (the lower one on a tie)."""
        answers = np.asarray(outputs[self.name], "float64").reshape(-1, 1)
        values = np.asarray(self.values, "float64")
        return np.argmin(np.abs(answers - values), axis=-1)

    def numpy_outputs(self, raw):
        logits = np.asarray(raw, "float32")
        probabilities = 1 / (1 + np.exp(-logits))
        values = np.asarray(self.values, "float32")
        return {
            self.name: self._decoder.numpy_value(logits, probabilities,
                                                 values),
            f"{self.name}_probabilities": probabilities,
        }

    def graph_outputs(self, raw):
        import tensorflow as tf

        logits = tf.cast(raw, tf.float32)
        probabilities = tf.sigmoid(logits)
        values = np.asarray(self.values, "float32")
        return {self.name: self._decoder.graph_value(logits, probabilities,
                                                     values),
                f"{self.name}_probabilities": probabilities}

    def answer(self, outputs, index):
        decoded = np.asarray(outputs[self.name])[index:index + 1]
        rank = int(self.output_index({self.name: decoded})[0])
        return {
            "value": self._decoder.answer_value(
                self.values[rank], float(decoded.reshape(-1)[0])),
            "label": self.names[rank],
            "index": rank,
        }

    def summarize(self, answers):
        """The median of the frames' values (robust to a few bad frames),
        with the interquartile range, and the rank nearest to it."""
        values = np.array([float(a["value"]) for a in answers])
        median = float(np.median(values))
        rank = int(np.argmin(np.abs(np.asarray(self.values, "float64")
                                    - median)))
        low, high = np.percentile(values, [25, 75])
        return {"value": round(median, 3), "label": self.names[rank],
                "index": rank, "interquartile": [round(float(low), 3),
                                                 round(float(high), 3)],
                "frames": len(answers)}

    def describe(self):
        entry = super().describe()
        entry.update({
            "values": [float(v) for v in self.values],
            "labels": list(self.names),
            "values_are_ranks": self.ranks is not None,
            "decoding": self.decoding,
            "answer": self._decoder.answer_text,
            "probabilities": "P(rank > k) for each of the K-1 thresholds",
        })
        return entry

    @classmethod
    def from_legacy_description(cls, entry):
        labels = list(entry["labels"])
        # Entries of this kind were written before `decoding` existed.
        decoding = entry.get("decoding", "count")
        if entry.get("values_are_ranks"):
            task = cls(entry["name"], ranks=entry["values"],
                       decoding=decoding)
            return task if task.names == labels else cls(
                entry["name"], ranks=entry["values"], rank_names=labels,
                decoding=decoding)
        cuts = _cut_points_of(labels)
        if cuts is not None:
            return cls(entry["name"], cut_points=cuts, decoding=decoding)
        # Group names of our own choosing: the cut points are lost, but
        # answers, which are group indices, decode the same.
        return cls(entry["name"], cut_points=list(range(1, len(labels))),
                   rank_names=labels, decoding=decoding)

    def agreement(self, reference, outputs):
        expected = np.asarray(reference[self.name], "float64")
        got = np.asarray(outputs[self.name], "float64").reshape(
            expected.shape)
        if self.ranks is not None:
            return (np.abs(got - expected) <= 1.0,
                    "answer within 1 rank unit (1 year for age)")
        # The nearest groups: an expected group index is a real number.
        return (self.output_index({self.name: got})
                == self.output_index({self.name: expected})), "same group"

    # === Evaluation ===

    def scores(self, labels, outputs, options=None):
        from keras_dmtl.evaluation.scores import ordinal_scores

        options = options or {}
        mask = self.annotated(labels)
        true_value = self.label_values(labels)[mask]
        pred_value = np.asarray(outputs[self.name], "float64")[mask]
        cuts = (options.get("group_cut_points")
                if self.ranks is not None else None)
        return ordinal_scores(self.label_index(np.asarray(labels)[mask]),
                              self.output_index(outputs)[mask], true_value,
                              pred_value, cuts)

    def report(self, labels, outputs, folder, options=None):
        import os

        import pandas as pd

        from keras_dmtl.evaluation.figures import cumulative_score_figure
        from keras_dmtl.evaluation.scores import cumulative_scores

        options = options or {}
        mask = self.annotated(labels)
        max_error = options.get("max_error", 10)
        cs = cumulative_scores(
            self.label_values(labels)[mask],
            np.asarray(outputs[self.name], "float64")[mask], max_error)
        table = pd.DataFrame({"error_level": range(max_error + 1),
                              self.name: cs})
        table.to_csv(os.path.join(folder, f"cumulative_score_{self.name}.csv"),
                     index=False)
        figure = f"cumulative_score_{self.name}.png"
        cumulative_score_figure({self.name: cs}, os.path.join(folder, figure))
        sections = [(f"Cumulative score CS(i) of {self.name}", table, figure)]
        return sections + _confusion_section(
            self.name, self.names, self.label_index(np.asarray(labels)[mask]),
            self.output_index(outputs)[mask], folder)

    headline = ("mae", False)

    def headline_value(self, labels, outputs, mask):
        mask = mask & self.annotated(labels)
        errors = (np.asarray(outputs[self.name], "float64")
                  - self.label_values(labels))
        return float(np.mean(np.abs(errors[mask])))

    def subgroups(self, labels, options=None):
        cuts = (options or {}).get("group_cut_points")
        annotated = self.annotated(labels)
        if self.ranks is not None and cuts is not None:
            groups = np.searchsorted(
                np.asarray(cuts, "float64"),
                np.nan_to_num(self.label_values(labels)), side="right")
            names = OrdinalTask("g", cut_points=list(cuts)).names
            return {f"{self.name}_group": (np.where(annotated, groups, -1),
                                           names)}
        if self.cut_points is not None or self.rank_names:
            index = self.label_index(np.maximum(np.asarray(labels), 0))
            return {self.name: (np.where(annotated, index, -1), self.names)}
        return {}

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

    def skill(self, metrics, chance, prefix="val_"):
        """1 - MAE / the MAE of always answering the training median."""
        mae = metrics[f"{prefix}{self.name}_mae"]
        base = chance[f"{self.name}_mae"]
        return 1.0 - mae / base if base > 0 else 0.0

    def gradcam_score(self, raw):
        """The sum of the threshold logits: it grows with the rank."""
        from keras import ops

        return ops.sum(raw, axis=-1)

    def caption(self, outputs, index):
        return self.answer(outputs, index)["label"]

    def label_caption(self, label):
        if label == MISSING_LABEL:
            return "-"
        return self.names[int(self.label_index(label))]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "ranks": self.ranks,
                "cut_points": self.cut_points,
                "rank_names": self.rank_names,
                "rank_consistent": self.rank_consistent,
                "decoding": self.decoding,
            }
        )
        return config

    def labels_match(self, other):
        """Whether `other` reads the same labels, whatever its decoding."""
        if type(self) is not type(other):
            return False
        mine, theirs = self.get_config(), other.get_config()
        for config in (mine, theirs):
            config.pop("decoding")
        return mine == theirs


class _CountDecoder:
    """DMTL's decoding: the number of thresholds above 0.5 picks the rank."""

    name = "count"
    answer_text = "the rank value (an age in years, or a group index)"

    @staticmethod
    def numpy_value(logits, probabilities, values):
        return values[np.sum(logits > 0, axis=-1)]

    @staticmethod
    def graph_value(logits, probabilities, values):
        import tensorflow as tf

        # Counted in int32: a full-integer TFLite model quantizes a float
        # count to int8 steps of about 116/255, which moved ages (age
        # agreement 59 % -> 51 % on the UTKFace model).
        rank = tf.reduce_sum(tf.cast(logits > 0, tf.int32), axis=-1)
        return tf.gather(tf.constant(values), rank)

    @staticmethod
    def answer_value(rank_value, decoded):
        """The answer's `value`: the rank's, whole numbers as int."""
        value = rank_value
        return int(value) if float(value).is_integer() else value


class _ExpectedDecoder:
    """The expected rank: the rank values interpolated at sum_k P(rank > k).

    With e = sum_k sigmoid(logit_k), the value is values[0] + step * e for
    evenly spaced ranks (ages 0..116, the group indices of cut points), and
    otherwise values[0] + sum_j clip(e - j, 0, 1) * (values[j+1] - values[j]):
    plain element-wise ops and sums, which every artifact's runtime has (no
    gather at a fractional index). The even form keeps a full-integer
    (int8) model to its output's own quantization steps; the general one
    quantizes `e - j` as well, so unevenly spaced ranks lose precision there.
    """

    name = "expected"
    answer_text = ("the expected rank value, a real number: the rank values "
                   "interpolated at the expected rank index sum_k P(rank > "
                   "k) (an age in years, or a group index); the answer is "
                   "the nearest rank")

    @staticmethod
    def numpy_value(logits, probabilities, values):
        expected = np.sum(probabilities, axis=-1, dtype="float32")
        step = _even_step(values)
        if step is not None:
            return (expected * step + values[0]).astype("float32")
        starts = np.arange(len(values) - 1, dtype="float32")
        fill = np.clip(expected[..., None] - starts, 0.0, 1.0)
        return (np.sum(fill * np.diff(values), axis=-1)
                + values[0]).astype("float32")

    @staticmethod
    def graph_value(logits, probabilities, values):
        import tensorflow as tf

        step = _even_step(values)
        if step is not None:
            expected = tf.reduce_sum(probabilities, axis=-1)
            return expected * step + float(values[0])
        expected = tf.reduce_sum(probabilities, axis=-1, keepdims=True)
        starts = tf.constant(np.arange(len(values) - 1, dtype="float32"))
        fill = tf.clip_by_value(expected - starts, 0.0, 1.0)
        steps = tf.constant(np.diff(values).astype("float32"))
        return tf.reduce_sum(fill * steps, axis=-1) + float(values[0])

    @staticmethod
    def answer_value(rank_value, decoded):
        """The answer's `value`: the decoded real number, always a float."""
        return float(decoded)


def _even_step(values):
    """The spacing of evenly spaced rank values, else None."""
    steps = np.diff(np.asarray(values, "float64"))
    return float(steps[0]) if np.all(steps == steps[0]) else None


DECODERS = {decoder.name: decoder
            for decoder in (_CountDecoder, _ExpectedDecoder)}
"""The decodings `OrdinalTask.decoding` names, the same as
`keras_dmtl.layers.ordinal_head.DECODINGS` (which the metrics use)."""


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


def _cut_points_of(names):
    """The cut points behind default group names ("<3", "3-9", "70+")."""
    try:
        lows = [float(name.rstrip("+").split("-")[0]) for name in names[1:]]
    except ValueError:
        return None
    cuts = [int(c) if c.is_integer() else c for c in lows]
    if not cuts or any(b <= a for a, b in zip(cuts, cuts[1:])):
        return None
    return cuts if _group_names(cuts) == list(names) else None
