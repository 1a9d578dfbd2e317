import numpy as np
import pytest

from keras_dmtl import MultiLabelTask
from keras_dmtl import NominalTask
from keras_dmtl import OrdinalTask
from keras_dmtl import RegressionTask
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


def test_multi_label_by_mean_f1_and_regression_by_ccc():
    gender = NominalTask("gender", ["m", "f"])
    aus = MultiLabelTask("aus", labels=["AU1", "AU2"])
    affect = RegressionTask("affect", ["valence"], bounds=(-1, 1))
    g_true = np.array([0, 0, 1, 1, -1])
    au_true = np.array([[1, 0], [0, 1], [1, 1], [-1, -1], [1, 1]])
    au_pred = np.array([[1, 0], [1, 1], [0, 1], [1, 1], [1, 1]])
    va_true = np.array([[0.1], [0.5], [-0.5], [np.nan], [0.0]], "float32")
    va_pred = np.array([[0.2], [0.6], [0.0], [0.3], [0.0]], "float32")
    predictions = {
        "gender": TaskPredictions(gender, g_true, one_hot_logits(
            np.maximum(g_true, 0), 2)),
        "aus": TaskPredictions(aus, au_true, {"aus": au_pred}),
        "affect": TaskPredictions(affect, va_true, {"affect": va_pred}),
    }
    groups, gaps = bias_tables(predictions, min_group_size=1)
    assert set(groups["breakdown"]) == {"gender"}  # neither gives groups
    metric = groups.set_index(["group", "task"])
    # Men: AU1 tp 1 fp 1 -> 2/3, AU2 tp 1 -> 1.
    assert metric.loc[("m", "aus"), "metric"] == "mean_f1"
    assert metric.loc[("m", "aus"), "value"] == pytest.approx(5 / 6)
    assert metric.loc[("m", "aus"), "size"] == 2
    # Women: only face 2 is annotated for AUs (AU1 fn 1 -> 0, AU2 -> 1).
    assert metric.loc[("f", "aus"), "value"] == pytest.approx(0.5)
    assert metric.loc[("f", "aus"), "size"] == 1
    # Men's valence: means 0.3 and 0.4, variances and covariance 0.04.
    assert metric.loc[("m", "affect"), "metric"] == "ccc"
    assert metric.loc[("m", "affect"), "value"] == pytest.approx(8 / 9)
    # One annotated woman: her CCC is undefined, listed but not ranked.
    assert metric.loc[("f", "affect"), "size"] == 1
    assert np.isnan(metric.loc[("f", "affect"), "value"])
    gap = gaps.set_index("task")
    assert gap.loc["aus", "best_group"] == "m"
    assert gap.loc["aus", "gap"] == pytest.approx(5 / 6 - 0.5)
    assert "affect" not in gap.index
