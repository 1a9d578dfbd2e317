"""A tiny table and batch, and the coupling losses computed with NumPy."""

import numpy as np

from keras_dmtl import MultiLabelTask
from keras_dmtl import NominalTask
from keras_dmtl.coupling import TaskRelatedness

CLASSES = ["happy", "sad", "neutral"]
LABELS = ["AU1", "AU6", "AU12"]
MATRIX = np.array([[0.0, 0.5, 1.0], [0.6, 0.5, 0.0], [0.0, 0.0, 0.0]])
TASKS = [NominalTask("expression", CLASSES),
         MultiLabelTask("aus", labels=LABELS)]
OUTPUTS = {
    "expression": np.array([[2.0, 0.5, -1.0], [-0.3, 1.2, 0.4],
                            [0.0, 0.0, 3.0]], "float32"),
    "aus": np.array([[-1.0, 0.8, 2.5], [1.5, -0.2, -2.0],
                     [-3.0, -2.0, -1.0]], "float32"),
}


def table():
    return TaskRelatedness("expression", "aus", CLASSES, LABELS, MATRIX)


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def bce(target, p):
    return -(target * np.log(p) + (1 - target) * np.log(1 - p))


def implied_expression(p, empty_class_score=None):
    """q(e) from AU probabilities p `(n, L)`, one face at a time."""
    q = []
    for face in p:
        scores = []
        for row in MATRIX:
            if row.any():
                scores.append(sum(m * np.log(pi) for m, pi in zip(row, face)
                                  if m > 0))
            elif empty_class_score is None:
                used = MATRIX.sum(0) > 0
                scores.append(np.log(1 - face[used]).sum())
            else:
                scores.append(empty_class_score)
        q.append(softmax(np.array(scores)))
    return np.array(q)
