import numpy as np
import pytest

from keras_dmtl import NominalTask
from keras_dmtl import OrdinalTask
from keras_dmtl.evaluation import bias_tables
from keras_dmtl.evaluation.predictions import TaskPredictions


def one_hot_logits(indices, classes):
    logits = np.full((len(indices), classes), -5.0)
    logits[np.arange(len(indices)), indices] = 5.0
    return logits


def ordinal_logits(indices, ranks):
    return np.where(np.arange(ranks - 1)[None] < np.asarray(indices)[:, None],
                    5.0, -5.0)


def test_metrics_by_subgroup_with_worst_best_and_gap():
    gender = NominalTask("gender", ["m", "f"])
    race = NominalTask("race", ["a", "b"])
    age = OrdinalTask("age", ranks=range(0, 101))
    g_true = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    r_true = np.array([0, 0, 1, 1, 0, 0, 1, -1])
    g_pred = np.array([0, 0, 0, 1, 1, 0, 1, 1])     # one wrong: i=3, i=5
    ages = np.array([20, 30, 20, 30, 50, 60, 70, 80])
    age_pred = ages + np.array([0, 2, 0, 2, 10, 10, 4, 4])
    predictions = {
        "gender": TaskPredictions(gender, g_true, one_hot_logits(g_pred, 2)),
        "race": TaskPredictions(race, r_true,
                                one_hot_logits(np.maximum(r_true, 0), 2)),
        "age": TaskPredictions(age, ages, ordinal_logits(age_pred, 101)),
    }
    groups, gaps = bias_tables(predictions, group_cut_points=[40],
                               min_group_size=1)
    row = groups[(groups.breakdown == "gender x race") &
                 (groups.group == "f x a") & (groups.task == "gender")]
    assert row["value"].item() == pytest.approx(0.5)
    assert row["size"].item() == 2
    mae = groups[(groups.breakdown == "gender") & (groups.group == "m") &
                 (groups.task == "age")]
    assert mae["value"].item() == pytest.approx(1.0)
    gap = gaps[(gaps.breakdown == "gender") & (gaps.task == "age")]
    assert gap["worst_group"].item() == "f" and gap["best_group"].item() == "m"
    assert gap["gap"].item() == pytest.approx(7.0 - 1.0)
    age_groups = groups[(groups.breakdown == "age_group") &
                        (groups.task == "gender")]
    assert age_groups["group"].tolist() == ["<40", "40+"]
    assert age_groups["value"].tolist() == pytest.approx([0.75, 0.75])


def test_small_groups_are_listed_but_not_ranked():
    gender = NominalTask("gender", ["m", "f"])
    labels = np.array([0] * 30 + [1] * 3)
    predicted = np.array([0] * 30 + [0] * 3)
    predictions = {"gender": TaskPredictions(gender, labels,
                                             one_hot_logits(predicted, 2))}
    groups, gaps = bias_tables(predictions, min_group_size=20)
    assert sorted(groups["size"]) == [3, 30]
    assert gaps.empty  # only one group is large enough to rank
