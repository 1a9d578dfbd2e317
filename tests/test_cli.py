import csv
import json
import os
import subprocess
import sys

from tests.conftest import REPO


def run(args, tmp_path):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-m", "keras_dmtl.cli", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_info_lists_backbones(tmp_path):
    out = run(["info"], tmp_path)
    assert "efficientnet_b0" in out and "mobilenet_v2" in out


def check_run_folder(out):
    with open(os.path.join(out, "history.csv")) as file:
        rows = list(csv.DictReader(file))
    for column in ["age_beta", "gender_beta", "race_beta", "age_mae",
                   "val_gender_accuracy", "race_loss"]:
        assert column in rows[0], column
    with open(os.path.join(out, "metrics.json")) as file:
        metrics = json.load(file)
    assert set(metrics["task_weights"]) == {"age", "gender", "race"}
    assert os.path.isfile(os.path.join(out, "model.keras"))
    return rows, metrics


def test_train_recipe_on_synthetic_faces_writes_a_run_folder(tmp_path):
    out = str(tmp_path / "run")
    stdout = run(["train", "utkface", "--backbone", "mobilenet_v2_0.35",
                  "--image-size", "32", "--epochs", "2", "--synthetic-size",
                  "96", "--batch-size", "16", "--out", out], tmp_path)
    assert "built-in synthetic faces" in stdout
    rows, metrics = check_run_folder(out)
    assert len(rows) == 2
    assert set(metrics["age_mae"]) == {"model", "chance"}
