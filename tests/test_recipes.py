import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from keras_dmtl.data.adience import adience_image_path
from tests.conftest import REPO
from tests.conftest import shared_path
from tests.conftest import write_image

SMALL = ["--backbone", "mobilenet_v2_0.35", "--image-size", "32",
         "--epochs", "1", "--batch-size", "8"]


def run_recipe(name, *args, returncode=0):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, os.path.join(REPO, "recipes", f"{name}.py"), *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=1200,
    )
    assert result.returncode == returncode, result.stderr[-3000:]
    return result.stdout if returncode == 0 else result.stderr


def start_recipe(name, *args):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, os.path.join(REPO, "recipes", f"{name}.py"), *args],
        cwd=REPO, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True)


@pytest.mark.slow  # 30 s
def test_utkface_fer_trains_one_model_on_two_label_sets(tmp_path):
    out = str(tmp_path / "run")
    stdout = run_recipe("utkface_fer", *SMALL, "--synthetic-size", "96",
                        "--optimizer", "adam", "--out", out)
    with open(os.path.join(out, "metrics.json")) as file:
        metrics = json.load(file)
    for key in ["age_mae", "gender_accuracy", "race_accuracy",
                "expression_accuracy"]:
        assert set(metrics[key]) == {"model", "chance"}
    assert set(metrics["task_weights"]) == {"age", "gender", "race",
                                            "expression"}
    history = pd.read_csv(os.path.join(out, "history.csv"))
    assert {"expression_loss", "age_loss", "expression_beta"} <= set(history)
    assert "synthetic faces" in stdout


def test_utkface_fer_writes_its_training_and_test_faces(tmp_path):
    # Small folders in the datasets' own layouts, every file different.
    utk, fer = tmp_path / "utkface", tmp_path / "fer2013"
    for i in range(40):
        write_image(utk / f"{20 + i}_{i % 2}_{i % 5}_2017010{i:09d}"
                    ".jpg.chip.jpg", color=(4 * i, 100, 50))
    for split, count in (("train", 21), ("test", 7)):
        for i in range(count):
            emotion = ["angry", "happy", "sad", "neutral"][i % 4]
            write_image(fer / split / emotion / f"{i}.jpg", (48, 48),
                        color=(9 * i + (split == "test"),), mode="L")
    out = str(tmp_path / "run")
    run_recipe("utkface_fer", *SMALL, "--utkface", str(utk), "--fer2013",
               str(fer), "--out", out)
    train = pd.read_csv(os.path.join(out, "train_utkface.csv"))
    test = pd.read_csv(os.path.join(out, "test_utkface.csv"))
    assert len(train) + len(test) == 40 and len(test) == 8
    assert not set(train["image"]) & set(test["image"])
    assert list(train.columns) == list(test.columns)
    assert len(pd.read_csv(os.path.join(out, "test_fer2013.csv"))) == 7


@pytest.mark.slow  # 40 s: five folds
def test_adience_recipe_reports_folds_and_their_spread(tmp_path):
    header = ("user_id\toriginal_image\tface_id\tage\tgender\tx\ty\tdx\tdy\t"
              "tilt_ang\tfiducial_yaw_angle\tfiducial_score\n")
    ages = ["(0, 2)", "(25, 32)", "(60, 100)", "35"]
    for k in range(5):
        lines = [header]
        for i in range(8):
            user, face, image = f"user{k}_{i % 2}", str(i), f"{k}_{i}.jpg"
            lines.append(f"{user}\t{image}\t{face}\t{ages[i % 4]}\t"
                         f"{'mf'[i % 2]}\t0\t0\t1\t1\t0\t0\t50\n")
            write_image(adience_image_path(str(tmp_path), user, face, image),
                        color=(40 * (i % 4), 100, 200 - 40 * (i % 4)))
        (tmp_path / f"fold_{k}_data.txt").write_text("".join(lines))
    out = str(tmp_path / "run")
    run_recipe("adience", "--data", str(tmp_path), "--folds", "0", "1",
               *SMALL, "--out", out)
    folds = pd.read_csv(os.path.join(out, "folds.csv"))
    assert folds["fold"].tolist() == [0, 1]
    assert {"age_group_accuracy", "age_group_mae", "gender_accuracy",
            "gender_accuracy_chance"} <= set(folds)
    with open(os.path.join(out, "summary.json")) as file:
        summary = json.load(file)
    assert set(summary["gender_accuracy"]) == {"mean", "std"}


