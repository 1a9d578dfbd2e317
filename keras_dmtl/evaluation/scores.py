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


def binary_f1(truth, predicted):
    """F1 of boolean predictions against boolean truth (0 when undefined)."""
    truth, predicted = np.asarray(truth, bool), np.asarray(predicted, bool)
    hits = np.sum(truth & predicted)
    total = np.sum(truth) + np.sum(predicted)
    return float(2 * hits / total) if total else 0.0


def multi_label_scores(labels, predicted):
    """Per-label and summary scores of a multi-label task.

    Args:
        labels: `(n, L)` of 1, 0 and -1 (not annotated).
        predicted: `(n, L)` of 1 and 0.

    Returns:
        `{"summary": {...}, "per_label": {...}}`. Per label: precision,
        recall, F1, the annotated entries, labelled and predicted
        positives. Summary: `mean_f1` over the labels whose F1 is defined
        (some labelled or predicted positive), `accuracy` over annotated
        entries, and the macro precision and recall over the same labels.
    """
    labels = np.asarray(labels).reshape(np.shape(predicted))
    predicted = np.asarray(predicted)
    annotated = labels != -1
    truth = (labels == 1) & annotated
    guess = (predicted == 1) & annotated
    hits = (truth & guess).sum(0).astype("float64")
    positives, guesses = truth.sum(0), guess.sum(0)
    precision = np.divide(hits, guesses, out=np.zeros_like(hits),
                          where=guesses > 0)
    recall = np.divide(hits, positives, out=np.zeros_like(hits),
                       where=positives > 0)
    total = positives + guesses
    f1 = np.divide(2 * hits, total, out=np.zeros_like(hits), where=total > 0)
    defined = total > 0
    count = annotated.sum()
    summary = {
        "mean_f1": float(f1[defined].mean()) if defined.any() else 0.0,
        "accuracy": float(((truth == guess) & annotated).sum() / count)
        if count else 0.0,
        "macro_precision": float(precision[defined].mean())
        if defined.any() else 0.0,
        "macro_recall": float(recall[defined].mean())
        if defined.any() else 0.0,
    }
    per_label = {"precision": precision, "recall": recall, "f1": f1,
                 "annotated": annotated.sum(0), "labelled": positives,
                 "predicted": guesses}
    return {"summary": summary, "per_label": per_label}


def concordance(truth, predicted):
    """Lin's concordance correlation coefficient (NaN with < 2 values)."""
    truth = np.asarray(truth, "float64")
    predicted = np.asarray(predicted, "float64")
    if len(truth) < 2:
        return float("nan")
    mean_t, mean_p = truth.mean(), predicted.mean()
    covariance = np.mean((truth - mean_t) * (predicted - mean_p))
    denominator = truth.var() + predicted.var() + (mean_t - mean_p) ** 2
    return float(2 * covariance / denominator) if denominator > 0 else 0.0


def regression_scores(labels, predicted):
    """Per-output scores of a regression task over annotated values.

    Args:
        labels: `(n, K)` floats, NaN where not annotated.
        predicted: `(n, K)` floats.

    Returns:
        A dict of per-output lists: `ccc`, `pearson`, `rmse`, `mae`, `mse`
        and `annotated`.
    """
    labels = np.asarray(labels, "float64")
    predicted = np.asarray(predicted, "float64").reshape(labels.shape)
    table = {key: [] for key in ("ccc", "pearson", "rmse", "mae", "mse",
                                 "annotated")}
    for j in range(labels.shape[1]):
        mask = ~np.isnan(labels[:, j])
        truth, guess = labels[mask, j], predicted[mask, j]
        errors = guess - truth
        table["ccc"].append(concordance(truth, guess))
        spread = truth.std() * guess.std() if len(truth) > 1 else 0.0
        table["pearson"].append(
            float(np.mean((truth - truth.mean()) * (guess - guess.mean()))
                  / spread) if spread > 0 else float("nan"))
        mse = float(np.mean(errors ** 2)) if len(truth) else float("nan")
        table["mse"].append(mse)
        table["rmse"].append(float(np.sqrt(mse)))
        table["mae"].append(float(np.mean(np.abs(errors)))
                            if len(truth) else float("nan"))
        table["annotated"].append(int(mask.sum()))
    return table
