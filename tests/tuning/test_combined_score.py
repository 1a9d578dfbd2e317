import pytest

from keras_dmtl import MultiLabelTask
from keras_dmtl import NominalTask
from keras_dmtl import OrdinalTask
from keras_dmtl import RegressionTask
from keras_dmtl.data import SyntheticFaces
from keras_dmtl.tuning import CombinedScore
from keras_dmtl.tuning import chance_levels
from keras_dmtl.tuning import combined_score
from keras_dmtl.tuning import task_skill

AGE = OrdinalTask("age", ranks=range(0, 117))
GENDER = NominalTask("gender", ["m", "f"])
AUS = MultiLabelTask("aus", labels=["AU1", "AU2", "AU12"])
AFFECT = RegressionTask("affect", ["valence", "arousal"], bounds=(-1, 1))
CHANCE = {"age_mae": 20.0, "age_accuracy": 0.02, "gender_accuracy": 0.5,
          "aus_mean_f1": 0.4, "aus_accuracy": 0.7, "affect_ccc": 0.0,
          "affect_rmse": 0.5}
ALL = [AGE, GENDER, AUS, AFFECT]


def test_skills_on_fixed_numbers():
    logs = {"val_age_mae": 5.0, "val_gender_accuracy": 0.9}
    assert task_skill(AGE, logs, CHANCE) == pytest.approx(0.75)
    assert task_skill(GENDER, logs, CHANCE) == pytest.approx(0.8)
    assert combined_score([AGE, GENDER], logs, CHANCE) == pytest.approx(0.775)


def test_worse_than_chance_is_negative_and_perfect_is_one():
    worse = {"val_age_mae": 30.0, "val_gender_accuracy": 0.4}
    assert task_skill(AGE, worse, CHANCE) == pytest.approx(-0.5)
    assert task_skill(GENDER, worse, CHANCE) == pytest.approx(-0.2)
    perfect = {"val_age_mae": 0.0, "val_gender_accuracy": 1.0}
    assert combined_score([AGE, GENDER], perfect, CHANCE) == 1.0


def test_callback_adds_the_score_to_the_logs():
    callback = CombinedScore([AGE, GENDER], CHANCE)
    logs = {"val_age_accuracy": 0.1, "val_age_mae": 5.0,
            "val_gender_accuracy": 0.9}
    callback.on_epoch_end(0, logs)
    assert logs["val_combined_score"] == pytest.approx(0.775)


def test_chance_levels_from_the_labels():
    faces = SyntheticFaces(50, 16)
    examples = faces.examples(["age", "gender"])
    train, valid = examples.subset(range(40)), examples.subset(range(40, 50))
    levels = chance_levels(examples.tasks, train, valid)
    assert set(levels) == {"age_accuracy", "age_mae", "gender_accuracy"}
    assert 0 <= levels["gender_accuracy"] <= 1 and levels["age_mae"] > 0


def test_skill_of_every_kind_by_hand():
    logs = {"val_age_mae": 5.0, "val_gender_accuracy": 0.9,
            "val_aus_mean_f1": 0.7, "val_affect_ccc": 0.3}
    assert task_skill(AGE, logs, CHANCE) == pytest.approx(1 - 5 / 20)
    assert task_skill(GENDER, logs, CHANCE) == pytest.approx(0.4 / 0.5)
    assert task_skill(AUS, logs, CHANCE) == pytest.approx(0.3 / 0.6)
    assert task_skill(AFFECT, logs, CHANCE) == pytest.approx(0.3)
    assert combined_score(ALL, logs, CHANCE) == pytest.approx(
        (0.75 + 0.8 + 0.5 + 0.3) / 4)
    test = {"test_aus_mean_f1": 0.1, "test_affect_ccc": -0.2}
    assert task_skill(AUS, test, CHANCE, prefix="test_") == pytest.approx(
        -0.5)
    assert task_skill(AFFECT, test, CHANCE, prefix="test_") == (
        pytest.approx(-0.2))


def test_callback_reads_each_kind_s_own_metric():
    logs = {"val_age_accuracy": 0.1, "val_age_mae": 5.0,
            "val_gender_accuracy": 0.9, "val_aus_mean_f1": 0.7,
            "val_aus_accuracy": 0.8, "val_aus_f1_AU1": 0.6,
            "val_affect_ccc": 0.3, "val_affect_rmse": 0.4,
            "val_affect_ccc_valence": 0.3}
    CombinedScore(ALL, CHANCE).on_epoch_end(0, logs)
    assert logs["val_combined_score"] == pytest.approx(0.5875)
    # No `_accuracy` log is needed for an ordinal, regression or
    # multi-label task; a missing skill metric means no score.
    logs = {"val_age_mae": 5.0, "val_aus_mean_f1": 0.7,
            "val_affect_ccc": 0.3}
    CombinedScore([AGE, AUS, AFFECT], CHANCE).on_epoch_end(0, logs)
    assert logs["val_combined_score"] == pytest.approx((0.75 + 0.5 + 0.3) / 3)
    logs = {"val_age_mae": 5.0, "val_aus_accuracy": 0.7}
    CombinedScore([AGE, AUS], CHANCE).on_epoch_end(0, logs)
    assert "val_combined_score" not in logs


def test_chance_levels_of_every_kind():
    names = ["age", "gender", "race", "expression", "action_units", "affect"]
    examples = SyntheticFaces(60, 16).examples(names)
    train, valid = examples.subset(range(45)), examples.subset(range(45, 60))
    levels = chance_levels(examples.tasks, train, valid)
    assert {"age_mae", "gender_accuracy", "action_units_mean_f1",
            "affect_ccc"} <= set(levels)
    assert 0 < levels["action_units_mean_f1"] < 1
    assert levels["affect_ccc"] == 0.0 and levels["affect_rmse"] > 0
