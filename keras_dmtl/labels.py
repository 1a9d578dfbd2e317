"""The label that marks an example as not annotated for a task."""

MISSING_LABEL = -1
"""An example labelled `MISSING_LABEL` for a task is left out of that task's
loss and metrics and still counts for the other tasks. Datasets whose labels
do not overlap (UTKFace annotates age, FER2013 expression) depend on it.

It marks integer labels: an ordinal or nominal label, or one entry of a
multi-label vector. A regression task marks a missing value with NaN, so
that -1 stays a valid value; ask the task (`task.missing_value`,
`task.missing_labels(count)`, `task.annotated(labels)`) rather than compare
with this constant when the kind is not known."""


def annotated(labels):
    """The scalar labels that are not `MISSING_LABEL`, as a 1-D array.

    For labels of one int per example (ordinal, nominal); for any kind use
    `task.annotated(labels)`, a bool per example.
    """
    import numpy as np

    labels = np.asarray(labels)
    return labels[labels != MISSING_LABEL]
