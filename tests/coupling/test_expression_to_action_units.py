import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_dmtl.coupling import ExpressionToActionUnits
from tests.coupling import hand


def test_matches_the_loss_computed_by_hand():
    coupling = ExpressionToActionUnits(hand.table())
    value = coupling({}, hand.OUTPUTS)
    q = hand.softmax(hand.OUTPUTS["expression"]) @ hand.MATRIX
    expected = hand.bce(q, hand.sigmoid(hand.OUTPUTS["aus"])).mean()
    np.testing.assert_allclose(float(value), expected, rtol=1e-5)
    assert coupling.name == "expression_to_action_units"


@pytest.mark.parametrize("stop_gradient", [True, False])
def test_stop_gradient_keeps_the_expression_head_out(stop_gradient):
    coupling = ExpressionToActionUnits(hand.table(),
                                       stop_gradient=stop_gradient)
    outputs = {k: tf.Variable(v) for k, v in hand.OUTPUTS.items()}
    with tf.GradientTape() as tape:
        value = coupling({}, outputs)
    grads = tape.gradient(value, [outputs["expression"], outputs["aus"]])
    assert np.abs(grads[1].numpy()).sum() > 0
    if stop_gradient:
        assert grads[0] is None or not np.any(grads[0].numpy())
    else:
        assert np.abs(grads[0].numpy()).sum() > 0


def test_bind_reorders_the_table_to_the_tasks():
    from keras_dmtl import MultiLabelTask
    from keras_dmtl import NominalTask

    coupling = ExpressionToActionUnits(hand.table())
    coupling.bind([NominalTask("expression", ["sad", "happy", "neutral"]),
                   MultiLabelTask("aus", labels=["AU12", "AU1", "AU6"])])
    np.testing.assert_allclose(coupling.matrix,
                               [[0, 0.6, 0.5], [1, 0, 0.5], [0, 0, 0]])
    with pytest.raises(ValueError, match="expression_to_action_units.*"
                                         "no task 'aus'"):
        coupling.bind([NominalTask("expression", hand.CLASSES)])


def test_config_round_trip():
    coupling = ExpressionToActionUnits(hand.table(), stop_gradient=False,
                                       name="e2au")
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(coupling))
    assert restored.get_config() == coupling.get_config()
    np.testing.assert_allclose(float(restored({}, hand.OUTPUTS)),
                               float(coupling({}, hand.OUTPUTS)))
