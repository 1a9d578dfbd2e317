"""F1 score of binary labels that may be missing one by one."""

import keras
from keras import ops

from keras_dmtl.labels import MISSING_LABEL
from keras_dmtl.losses.masking import value_weights


@keras.saving.register_keras_serializable(package="keras_dmtl")
class MultiLabelF1(keras.metrics.Metric):
    """F1 score per label over the epoch, averaged over labels or for one.

    Labels have shape `(batch, L)`: `1` present, `0` absent, `-1` not
    annotated (skipped, label by label). Predictions are logits; a label is
    predicted present when sigmoid(logit) is at least its threshold. The
    metric keeps the true positives, false positives and false negatives of
    each label over the annotated entries, weighted by `sample_weight` per
    face, and a label's F1 is 2 tp / (2 tp + fp + fn). That F1 is defined
    when tp + fp + fn > 0 (the label was present or predicted at least
    once).

    Args:
        num_labels: int, L, the number of labels (at least 1).
        thresholds: optional list of L probabilities in [0, 1], one per
            label. Defaults to None (0.5 for every label).
        label_index: optional int in [0, L). None (default) reports the mean
            F1 over the labels whose F1 is defined (0 when none is); an
            index reports that label's F1 (0 when undefined).
        name: name of the metric. Defaults to `"mean_f1"`.
        dtype: dtype of the metric's state.

    Example:

    ```python
    metric = keras_dmtl.metrics.MultiLabelF1(num_labels=2)
    metric.update_state([[1, -1], [0, 1]], [[2.0, 2.0], [2.0, -2.0]])
    metric.result()  # label 0: tp 1, fp 1 -> 2/3; label 1: fn 1 -> 0; 1/3
    ```
    """

    def __init__(
        self,
        num_labels,
        thresholds=None,
        label_index=None,
        name="mean_f1",
        dtype="float32",
    ):
        super().__init__(name=name, dtype=dtype)
        if int(num_labels) < 1:
            raise ValueError(
                f"num_labels must be at least 1, got {num_labels}."
            )
        self.num_labels = int(num_labels)
        self.thresholds = _thresholds(thresholds, self.num_labels)
        if label_index is not None and not (
            0 <= int(label_index) < self.num_labels
        ):
            raise ValueError(
                f"label_index must be in [0, {self.num_labels}), got "
                f"{label_index}."
            )
        self.label_index = None if label_index is None else int(label_index)
        self.true_positives = self.add_variable(
            shape=(self.num_labels,),
            initializer="zeros",
            dtype=dtype,
            name="true_positives",
        )
        self.false_positives = self.add_variable(
            shape=(self.num_labels,),
            initializer="zeros",
            dtype=dtype,
            name="false_positives",
        )
        self.false_negatives = self.add_variable(
            shape=(self.num_labels,),
            initializer="zeros",
            dtype=dtype,
            name="false_negatives",
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.convert_to_tensor(y_pred)
        labels = ops.reshape(ops.cast(y_true, "float32"), ops.shape(y_pred))
        weight = value_weights(
            ops.not_equal(labels, MISSING_LABEL), sample_weight, self.dtype
        )
        present = ops.cast(ops.equal(labels, 1), self.dtype)
        thresholds = ops.convert_to_tensor(
            [0.5] * self.num_labels if self.thresholds is None
            else self.thresholds,
            dtype="float32",
        )
        predicted = ops.cast(
            ops.greater_equal(
                ops.sigmoid(ops.cast(y_pred, "float32")), thresholds
            ),
            self.dtype,
        )
        self.true_positives.assign_add(
            ops.sum(weight * present * predicted, axis=0)
        )
        self.false_positives.assign_add(
            ops.sum(weight * (1.0 - present) * predicted, axis=0)
        )
        self.false_negatives.assign_add(
            ops.sum(weight * present * (1.0 - predicted), axis=0)
        )

    def result(self):
        tp = ops.convert_to_tensor(self.true_positives)
        denominator = (
            2.0 * tp + self.false_positives + self.false_negatives
        )
        f1 = ops.divide_no_nan(2.0 * tp, denominator)
        if self.label_index is not None:
            return f1[self.label_index]
        defined = ops.cast(denominator > 0, self.dtype)
        return ops.divide_no_nan(ops.sum(f1 * defined), ops.sum(defined))

    def reset_state(self):
        for variable in (
            self.true_positives,
            self.false_positives,
            self.false_negatives,
        ):
            variable.assign(ops.zeros_like(variable))

    def get_config(self):
        return {
            "num_labels": self.num_labels,
            "thresholds": (
                None if self.thresholds is None else list(self.thresholds)
            ),
            "label_index": self.label_index,
            **super().get_config(),
        }


def _thresholds(thresholds, num_labels):
    """Checked thresholds: None, or a list of `num_labels` probabilities."""
    if thresholds is None:
        return None
    thresholds = [float(t) for t in thresholds]
    if len(thresholds) != num_labels:
        raise ValueError(
            f"thresholds needs {num_labels} entries (one per label), got "
            f"{len(thresholds)}: {thresholds}."
        )
    if any(not 0.0 <= t <= 1.0 for t in thresholds):
        raise ValueError(
            f"thresholds must lie in [0, 1], got {thresholds}."
        )
    return thresholds
