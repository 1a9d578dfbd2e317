"""Deterministic train/test splits that keep related images together."""

import numpy as np


def split_indices(count, test_fraction, seed=0):
    """A deterministic random split of `range(count)` into train and test."""
    return grouped_split(np.arange(count), test_fraction, seed)


def grouped_split(groups, test_fraction, seed=0):
    """Splits examples so that every group lies wholly on one side.

    Groups are shuffled under `seed` and taken into the test set until it
    holds `test_fraction` of the examples (as close as whole groups allow).

    Args:
        groups: array with one group key per example.
        test_fraction: float in (0, 1).
        seed: int.

    Returns:
        `(train, test)`: sorted index arrays.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1): {test_fraction}")
    _, group_of = np.unique(np.asarray(groups), return_inverse=True)
    sizes = np.bincount(group_of)
    order = np.random.default_rng(seed).permutation(len(sizes))
    target = test_fraction * len(group_of)
    taken = np.cumsum(sizes[order])
    test_groups = order[: int(np.searchsorted(taken, target)) + 1]
    in_test = np.isin(group_of, test_groups)
    return np.flatnonzero(~in_test), np.flatnonzero(in_test)


def example_groups(examples):
    """One group id per example, joining byte-identical copies and subjects.

    Two examples share a group when they have the same content fingerprint
    (`content_ids`) or the same subject (`subjects`), directly or through a
    chain of others: a face never appears on both sides of a split.
    """
    count = len(examples)
    parent = np.arange(count)

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for keys in (examples.content_ids, examples.subjects):
        if keys is None:
            continue
        first = {}
        for index, key in enumerate(keys):
            if key is None:
                continue
            if key in first:
                a, b = find(index), find(first[key])
                parent[max(a, b)] = min(a, b)
            else:
                first[key] = index
    return np.array([find(i) for i in range(count)])


def split_examples(examples, test_fraction=0.2, seed=0):
    """Splits `FaceExamples` into `(train, test)` by `example_groups`."""
    train, test = grouped_split(example_groups(examples), test_fraction, seed)
    return examples.subset(train), examples.subset(test)
