"""Soft labels for the task a face is not annotated for."""

import keras
from keras import ops

from keras_dmtl.coupling.coupling import Coupling
from keras_dmtl.coupling.coupling import expression_log_scores
from keras_dmtl.labels import MISSING_LABEL


@keras.saving.register_keras_serializable(package="keras_dmtl")
class SoftCoAnnotation(Coupling):
    """Gives each face soft labels for the task it is not annotated for.

    - A face with an expression label e and no AU label (all -1) gets the
      soft AU targets M[e, :]: binary cross-entropy of the AU head's
      sigmoids against them, averaged over the action units.
    - A face with AU labels and no expression label gets the soft
      expression target q(e) proportional to prod_i p_i^M[e, i]
      (`ActionUnitsToExpression`, including its treatment of a class with
      no action unit), where p_i is the face's AU label, smoothed to
      `1 - label_smoothing` (present) or `label_smoothing` (absent) so that
      one absent AU does not rule a class out; an AU the face is not
      annotated for takes the AU head's own prediction (not trained by this
      term). Cross-entropy of the expression head's softmax against q.

    Faces with both labels or neither contribute nothing. The loss is the
    mean over the contributing faces, and 0 (with zero, finite gradients)
    for a batch without any.

    Args:
        relatedness: `TaskRelatedness`, expression task -> AU task.
        label_smoothing: float in (0, 0.5), see above. Defaults to 0.05.
        empty_class_score: see `ActionUnitsToExpression`.
        name: str; defaults to `"soft_co_annotation"`.
        missing: see `Coupling`.

    Call arguments:
        labels: dict from task name to labels, -1 for not annotated.
        outputs: dict from task name to raw head output.

    Returns:
        A float32 scalar.

    Example:

    ```python
    table = keras_dmtl.coupling.TaskRelatedness.du2014()
    coupling = keras_dmtl.coupling.SoftCoAnnotation(table)
    ```
    """

    default_name = "soft_co_annotation"

    def __init__(self, relatedness, label_smoothing=0.05,
                 empty_class_score=None, name=None, missing=None):
        super().__init__(relatedness, name=name, missing=missing)
        label_smoothing = float(label_smoothing)
        if not 0.0 < label_smoothing < 0.5:
            raise ValueError(f"label_smoothing must lie in (0, 0.5), got "
                             f"{label_smoothing}.")
        self.label_smoothing = label_smoothing
        self.empty_class_score = (
            None if empty_class_score is None else float(empty_class_score))

    def call(self, labels, outputs):
        expression, logits = self._logits(outputs)
        classes = ops.reshape(ops.cast(labels[self.source], "float32"), (-1,))
        aus = ops.reshape(ops.cast(labels[self.target], "float32"),
                          ops.shape(logits))
        has_class = ops.not_equal(classes, MISSING_LABEL)
        au_known = ops.not_equal(aus, MISSING_LABEL)
        has_aus = ops.any(au_known, axis=-1)
        class_only = ops.cast(
            ops.logical_and(has_class, ops.logical_not(has_aus)), "float32")
        aus_only = ops.cast(
            ops.logical_and(has_aus, ops.logical_not(has_class)), "float32")

        # Expression label only: soft AU targets M[e, :].
        index = ops.cast(ops.maximum(classes, 0.0), "int32")
        targets = ops.take(ops.convert_to_tensor(self.matrix), index, axis=0)
        au_loss = ops.mean(targets * ops.softplus(-logits)
                           + (1.0 - targets) * ops.softplus(logits), axis=-1)

        # AU labels only: soft expression target from the smoothed labels.
        eps = self.label_smoothing
        present = ops.where(ops.equal(aus, 1.0), 1.0 - eps, eps)
        present = ops.stop_gradient(
            ops.where(au_known, present, ops.sigmoid(logits)))
        present = ops.clip(present, 1e-6, 1.0 - 1e-6)
        scores = expression_log_scores(ops.log(present), ops.log(1.0 - present),
                                       self.matrix, self.empty_class_score)
        q = ops.softmax(scores, axis=-1)
        expression_loss = -ops.sum(
            q * ops.log_softmax(expression, axis=-1), axis=-1)

        total = ops.sum(class_only * au_loss + aus_only * expression_loss)
        count = ops.sum(class_only + aus_only)
        return total / ops.maximum(count, 1.0)

    def get_config(self):
        config = super().get_config()
        config.update({"label_smoothing": self.label_smoothing,
                       "empty_class_score": self.empty_class_score})
        return config
