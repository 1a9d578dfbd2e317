import math

import numpy as np
import pytest

from keras_dmtl.losses.distillation import sigmoid_distillation
from keras_dmtl.losses.distillation import softmax_distillation


def test_softmax_distillation_against_hand_values():
    # Teacher p = (1/4, 3/4), student q = (1/2, 1/2), T = 1.
    teacher = np.array([[0.0, math.log(3.0)]], "float32")
    student = np.zeros((1, 2), "float32")
    expected = 0.25 * math.log(0.5) + 0.75 * math.log(1.5)
    assert float(softmax_distillation(teacher, student)[0]) == (
        pytest.approx(expected, rel=1e-5))
    # T = 2: p = softmax(0, ln 3 / 2) = (1, sqrt 3) / (1 + sqrt 3), times 4.
    p = np.array([1.0, math.sqrt(3.0)]) / (1 + math.sqrt(3.0))
    expected = 4 * float(np.sum(p * np.log(p / 0.5)))
    assert float(softmax_distillation(teacher, student, 2.0)[0]) == (
        pytest.approx(expected, rel=1e-5))


def test_sigmoid_distillation_against_hand_values():
    # Teacher p = 1/2, student q = 3/4: KL = 1/2 ln(2/3) + 1/2 ln 2.
    teacher = np.array([[0.0, 1.0]], "float32")
    student = np.array([[math.log(3.0), 1.0]], "float32")
    got = np.asarray(sigmoid_distillation(teacher, student))
    expected = 0.5 * math.log(2 / 3) + 0.5 * math.log(2.0)
    np.testing.assert_allclose(got, [[expected, 0.0]], rtol=1e-5, atol=1e-7)


def test_zero_when_the_student_answers_as_the_teacher():
    logits = np.random.default_rng(0).normal(size=(5, 7)).astype("float32")
    np.testing.assert_allclose(softmax_distillation(logits, logits, 3.0),
                               0.0, atol=1e-6)
    np.testing.assert_allclose(sigmoid_distillation(logits, logits, 3.0),
                               0.0, atol=1e-6)
    # Shifting every logit by the same amount keeps the class
    # probabilities, so the softmax term stays zero.
    np.testing.assert_allclose(
        softmax_distillation(logits, logits + 4.0, 1.0), 0.0, atol=1e-5)
