"""The paper's metrics, in numpy, over annotated examples."""

import numpy as np


def confusion_matrix(true_index, pred_index, num_classes):
    """Counts `(true, predicted)` pairs: rows are labels, columns guesses."""
    matrix = np.zeros((num_classes, num_classes), dtype="int64")
    np.add.at(matrix, (np.asarray(true_index), np.asarray(pred_index)), 1)
    return matrix


def row_normalised(matrix):
    """Each row divided by its sum (a row of zeros stays zero)."""
    matrix = np.asarray(matrix, "float64")
    sums = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, sums, out=np.zeros_like(matrix), where=sums > 0)


def per_class_scores(matrix):
    """Precision, recall and F1 of each class from a confusion matrix.

    A class never predicted has precision 0; never labelled, recall 0.
    """
    matrix = np.asarray(matrix, "float64")
    hits = np.diag(matrix)
    predicted, labelled = matrix.sum(0), matrix.sum(1)
    precision = np.divide(hits, predicted, out=np.zeros_like(hits),
                          where=predicted > 0)
    recall = np.divide(hits, labelled, out=np.zeros_like(hits),
                       where=labelled > 0)
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros_like(hits),
                   where=total > 0)
    return precision, recall, f1


def nominal_scores(true_index, pred_index, num_classes):
    """Accuracy and macro-F1 (the mean F1 over classes that occur)."""
    true_index, pred_index = np.asarray(true_index), np.asarray(pred_index)
    matrix = confusion_matrix(true_index, pred_index, num_classes)
    _, _, f1 = per_class_scores(matrix)
    present = (matrix.sum(0) + matrix.sum(1)) > 0
    return {
        "accuracy": float(np.mean(true_index == pred_index)),
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
    }


def cumulative_scores(true_value, pred_value, max_error=10):
    """CS(i): share of examples with |error| <= i, for i = 0..max_error."""
    errors = np.abs(np.asarray(pred_value, "float64")
                    - np.asarray(true_value, "float64"))
    return np.array([float(np.mean(errors <= i))
                     for i in range(max_error + 1)])


def ordinal_scores(true_index, pred_index, true_value, pred_value,
                   group_cut_points=None):
    """Exact and group accuracy, MAE and MSE in label units.

    Args:
        true_index, pred_index: rank indices.
        true_value, pred_value: rank values (such as years).
        group_cut_points: optional ascending cut points; "group accuracy"
            counts a prediction right when it falls in the label's group.
    """
    true_value = np.asarray(true_value, "float64")
    pred_value = np.asarray(pred_value, "float64")
    errors = pred_value - true_value
    scores = {
        "accuracy": float(np.mean(np.asarray(true_index) ==
                                  np.asarray(pred_index))),
        "mae": float(np.mean(np.abs(errors))),
        "mse": float(np.mean(errors ** 2)),
    }
    if group_cut_points is not None:
        cuts = np.asarray(group_cut_points, "float64")
        same = (np.searchsorted(cuts, true_value, side="right")
                == np.searchsorted(cuts, pred_value, side="right"))
        scores["group_accuracy"] = float(np.mean(same))
    return scores
