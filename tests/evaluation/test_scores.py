import numpy as np
import pytest

from keras_dmtl import MultiLabelTask
from keras_dmtl import RegressionTask
from keras_dmtl.evaluation import binary_f1
from keras_dmtl.evaluation import concordance
from keras_dmtl.evaluation import confusion_matrix
from keras_dmtl.evaluation import cumulative_scores
from keras_dmtl.evaluation import nominal_scores
from keras_dmtl.evaluation import ordinal_scores
from keras_dmtl.evaluation import multi_label_scores
from keras_dmtl.evaluation import per_class_scores
from keras_dmtl.evaluation import regression_scores
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


# A multi-label task of 4 labels; -1 marks an entry not annotated. Label 3
# is never present nor predicted where annotated: its F1 is undefined and
# left out of the mean (its one predicted positive is on a blank entry).
AU_LABELS = [[1, 0, -1, 0], [1, 1, 0, 0], [0, -1, 0, -1], [-1, 1, 1, 0]]
AU_PRED = [[1, 1, 1, 0], [0, 1, 0, 0], [0, 0, 1, 1], [1, 1, 1, 0]]


def test_multi_label_scores_by_hand():
    scores = multi_label_scores(AU_LABELS, AU_PRED)
    per_label = scores["per_label"]
    # Label 0: tp 1, fn 1. Label 1: tp 2, fp 1. Label 2: tp 1, fp 1.
    np.testing.assert_allclose(per_label["precision"], [1, 2 / 3, 0.5, 0])
    np.testing.assert_allclose(per_label["recall"], [0.5, 1, 1, 0])
    np.testing.assert_allclose(per_label["f1"], [2 / 3, 0.8, 2 / 3, 0])
    np.testing.assert_array_equal(per_label["annotated"], [3, 3, 3, 3])
    np.testing.assert_array_equal(per_label["labelled"], [2, 2, 1, 0])
    np.testing.assert_array_equal(per_label["predicted"], [1, 3, 2, 0])
    summary = scores["summary"]
    assert summary["mean_f1"] == pytest.approx((2 / 3 + 0.8 + 2 / 3) / 3)
    assert summary["accuracy"] == pytest.approx(9 / 12)
    assert summary["macro_precision"] == pytest.approx((1 + 2 / 3 + 0.5) / 3)
    assert summary["macro_recall"] == pytest.approx((0.5 + 1 + 1) / 3)
    assert binary_f1([1, 1, 0, 0], [1, 0, 1, 0]) == pytest.approx(0.5)
    assert binary_f1([0, 0], [0, 0]) == 0.0


def test_concordance_by_hand():
    # Means 2 and 3, variances 2/3, covariance 2/3: 2 cov / (v + v + 1).
    assert concordance([1, 2, 3], [2, 3, 4]) == pytest.approx(4 / 7)
    assert concordance([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)
    assert concordance([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert np.isnan(concordance([1.0], [1.0]))


def test_regression_scores_by_hand():
    nan = np.nan
    labels = [[1, nan], [2, 0.5], [3, -0.5], [nan, 0.0]]
    predicted = [[2, 0], [3, 0.5], [4, -0.5], [9, 1.0]]
    table = regression_scores(labels, predicted)
    assert table["annotated"] == [3, 3]
    # Output 1: truth (0.5, -0.5, 0) and guesses (0.5, -0.5, 1): means 0
    # and 1/3, variances 1/6 and 7/18, covariance 1/6.
    np.testing.assert_allclose(table["ccc"], [4 / 7, 0.5])
    np.testing.assert_allclose(
        table["pearson"], [1.0, (1 / 6) / np.sqrt(1 / 6 * 7 / 18)])
    np.testing.assert_allclose(table["mse"], [1.0, 1 / 3])
    np.testing.assert_allclose(table["rmse"], [1.0, np.sqrt(1 / 3)])
    np.testing.assert_allclose(table["mae"], [1.0, 1 / 3])


def test_tasks_score_multi_label_and_regression_outputs():
    aus = MultiLabelTask("aus", labels=["AU1", "AU2", "AU4", "AU6"])
    scores = aus.scores(np.array(AU_LABELS), {"aus": np.array(AU_PRED)})
    assert scores["mean_f1"] == pytest.approx((2 / 3 + 0.8 + 2 / 3) / 3)
    affect = RegressionTask("affect", ["valence", "arousal"], bounds=(-9, 9))
    labels = np.array([[1, np.nan], [2, 0.5], [3, -0.5], [np.nan, 0.0]],
                      "float32")
    predicted = {"affect": np.array([[2, 0], [3, 0.5], [4, -0.5], [9, 1.0]],
                                    "float32")}
    scores = affect.scores(labels, predicted)
    assert scores["ccc_valence"] == pytest.approx(4 / 7)
    assert scores["ccc_arousal"] == pytest.approx(0.5)
    assert scores["ccc"] == pytest.approx((4 / 7 + 0.5) / 2)
    assert scores["rmse"] == pytest.approx(np.sqrt(2 / 3))
