"""Distribution matching from action units to expressions."""

import keras
from keras import ops

from keras_dmtl.coupling.coupling import Coupling
from keras_dmtl.coupling.coupling import expression_log_scores


@keras.saving.register_keras_serializable(package="keras_dmtl")
class ActionUnitsToExpression(Coupling):
    """The expression should follow from the predicted action units.

    From the AU probabilities p_i(x) = sigmoid(AU logits) each face gets
    the expression distribution they imply,

        q(e | x) proportional to prod_{i: M[e, i] > 0} p_i(x)^M[e, i],

    computed in log space (sum_i M[e, i] log p_i) and normalised over the
    expressions with a softmax; the loss is the cross-entropy
    -sum_e q(e | x) log p(e | x) against the expression head's softmax,
    averaged over every face of the batch.

    A class with no action unit (neutral in Du et al.'s table) would score
    an empty product, 1, and win every face. By default its log-score is
    instead the log-probability that none of the action units other classes
    use is present, sum_i log(1 - p_i): neutral is "no action". Give
    `empty_class_score` (a log-score such as -2.0) for a constant prior
    instead.

    `stop_gradient=True` (default) treats q as a fixed target, so the AU
    head teaches the expression head and is not changed by it; see
    `ExpressionToActionUnits`.

    Args:
        relatedness: `TaskRelatedness`, expression task -> AU task.
        stop_gradient: bool, whether q is a fixed target. Defaults to True.
        empty_class_score: None (default, the "no action" score above) or
            a float, the constant log-score of a class with no action unit.
        name: str; defaults to `"action_units_to_expression"`.
        missing: see `Coupling`.

    Call arguments:
        labels: dict of labels (unused: every face takes part).
        outputs: dict from task name to raw head output.

    Returns:
        A float32 scalar.

    Example:

    ```python
    table = keras_dmtl.coupling.TaskRelatedness.du2014()
    coupling = keras_dmtl.coupling.ActionUnitsToExpression(table)
    ```
    """

    default_name = "action_units_to_expression"

    def __init__(self, relatedness, stop_gradient=True,
                 empty_class_score=None, name=None, missing=None):
        super().__init__(relatedness, name=name, missing=missing)
        self.stop_gradient = bool(stop_gradient)
        self.empty_class_score = (
            None if empty_class_score is None else float(empty_class_score))

    def implied_expression(self, outputs):
        """Keras ops: q `(batch, E)`, the expression of the action units."""
        _, logits = self._logits(outputs)
        # log sigmoid(a) = -softplus(-a), log(1 - sigmoid(a)) = -softplus(a)
        scores = expression_log_scores(
            -ops.softplus(-logits), -ops.softplus(logits), self.matrix,
            self.empty_class_score)
        q = ops.softmax(scores, axis=-1)
        return ops.stop_gradient(q) if self.stop_gradient else q

    def call(self, labels, outputs):
        expression, _ = self._logits(outputs)
        q = self.implied_expression(outputs)
        log_p = ops.log_softmax(expression, axis=-1)
        return ops.mean(-ops.sum(q * log_p, axis=-1))

    def get_config(self):
        config = super().get_config()
        config.update({"stop_gradient": self.stop_gradient,
                       "empty_class_score": self.empty_class_score})
        return config
