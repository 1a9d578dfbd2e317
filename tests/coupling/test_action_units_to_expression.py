import keras
import numpy as np
import pytest

from keras_dmtl.coupling import ActionUnitsToExpression
from tests.coupling import hand


@pytest.mark.parametrize("empty_class_score", [None, -2.0])
def test_matches_the_loss_computed_by_hand(empty_class_score):
    coupling = ActionUnitsToExpression(hand.table(),
                                       empty_class_score=empty_class_score)
    value = coupling({}, hand.OUTPUTS)
    q = hand.implied_expression(hand.sigmoid(hand.OUTPUTS["aus"]),
                                empty_class_score)
    log_p = np.log(hand.softmax(hand.OUTPUTS["expression"]))
    expected = -(q * log_p).sum(-1).mean()
    np.testing.assert_allclose(float(value), expected, rtol=1e-5)


def test_neutral_wins_a_face_without_action_units():
    coupling = ActionUnitsToExpression(hand.table())
    outputs = {"expression": np.zeros((1, 3), "float32"),
               "aus": np.full((1, 3), -4.0, "float32")}
    q = np.asarray(coupling.implied_expression(outputs))
    assert q[0].argmax() == hand.CLASSES.index("neutral")
    outputs["aus"] = np.array([[-4.0, 4.0, 4.0]], "float32")
    q = np.asarray(coupling.implied_expression(outputs))
    assert q[0].argmax() == hand.CLASSES.index("happy")


def test_config_round_trip():
    coupling = ActionUnitsToExpression(hand.table(), empty_class_score=-1.0)
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(coupling))
    assert restored.get_config() == coupling.get_config()
    assert restored.empty_class_score == -1.0