@pytest.mark.slow  # 30 s; `keras-dmtl train` runs the recipe in test_cli.py
@pytest.mark.shared
def test_utkface_recipe_on_the_shared_faces(tmp_path):
    data = shared_path("data", "utkface")
    weights = shared_path("weights",
                          "mobilenet_v2_1.0_224_no_top_imagenet.weights.h5")
    out = str(tmp_path / "run")
    stdout = run_recipe("utkface", "--data", data, "--backbone",
                        "mobilenet_v2", "--weights", weights, "--image-size",
                        "64", "--limit", "160", "--epochs", "1", "--out", out)
    assert "skipped 2" in stdout
    assert "groups of byte-identical files" in stdout
    with open(os.path.join(out, "metrics.json")) as file:
        assert "race_accuracy" in json.load(file)
    # The training faces, for class priors: the kept faces less the test.
    import pandas as pd

    train = pd.read_csv(os.path.join(out, "train_set.csv"))
    test = pd.read_csv(os.path.join(out, "test_set.csv"))
    assert len(train) + len(test) == 160
    assert not set(train["image"]) & set(test["image"])
    assert set(train.columns) == set(test.columns)


@pytest.mark.slow
def test_tune_weights_writes_table_iv_and_resumes(tmp_path):
    out = str(tmp_path / "tune")
    args = ["--synthetic-size", "80", *SMALL, "--trials", "2", "--seeds", "1",
            "--optimizer", "adam", "--weightings", "learned,dwa",
            "--out", out]
    run_recipe("tune_weights", *args)
    table = pd.read_csv(os.path.join(out, "table_iv.csv"))
    assert table["method"].tolist() == [
        "manual_best", "uncertainty", "dwa", "uncertainty_age_as_classes",
        "single_age", "single_gender", "single_race"]
    assert " ± " in table.loc[0, "gender_accuracy"]
    with open(os.path.join(out, "runs", "uncertainty_seed0",
                           "metrics.json")) as file:
        assert set(json.load(file)) >= {"age_mae", "gender_accuracy",
                                        "combined_score"}
    # A finished study is left as it is; other settings are refused.
    assert "nothing to do" in run_recipe("tune_weights", *args)
    refused = run_recipe("tune_weights", *args, "--seeds", "2", returncode=1)
    assert "other settings (seeds: 1 -> 2)" in refused


@pytest.mark.slow
def test_tune_weights_killed_during_the_comparison_resumes(tmp_path):
    out = str(tmp_path / "tune")
    args = ["--synthetic-size", "80", *SMALL, "--trials", "2", "--seeds", "1",
            "--optimizer", "adam", "--out", out]
    process = start_recipe("tune_weights", *args)
    for line in process.stdout:
        if line.startswith("Training single_race, seed 0"):
            process.send_signal(signal.SIGKILL)
            break
    process.wait()
    assert not os.path.exists(os.path.join(out, "run.json"))
    trials = sorted(os.listdir(os.path.join(out, "search")))
    # The rerun trains only the missing run and repeats no trial.
    stdout = run_recipe("tune_weights", *args)
    assert "Resuming" in stdout
    assert stdout.count("finished before, skipped") == 5
    assert "Training single_race, seed 0" in stdout
    assert "Training uncertainty," not in stdout
    assert sorted(os.listdir(os.path.join(out, "search"))) == trials
    assert os.path.isfile(os.path.join(out, "run.json"))


