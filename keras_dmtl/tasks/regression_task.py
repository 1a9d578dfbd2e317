"""A task whose answer is one or more continuous values (valence, arousal)."""

import numpy as np

from keras_dmtl.tasks.task import Task
from keras_dmtl.tasks.task import register_task

OBJECTIVES = ("ccc", "mse")


@register_task
class RegressionTask(Task):
    """A regression task: K continuous values, optionally bounded.

    The head is a dense layer with one output per value; with `bounds` its
    outputs pass through a scaled sigmoid so they never leave them. The
    loss is 1 - the mean concordance correlation coefficient (CCC) over the
    batch (`objective="ccc"`, as in FaceBehaviorNet), or the mean squared
    error (`"mse"`). A missing value is NaN, so that any number, -1
    included, is a valid label; a face may carry some values and not
    others.

    Metrics: the mean CCC (`<task>_ccc`), each value's CCC
    (`<task>_ccc_<output>`) and the root mean squared error (`<task>_rmse`).
    An exported artifact agrees with the Keras model on a value when they
    differ by at most 2.5 % of the bounds' range (0.05 on [-1, 1], half of
    the 0.1 step in which valence and arousal are annotated), or by 0.05
    when the task has no bounds.

    Args:
        name: str. The task's name, a Python identifier.
        outputs: list of str, the value names (such as `"valence"`).
        bounds: optional `(low, high)` every value lies in.
        objective: `"ccc"` (default) or `"mse"`.

    Example:

    ```python
    affect = keras_dmtl.RegressionTask(
        "affect", outputs=["valence", "arousal"], bounds=(-1, 1))
    affect.decode(np.array([[0.25, -0.5]]))[0]
    # {'valence': 0.25, 'arousal': -0.5}
    ```
    """

    kind = "regression"
    missing_value = np.nan
    label_dtype = "float32"
    headline = ("ccc", True)

    def __init__(self, name, outputs, bounds=None, objective="ccc"):
        super().__init__(name)
        outputs = [str(o) for o in outputs]
        if not outputs:
            raise ValueError(f"Task '{name}' needs at least 1 output.")
        if len(set(outputs)) != len(outputs):
            raise ValueError(f"Task '{name}' has repeated outputs: {outputs}.")
        if bounds is not None:
            bounds = [float(b) for b in bounds]
            if len(bounds) != 2 or not bounds[0] < bounds[1]:
                raise ValueError(f"Task '{name}': bounds must be (low, high) "
                                 f"with low < high, got {bounds}.")
        if objective not in OBJECTIVES:
            raise ValueError(f"Task '{name}': objective must be one of "
                             f"{OBJECTIVES}, got {objective!r}.")
        self.outputs = outputs
        self.bounds = bounds
        self.objective = objective

    @property
    def num_outputs(self):
        return len(self.outputs)

    @property
    def tolerance(self):
        """How far an artifact's value may be from the Keras model's."""
        if self.bounds is None:
            return 0.05
        return 0.025 * (self.bounds[1] - self.bounds[0])

    # === Labels ===

    @property
    def label_shape(self):
        return (self.num_outputs,)

    def _shape_words(self):
        return f"{self.num_outputs} outputs"

    def is_missing(self, labels):
        return np.isnan(np.asarray(labels, "float64"))

    def check_labels(self, labels, where):
        bad = np.isinf(labels)
        if self.bounds is not None:
            low, high = self.bounds
            bad |= (labels < low) | (labels > high)
        if bad.any():
            row, column = np.argwhere(bad)[0]
            raise ValueError(
                f"{where}: '{self.name}' {self.outputs[column]} of example "
                f"{row} is {labels[row, column]}, outside "
                f"{self._range_words()} (NaN marks not annotated)")

    def _range_words(self):
        if self.bounds is None:
            return "the finite numbers"
        return f"[{self.bounds[0]:g}, {self.bounds[1]:g}]"

    def label_columns(self, column=None):
        if column is None:
            return list(self.outputs)
        if isinstance(column, str) or len(column) != self.num_outputs:
            raise ValueError(f"Task '{self.name}' reads {self.num_outputs} "
                             f"columns, one per output; got {column!r}")
        return list(column)

    def parse_cells(self, cells):
        label = []
        for column, text in cells.items():
            text = "" if text is None else str(text).strip()
            if text.lower() in ("", "nan", "none"):
                label.append(np.nan)
                continue
            try:
                value = float(text)
            except ValueError:
                raise ValueError(
                    f"field {column}: {text!r} is not a number") from None
            if (not np.isfinite(value)
                    or abs(value) > np.finfo("float32").max) or (
                    self.bounds is not None and not (
                    self.bounds[0] <= value <= self.bounds[1])):
                raise ValueError(f"field {column}: {text} is outside "
                                 f"{self._range_words()}")
            label.append(value)
        return np.array(label, "float32")

    def label_cells(self, label, column=None):
        return {c: None if np.isnan(v) else float(v)
                for c, v in zip(self.label_columns(column), label)}

    def labels_match(self, other):
        return (type(self) is type(other) and self.name == other.name
                and self.outputs == other.outputs
                and self.bounds == other.bounds)

    # === Training ===

    def build_head(self):
        from keras_dmtl.layers.regression_head import RegressionHead

        return RegressionHead(self.num_outputs, bounds=self.bounds,
                              name=f"{self.name}_head")

    def loss(self):
        from keras_dmtl.losses.concordance_loss import ConcordanceLoss
        from keras_dmtl.losses.masked_mean_squared_error import (
            MaskedMeanSquaredError,
        )

        if self.objective == "mse":
            return MaskedMeanSquaredError(name=f"{self.name}_mse")
        return ConcordanceLoss(name=f"{self.name}_concordance_loss")

    def distillation_loss(self, teacher_raw, student_raw, temperature):
        from keras import ops

        # The teacher's values as targets; a value has no temperature.
        difference = (ops.cast(teacher_raw, "float32")
                      - ops.cast(student_raw, "float32"))
        return ops.mean(ops.square(difference), axis=-1)

    def metrics(self):
        from keras_dmtl.metrics.concordance_correlation import (
            ConcordanceCorrelation,
        )
        from keras_dmtl.metrics.masked_root_mean_squared_error import (
            MaskedRootMeanSquaredError,
        )

        return [
            ConcordanceCorrelation(self.num_outputs, name="ccc"),
            MaskedRootMeanSquaredError(name="rmse"),
        ] + [
            ConcordanceCorrelation(self.num_outputs, output_index=j,
                                   name=f"ccc_{output}")
            for j, output in enumerate(self.outputs)
        ]

    def annotated_count(self, labels):
        from keras import ops

        missing = ops.all(ops.isnan(ops.cast(labels, "float32")), axis=-1)
        return ops.sum(ops.cast(ops.logical_not(missing), "float32"))

    # === Answers ===

    def output_names(self):
        return [self.name]

    def numpy_outputs(self, raw):
        return {self.name: np.asarray(raw, "float32")}

    def graph_outputs(self, raw):
        import tensorflow as tf

        return {self.name: tf.cast(raw, tf.float32)}

    def answer(self, outputs, index):
        values = np.asarray(outputs[self.name])[index]
        return {o: round(float(v), 6) for o, v in zip(self.outputs, values)}

    time_series = True

    def summarize(self, answers):
        """Each output's mean and standard deviation over the frames."""
        values = np.array([[a[o] for o in self.outputs] for a in answers],
                          "float64")
        return {"mean": {o: round(float(v), 6)
                         for o, v in zip(self.outputs, values.mean(0))},
                "std": {o: round(float(v), 6)
                        for o, v in zip(self.outputs, values.std(0))},
                "frames": len(answers)}

    def describe(self):
        entry = super().describe()
        entry.update({
            "labels": list(self.outputs),
            "bounds": self.bounds,
            "answer": "one value per output, in the order of 'labels'",
        })
        return entry

    def agreement(self, reference, outputs):
        expected = np.asarray(reference[self.name], "float64")
        got = np.asarray(outputs[self.name], "float64").reshape(expected.shape)
        return (np.abs(got - expected) <= self.tolerance,
                f"each value within {self.tolerance:g}")

    # === Evaluation ===

    def scores(self, labels, outputs, options=None):
        from keras_dmtl.evaluation.scores import regression_scores

        table = regression_scores(labels, outputs[self.name])
        counts = np.asarray(table["annotated"], "float64")
        squared = np.nansum(np.asarray(table["mse"]) * counts)
        summary = {"ccc": float(np.nanmean(table["ccc"])),
                   # Pooled over every annotated value, like the metric.
                   "rmse": float(np.sqrt(squared / max(counts.sum(), 1)))}
        for output, ccc in zip(self.outputs, table["ccc"]):
            summary[f"ccc_{output}"] = float(ccc)
        return summary

    def report(self, labels, outputs, folder, options=None):
        import os

        import pandas as pd

        from keras_dmtl.evaluation.figures import scatter_figure
        from keras_dmtl.evaluation.scores import regression_scores

        table = pd.DataFrame({"output": self.outputs,
                              **regression_scores(labels,
                                                  outputs[self.name])})
        table.to_csv(os.path.join(folder, f"values_{self.name}.csv"),
                     index=False)
        figure = f"scatter_{self.name}.png"
        scatter_figure(np.asarray(labels, "float64"),
                       np.asarray(outputs[self.name], "float64"),
                       self.outputs, self.bounds, self.name,
                       os.path.join(folder, figure))
        return [(f"Values of {self.name}: predicted against labelled",
                 table, figure)]

    def headline_value(self, labels, outputs, mask):
        from keras_dmtl.evaluation.scores import regression_scores

        labels = np.asarray(labels)[mask]
        predicted = np.asarray(outputs[self.name])[mask]
        return float(np.nanmean(regression_scores(labels, predicted)["ccc"]))

    def chance_metrics(self, train_labels, test_labels):
        """Always answering the training mean: CCC 0, and its RMSE."""
        train = np.asarray(train_labels, "float64")
        test = np.asarray(test_labels, "float64")
        errors = test - np.nanmean(train, axis=0)
        chance = {"ccc": 0.0,
                  "rmse": float(np.sqrt(np.nanmean(errors ** 2)))}
        chance.update({f"ccc_{o}": 0.0 for o in self.outputs})
        return chance

    def skill(self, metrics, chance, prefix="val_"):
        """The mean CCC: 0 for a constant guess, 1 when perfect."""
        return float(metrics[f"{prefix}{self.name}_ccc"])

    def gradcam_score(self, raw):
        """The sum of the values."""
        from keras import ops

        return ops.sum(raw, axis=-1)

    def caption(self, outputs, index):
        return " ".join(f"{o[:3]} {v:+.2f}"
                        for o, v in self.answer(outputs, index).items())

    def label_caption(self, label):
        label = np.asarray(label, "float64")
        if np.isnan(label).all():
            return "-"
        return " ".join(f"{o[:3]} {v:+.2f}"
                        for o, v in zip(self.outputs, label))

    def get_config(self):
        config = super().get_config()
        config.update({"outputs": list(self.outputs), "bounds": self.bounds,
                       "objective": self.objective})
        return config
