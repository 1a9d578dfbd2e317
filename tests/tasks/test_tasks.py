import keras
import numpy as np
import pytest

from keras_dmtl import NominalTask
from keras_dmtl import OrdinalTask
from keras_dmtl.tasks import deserialize_tasks
from keras_dmtl.tasks import serialize_tasks


def test_tasks_serialize_and_restore():
    tasks = [
        OrdinalTask("age", ranks=range(0, 117)),
        OrdinalTask("age_group", cut_points=[3, 10, 20], rank_consistent=True),
        NominalTask("gender", ["male", "female"]),
    ]
    restored = deserialize_tasks(serialize_tasks(tasks))
    assert restored == tasks
    assert restored[1].rank_consistent


def test_ordinal_ranks_decode_to_values():
    age = OrdinalTask("age", ranks=range(0, 117))
    assert age.num_ranks == 117
    logits = np.array([[5.0] * 30 + [-5.0] * 86])
    record = age.decode(logits)[0]
    assert record["value"] == 30 and record["label"] == "30"
    assert len(record["threshold_probabilities"]) == 116


def test_cut_points_define_groups():
    group = OrdinalTask("age_group", cut_points=[3, 10, 70])
    assert group.names == ["<3", "3-9", "10-69", "70+"]
    np.testing.assert_array_equal(group.label_index([0, 3, 9, 10, 80]),
                                  [0, 1, 1, 2, 3])
    assert group.decode(np.array([[1.0, -1.0, -1.0]]))[0]["label"] == "3-9"


def test_nominal_decode_gives_class_and_probabilities():
    gender = NominalTask("gender", ["male", "female"])
    record = gender.decode(np.array([[0.0, np.log(3.0)]]))[0]
    assert record["label"] == "female"
    assert record["probabilities"]["female"] == pytest.approx(0.75)


def test_chance_metrics_guess_the_training_majority():
    gender = NominalTask("gender", 2)
    chance = gender.chance_metrics(np.array([1, 1, 0, -1]),
                                   np.array([1, 0, 0, 0, -1]))
    assert chance == {"accuracy": pytest.approx(0.25)}
    age = OrdinalTask("age", ranks=range(0, 101))
    chance = age.chance_metrics(np.array([10, 20, 20, 90]),
                                np.array([20, 30]))
    # Mode 20, median 20: one exact hit, errors 0 and 10 years.
    assert chance == {"accuracy": 0.5, "mae": 5.0}


def test_losses_and_metrics_follow_the_task():
    age = OrdinalTask("age", ranks=[0, 10, 20])
    assert age.loss().edges == [10, 20]
    assert [m.name for m in age.metrics()] == ["accuracy", "mae"]
    head = age.build_head()
    assert tuple(head(np.zeros((1, 4), "float32")).shape) == (1, 2)
    assert isinstance(NominalTask("x", 3).build_head(), keras.layers.Dense)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: OrdinalTask("age"), "exactly one"),
        (lambda: OrdinalTask("age", ranks=[3, 2]), "strictly ascending"),
        (lambda: OrdinalTask("age", ranks=[-1, 0, 1]), "missing label"),
        (lambda: OrdinalTask("age", ranks=["a", "b"]), "must be numbers"),
        (lambda: OrdinalTask("age", ranks=[0, 1], rank_names=["x"]),
         "rank_names"),
        (lambda: NominalTask("gender", ["m"]), "at least 2"),
        (lambda: NominalTask("gender", ["m", "m"]), "repeated"),
        (lambda: NominalTask("not a name", 2), "identifier"),
    ],
)
def test_rejects_bad_specifications(make, message):
    with pytest.raises(ValueError, match=message):
        make()