@pytest.mark.slow  # 1 min: two short trainings of the README's recipe
def test_utkface_recipe_killed_after_an_epoch_resumes_there(tmp_path):
    out = str(tmp_path / "run")
    args = ["--backbone", "mobilenet_v2_0.35", "--image-size", "32",
            "--epochs", "3", "--batch-size", "16", "--synthetic-size", "96",
            "--out", out]
    process = start_recipe("utkface", *args)
    history = os.path.join(out, "history.csv")
    while not (os.path.isfile(history)
               and len(open(history).read().splitlines()) == 2):
        assert process.poll() is None, process.communicate()
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    stdout = run_recipe("utkface", *args)
    assert "Resuming the unfinished run" in stdout
    assert "Epoch 1/3" not in stdout and "Epoch 2/3" in stdout
    rows = pd.read_csv(history)
    assert rows["epoch"].tolist() == [0, 1, 2]
    assert os.path.isfile(os.path.join(out, "run.json"))


@pytest.mark.slow  # 45 s; every kind trains in tests/tasks/test_task_kinds.py
def test_face_behavior_trains_every_kind_from_four_label_sets(tmp_path):
    out = str(tmp_path / "run")
    stdout = run_recipe("face_behavior", *SMALL, "--synthetic-size", "160",
                        "--batch-size", "16", "--optimizer", "adam",
                        "--out", out)
    assert "synthetic faces stand in" in stdout
    with open(os.path.join(out, "metrics.json")) as file:
        metrics = json.load(file)
    for key in ["utkface:age_mae", "utkface:gender_accuracy",
                "fer2013:expression_accuracy",
                "ckplus:action_units_mean_f1", "affect:affect_ccc"]:
        assert set(metrics[key]) == {"model", "chance"}, key
    assert set(metrics["task_weights"]) == {
        "age", "gender", "race", "expression", "action_units", "affect"}
    # The action-unit thresholds were chosen on held-out faces and saved.
    assert "action_units calibrated on ckplus" in stdout
    import keras_dmtl

    model = keras_dmtl.models.load_dmtl_model(os.path.join(out,
                                                           "model.keras"))
    aus = next(t for t in model.tasks if t.name == "action_units")
    assert len(aus.thresholds) == 8


@pytest.mark.slow  # 3 min: seven small models
def test_face_behavior_study_writes_one_row_per_configuration(tmp_path):
    out = str(tmp_path / "study")
    stdout = run_recipe("face_behavior_study", "--synthetic-size", "96",
                        "--image-size", "32", "--epochs", "1", "--seeds", "1",
                        "--configs", "a,e", "--out", out)
    table = pd.read_csv(os.path.join(out, "study.csv"))
    assert table["configuration"].tolist() == ["a_alone", "e_both", "chance",
                                               "every unit on"]
    models = table[~table["configuration"].isin(["chance", "every unit on"])]
    for column in ["age MAE", "gender acc", "FER expr F1", "CK+ AU mean F1",
                   "VA CCC"]:
        assert models[column].str.contains(" ± ").all(), column
    chance = table.set_index("configuration").loc["chance"]
    assert 0 < float(chance["gender acc"]) < 1
    assert float(chance["age MAE"]) > 0
    # answering every unit "on" beats drawing units at their rate
    prior = table.set_index("configuration").loc["every unit on"]
    assert float(chance["CK+ AU mean F1"]) < float(prior["CK+ AU mean F1"]) <= 1
    assert "Saved study.csv and study.md" in stdout
    assert os.path.isfile(os.path.join(out, "run.json"))
    assert "nothing to do" in run_recipe(
        "face_behavior_study", "--synthetic-size", "96", "--image-size",
        "32", "--epochs", "1", "--seeds", "1", "--configs", "a,e",
        "--out", out)
