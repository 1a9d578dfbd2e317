import numpy as np
import pytest

from keras_dmtl.evaluation import confusion_matrix
from keras_dmtl.evaluation import cumulative_scores
from keras_dmtl.evaluation import nominal_scores
from keras_dmtl.evaluation import ordinal_scores
from keras_dmtl.evaluation import per_class_scores
from keras_dmtl.evaluation.scores import row_normalised

TRUE = [0, 0, 0, 1, 1, 2]
PRED = [0, 0, 1, 1, 2, 2]


def test_confusion_matrix_counts_label_rows_and_prediction_columns():
    np.testing.assert_array_equal(
        confusion_matrix(TRUE, PRED, 3), [[2, 1, 0], [0, 1, 1], [0, 0, 1]])
    np.testing.assert_allclose(
        row_normalised([[2, 1, 0], [0, 0, 0]]), [[2 / 3, 1 / 3, 0], [0, 0, 0]])


def test_precision_recall_f1_by_hand():
    precision, recall, f1 = per_class_scores(confusion_matrix(TRUE, PRED, 3))
    # Class 0: 2 of 2 predictions right, 2 of 3 labels found.
    np.testing.assert_allclose(precision, [1.0, 0.5, 0.5])
    np.testing.assert_allclose(recall, [2 / 3, 0.5, 1.0])
    np.testing.assert_allclose(f1, [0.8, 0.5, 2 / 3])


def test_accuracy_and_macro_f1():
    scores = nominal_scores(TRUE, PRED, 4)  # class 3 never occurs
    assert scores["accuracy"] == pytest.approx(4 / 6)
    assert scores["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)


def test_cumulative_score_by_hand():
    cs = cumulative_scores([20, 30, 40, 50], [20, 32, 45, 61], max_error=10)
    # Errors 0, 2, 5, 11.
    np.testing.assert_allclose(cs[[0, 1, 2, 4, 5, 10]],
                               [0.25, 0.25, 0.5, 0.5, 0.75, 0.75])
    assert len(cs) == 11


def test_ordinal_scores_by_hand():
    scores = ordinal_scores(true_index=[20, 30, 40, 50],
                            pred_index=[20, 32, 45, 61],
                            true_value=[20, 30, 40, 50],
                            pred_value=[20, 32, 45, 61],
                            group_cut_points=[10, 30, 60])
    assert scores["accuracy"] == 0.25
    assert scores["mae"] == pytest.approx((0 + 2 + 5 + 11) / 4)
    assert scores["mse"] == pytest.approx((0 + 4 + 25 + 121) / 4)
    # Groups [10,30) [30,60) [60,): 20->20 same, 30->32 same, 40->45 same,
    # 50->61 differs.
    assert scores["group_accuracy"] == 0.75
