import csv
import json
import os
import subprocess
import sys

import pytest

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


def _fail_with(monkeypatch, error):
    """Makes `keras-dmtl info` raise `error`."""
    from keras_dmtl import cli

    def info(args):
        raise error

    monkeypatch.setattr(cli, "_info", info)


@pytest.mark.parametrize("error, message", [
    (json.JSONDecodeError("Expecting value", "{", 0),
     "JSONDecodeError: Expecting value: line 1 column 1 (char 0)"),
    (KeyError("config"), "KeyError: 'config'"),
    (OSError("Cannot parse file b'a.pb':\nwire format was corrupt."),
     "OSError: Cannot parse file b'a.pb': wire format was corrupt."),
    (PermissionError(13, "Permission denied", "/data/a.csv"),
     "[Errno 13] Permission denied: '/data/a.csv'"),
    (TypeError(), "TypeError"),
    (ValueError("a.csv: field 'age' is 'x'"), "a.csv: field 'age' is 'x'"),
])
def test_any_error_is_one_line_and_a_non_zero_exit(error, message,
                                                   monkeypatch):
    from keras_dmtl.cli import main

    _fail_with(monkeypatch, error)
    with pytest.raises(SystemExit) as exit_:
        main(["info"])
    assert exit_.value.code == f"keras-dmtl info: {message}"


def test_an_interrupt_is_one_line_and_exit_status_130(monkeypatch, capsys):
    from keras_dmtl.cli import main

    _fail_with(monkeypatch, KeyboardInterrupt())
    with pytest.raises(SystemExit) as exit_:
        try:
            main(["info"])
        except KeyboardInterrupt:  # would stop the whole test run
            pytest.fail("the interrupt went through main()")
    assert exit_.value.code == 130
    assert capsys.readouterr().err == "keras-dmtl info: interrupted\n"


@pytest.mark.parametrize("argv", [["--debug", "info"], ["info", "--debug"]])
def test_debug_lets_the_error_through(argv, monkeypatch):
    from keras_dmtl.cli import main

    _fail_with(monkeypatch, KeyError("config"))
    with pytest.raises(KeyError, match="config"):
        main(argv)
    _fail_with(monkeypatch, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        main(argv)


def test_bad_input_gives_no_traceback_from_the_command(tmp_path):
    """The command end to end: random bytes for an ONNX model, beside a
    valid model_info.json."""
    import shutil

    model = tmp_path / "model.onnx"
    model.write_bytes(os.urandom(1024))
    shutil.copy(os.path.join(REPO, "tests", "fixtures", "release_0_1", "onnx",
                             "model_info.json"), tmp_path)
    (tmp_path / "face.png").write_bytes(b"")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-m", "keras_dmtl.cli", "predict",
         str(tmp_path / "face.png"), "--model", str(model)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(
        f"keras-dmtl predict: {model}: not a loadable ONNX model "
        "(InvalidProtobuf: ")
