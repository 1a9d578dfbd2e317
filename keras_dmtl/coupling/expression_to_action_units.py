"""Distribution matching from expressions to action units."""

import keras
from keras import ops

from keras_dmtl.coupling.coupling import Coupling


@keras.saving.register_keras_serializable(package="keras_dmtl")
class ExpressionToActionUnits(Coupling):
    """Action units should follow from the predicted expression.

    From the expression probabilities p(e | x) = softmax(expression logits)
    and the table M[e, i] = P(AU_i | e), each face gets the action unit
    probabilities its expression implies,

        q_i(x) = sum_e p(e | x) M[e, i],

    and the loss is the binary cross-entropy of the AU head's sigmoid p_i(x)
    against q_i(x) as the target, averaged over the action units and over
    every face of the batch, labelled or not (its minimum is the entropy of
    q, not 0). So faces labelled only for expressions still teach the AU
    head.

    `stop_gradient=True` (default) treats q as a fixed target: the
    expression head teaches the AU head and is not pulled towards the AU
    head's guesses, which early in training (or on datasets without any AU
    label) are the weaker of the two. With False both heads learn from the
    agreement. The paper leaves this open.

    Args:
        relatedness: `TaskRelatedness`, expression task -> AU task.
        stop_gradient: bool, whether q is a fixed target. Defaults to True.
        name: str; defaults to `"expression_to_action_units"`.
        missing: see `Coupling`.

    Call arguments:
        labels: dict of labels (unused: every face takes part).
        outputs: dict from task name to raw head output.

    Returns:
        A float32 scalar.

    Example:

    ```python
    table = keras_dmtl.coupling.TaskRelatedness.du2014()
    model = keras_dmtl.DMTLModel(
        keras_dmtl.data.ckplus_tasks(),
        coupling=[keras_dmtl.coupling.ExpressionToActionUnits(table)])
    ```
    """

    default_name = "expression_to_action_units"

    def __init__(self, relatedness, stop_gradient=True, name=None,
                 missing=None):
        super().__init__(relatedness, name=name, missing=missing)
        self.stop_gradient = bool(stop_gradient)

    def implied_action_units(self, outputs):
        """Keras ops: q `(batch, L)`, the AU probabilities of the expression."""
        expression, _ = self._logits(outputs)
        q = ops.matmul(ops.softmax(expression, axis=-1),
                       ops.convert_to_tensor(self.matrix))
        return ops.stop_gradient(q) if self.stop_gradient else q

    def call(self, labels, outputs):
        _, logits = self._logits(outputs)
        q = self.implied_action_units(outputs)
        # BCE of sigmoid(a) against q: q softplus(-a) + (1 - q) softplus(a).
        per_label = q * ops.softplus(-logits) + (1.0 - q) * ops.softplus(
            logits)
        return ops.mean(per_label)

    def get_config(self):
        config = super().get_config()
        config["stop_gradient"] = self.stop_gradient
        return config
