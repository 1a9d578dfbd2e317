import pytest

from keras_dmtl import NominalTask
from keras_dmtl import OrdinalTask
from keras_dmtl.data import SyntheticFaces
from keras_dmtl.tuning import CombinedScore
from keras_dmtl.tuning import chance_levels
from keras_dmtl.tuning import combined_score
from keras_dmtl.tuning import task_skill

AGE = OrdinalTask("age", ranks=range(0, 117))
GENDER = NominalTask("gender", ["m", "f"])
CHANCE = {"age_mae": 20.0, "age_accuracy": 0.02, "gender_accuracy": 0.5}


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
