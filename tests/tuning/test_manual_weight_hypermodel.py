import keras_tuner
import numpy as np
import pytest

from keras_dmtl.data import SyntheticFaces
from keras_dmtl.data import face_dataset
from keras_dmtl.tuning import ManualWeightHyperModel
from keras_dmtl.tuning import chance_levels

SMALL = {"backbone": "mobilenet_v2_0.35", "image_size": 32}


@pytest.fixture(scope="module")
def data():
    faces = SyntheticFaces(48, 32, seed=1)
    examples = faces.examples(["age", "gender"])
    train, valid = examples.subset(range(32)), examples.subset(range(32, 48))
    return (examples.tasks, chance_levels(examples.tasks, train, valid),
            face_dataset(train, image_size=32, batch_size=16),
            face_dataset(valid, image_size=32, batch_size=16))


def test_search_space_is_one_weight_per_task_normalised(data):
    tasks, chance, _, _ = data
    hypermodel = ManualWeightHyperModel(tasks, chance, **SMALL)
    hp = keras_tuner.HyperParameters()
    model = hypermodel.build(hp)
    names = [p.name for p in hp.space]
    assert names == ["weight_age", "weight_gender"]
    assert [(p.min_value, p.max_value) for p in hp.space] == [(0.05, 1.0)] * 2
    hp.values.update({"weight_age": 0.3, "weight_gender": 0.1})
    model = hypermodel.build(hp)
    assert model.loss_weighting == "fixed"
    np.testing.assert_allclose(model.task_weights, [0.75, 0.25])
    assert model.weighting.trainable_weights == []


def test_learning_rate_is_searched_on_a_log_scale(data):
    tasks, chance, _, _ = data
    hypermodel = ManualWeightHyperModel(tasks, chance,
                                        tune_learning_rate=True, **SMALL)
    hp = keras_tuner.HyperParameters()
    hypermodel.build(hp)
    rate = hp.space[-1]
    assert rate.name == "learning_rate" and rate.sampling == "log"


@pytest.mark.slow  # 75 s: a search of 4 trials, then a resumed one
def test_search_reports_the_combined_score_and_resumes(data, tmp_path):
    tasks, chance, train, valid = data
    hypermodel = ManualWeightHyperModel(tasks, chance, optimizer="adam",
                                        **SMALL)

    def tuner(trials):
        return keras_tuner.RandomSearch(
            hypermodel, objective=keras_tuner.Objective(
                "val_combined_score", "max"),
            max_trials=trials, directory=str(tmp_path), project_name="p",
            overwrite=False, seed=0)

    first = tuner(2)
    first.search(train, validation_data=valid, epochs=1, verbose=0)
    trials = first.oracle.get_best_trials(2)
    assert len(trials) == 2
    score = trials[0].metrics.get_best_value("val_combined_score")
    assert np.isfinite(score)
    done = {t.trial_id: t.hyperparameters.values for t in trials}

    # A new tuner on the same folder keeps the two trials and runs one more.
    second = tuner(3)
    second.search(train, validation_data=valid, epochs=1, verbose=0)
    all_trials = second.oracle.trials
    assert len(all_trials) == 3
    for trial_id, values in done.items():
        assert all_trials[trial_id].hyperparameters.values == values


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["bayesian", "hyperband"])
def test_bayesian_optimisation_and_hyperband_run_it_too(kind, data, tmp_path):
    tasks, chance, train, valid = data
    hypermodel = ManualWeightHyperModel(tasks, chance, optimizer="adam",
                                        **SMALL)
    objective = keras_tuner.Objective("val_combined_score", "max")
    if kind == "bayesian":
        tuner = keras_tuner.BayesianOptimization(
            hypermodel, objective=objective, max_trials=2,
            directory=str(tmp_path), project_name=kind, seed=0)
    else:
        tuner = keras_tuner.Hyperband(
            hypermodel, objective=objective, max_epochs=2, factor=2,
            hyperband_iterations=1, directory=str(tmp_path),
            project_name=kind, seed=0)
    tuner.search(train, validation_data=valid, epochs=2, verbose=0)
    best = tuner.oracle.get_best_trials(1)[0]
    assert np.isfinite(best.metrics.get_best_value("val_combined_score"))
    assert set(best.hyperparameters.values) >= {"weight_age", "weight_gender"}
