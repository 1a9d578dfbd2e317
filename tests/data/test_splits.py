import numpy as np
import pytest

from keras_dmtl.data import FaceExamples
from keras_dmtl.data import grouped_split
from keras_dmtl.data import split_examples
from keras_dmtl.data import split_indices
from keras_dmtl.data.splits import example_groups
from keras_dmtl import NominalTask


def test_split_is_deterministic_and_disjoint():
    train, test = split_indices(100, 0.2, seed=1)
    assert len(test) == 20 and not set(train) & set(test)
    assert np.array_equal(test, split_indices(100, 0.2, seed=1)[1])
    assert not np.array_equal(test, split_indices(100, 0.2, seed=2)[1])


def test_groups_stay_whole():
    groups = np.repeat(np.arange(20), 5)
    train, test = grouped_split(groups, 0.3, seed=0)
    assert not set(groups[train]) & set(groups[test])
    assert 25 <= len(test) <= 35


def test_content_and_subject_groups_join_transitively():
    examples = FaceExamples(
        "x", [NominalTask("g", 2)], {"g": [0, 1, 0, 1, 0]},
        paths=list("abcde"),
        subjects=np.array(["s1", "s2", "s3", "s2", "s4"]),
        content_ids=np.array(["h1", "h2", "h1", "h3", "h4"]),
    )
    groups = example_groups(examples)
    # a~c by content, b~d by subject; e alone.
    assert groups[0] == groups[2] and groups[1] == groups[3]
    assert len(set(groups)) == 3
    train, test = split_examples(examples, 0.4, seed=3)
    assert len(train) + len(test) == 5


def test_bad_fraction():
    with pytest.raises(ValueError, match="test_fraction"):
        split_indices(10, 1.5)
