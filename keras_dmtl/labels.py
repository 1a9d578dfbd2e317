"""The label that marks an example as not annotated for a task."""

MISSING_LABEL = -1
"""An example labelled `MISSING_LABEL` for a task is left out of that task's
loss and metrics and still counts for the other tasks. Datasets whose labels
do not overlap (UTKFace annotates age, FER2013 expression) depend on it."""


def annotated(labels):
    """The labels of a task that are not `MISSING_LABEL`, as an array."""
    import numpy as np

    labels = np.asarray(labels)
    return labels[labels != MISSING_LABEL]
