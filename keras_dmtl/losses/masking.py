"""Masks of missing labels, and the weights and means that skip them."""

from keras import ops


def regression_values(y_true, y_pred, dtype):
    """Labels and predictions of a regression head as `(batch, K)` arrays.

    Args:
        y_true: the labels, of any shape holding the predictions' values.
        y_pred: predictions of shape `(batch, K)`, or `(batch,)` for one
            output (it becomes `(batch, 1)`).
        dtype: the dtype both are cast to.

    Returns:
        `(y_true, y_pred)`, both of shape `(batch, K)` and `dtype`.
    """
    y_pred = ops.cast(y_pred, dtype)
    if len(y_pred.shape) == 1:
        y_pred = ops.expand_dims(y_pred, -1)
    y_true = ops.reshape(ops.cast(y_true, dtype), ops.shape(y_pred))
    return y_true, y_pred


def without_nan(y_true):
    """Regression labels with their missing (NaN) values replaced by 0.

    Replacing them before any arithmetic keeps gradients finite.

    Args:
        y_true: float labels, NaN where not annotated.

    Returns:
        `(labels, annotated)`: the labels with 0 for NaN, and a bool array
        of the same shape, True where a value is annotated.
    """
    annotated = ops.logical_not(ops.isnan(y_true))
    return ops.where(annotated, y_true, ops.zeros_like(y_true)), annotated


def value_weights(annotated, sample_weight, dtype):
    """The weight of each label value: its mask times its example's weight.

    Args:
        annotated: bool array of shape `(batch,)` or `(batch, K)`, True
            where a value is annotated.
        sample_weight: None, or one weight per example (`batch` values).
        dtype: the dtype of the weights.

    Returns:
        An array of `annotated`'s shape: 0 where a value is not annotated,
        else 1 or its example's `sample_weight`.
    """
    weight = ops.cast(annotated, dtype)
    if sample_weight is not None:
        sample_weight = ops.reshape(
            ops.cast(sample_weight, dtype), ops.shape(weight)[:1]
        )
        for _ in weight.shape[1:]:
            sample_weight = ops.expand_dims(sample_weight, -1)
        weight = weight * sample_weight
    return weight


def example_weights(annotated, reduction, sample_weight):
    """The weights a loss passes to its reduction: annotated examples only.

    An example with no annotated label weighs 0. With a mean reduction
    (`"sum_over_batch_size"` or `"mean"`) the weights are scaled so that the
    batch mean becomes the mean over the annotated examples (0 when a batch
    has none).

    Args:
        annotated: bool array of shape `(batch,)`, True for an example with
            at least one annotated label.
        reduction: the loss's reduction.
        sample_weight: None, or one weight per example, multiplied in.

    Returns:
        A float32 array of shape `(batch,)`.
    """
    weight = ops.cast(annotated, "float32")
    if reduction in ("sum_over_batch_size", "mean"):
        total = ops.cast(ops.size(weight), "float32")
        weight = weight * ops.divide_no_nan(total, ops.sum(weight))
    if sample_weight is not None:
        sample_weight = ops.reshape(
            ops.cast(sample_weight, "float32"), ops.shape(weight)
        )
        weight = weight * sample_weight
    return weight


def mean_over_annotated(values, annotated):
    """Each example's mean of `values` over its annotated entries.

    An example with no annotated entry gets 0: its sum is 0 and dividing by
    at least 1 keeps its value and gradient at 0 rather than NaN.

    Args:
        values: array of shape `(batch, K)`, finite everywhere.
        annotated: float array of the same shape, 1 where annotated, else 0.

    Returns:
        An array of shape `(batch,)`.
    """
    count = ops.sum(annotated, axis=-1)
    return ops.sum(values * annotated, axis=-1) / ops.maximum(count, 1.0)

