import glob
import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from keras_dmtl.data import FaceExamples
from keras_dmtl.tasks import NominalTask
from keras_dmtl.training import RunFolder
from tests.conftest import REPO

SETTINGS = {"epochs": 3, "seed": 0, "out": "somewhere"}


def finished_run(path, settings=SETTINGS):
    run = RunFolder(str(path), settings)
    run.write_json("metrics.json", {"loss": 1.0})
    run.commit()
    return run


def listing(path):
    return sorted(name for name in os.listdir(path) if name != ".run.lock")


def folder_contents(path):
    return {name: open(os.path.join(path, name), "rb").read()
            for name in sorted(os.listdir(path))
            if os.path.isfile(os.path.join(path, name))}


def test_a_run_is_unfinished_until_it_commits_run_json_last(tmp_path):
    run = RunFolder(str(tmp_path / "run"), SETTINGS)
    assert not run.finished and not run.resuming
    run.write_json("metrics.json", {"loss": 1.0})
    assert not os.path.exists(run.file("run.json"))
    with open(run.file("run.unfinished.json")) as file:
        assert json.load(file)["files"] == ["metrics.json"]
    run.commit()
    assert sorted(os.listdir(run.path)) == ["metrics.json", "run.json"]
    with open(run.file("run.json")) as file:
        saved = json.load(file)
    assert saved["settings"] == SETTINGS
    assert saved["files"] == ["metrics.json"]


def test_the_same_settings_find_the_finished_run_and_change_nothing(tmp_path):
    finished_run(tmp_path)
    before = folder_contents(tmp_path)
    # The run folder's path is not a setting: the same run from elsewhere.
    again = RunFolder(str(tmp_path), dict(SETTINGS, out=str(tmp_path)))
    assert again.finished
    assert "nothing to do" in again.status
    assert folder_contents(tmp_path) == before


def test_other_settings_are_refused_and_nothing_is_changed(tmp_path):
    finished_run(tmp_path)
    before = folder_contents(tmp_path)
    with pytest.raises(ValueError, match=r"finished run with other settings "
                                         r"\(epochs: 3 -> 5\).*--overwrite"):
        RunFolder(str(tmp_path), dict(SETTINGS, epochs=5))
    assert folder_contents(tmp_path) == before


def test_overwrite_removes_only_what_the_previous_run_wrote(tmp_path):
    finished_run(tmp_path)
    (tmp_path / "notes.txt").write_text("the user's own notes")
    run = RunFolder(str(tmp_path), dict(SETTINGS, epochs=5), overwrite=True)
    assert not run.finished
    assert listing(tmp_path) == ["notes.txt", "run.unfinished.json"]
    assert (tmp_path / "notes.txt").read_text() == "the user's own notes"


def test_a_folder_that_holds_no_run_is_refused_even_with_overwrite(tmp_path):
    (tmp_path / "thesis.tex").write_text("three years of work")
    for overwrite in (False, True):
        with pytest.raises(ValueError, match="holds no keras-dmtl run"):
            RunFolder(str(tmp_path), SETTINGS, overwrite=overwrite)
    assert os.listdir(tmp_path) == ["thesis.tex"]


def test_a_second_process_cannot_write_the_same_run(tmp_path):
    run = RunFolder(str(tmp_path), SETTINGS)
    with pytest.raises(ValueError, match="another process is writing"):
        RunFolder(str(tmp_path), SETTINGS)
    run.close()
    assert RunFolder(str(tmp_path), SETTINGS)


def test_a_file_given_as_the_folder_is_refused(tmp_path):
    (tmp_path / "model.keras").write_text("x")
    with pytest.raises(ValueError, match="is not a folder"):
        RunFolder(str(tmp_path / "model.keras"), SETTINGS)


def test_an_unfinished_run_that_wrote_nothing_is_replaced(tmp_path):
    RunFolder(str(tmp_path), dict(SETTINGS, data="wrong/folder")).close()
    run = RunFolder(str(tmp_path), dict(SETTINGS, data="right/folder"))
    assert not run.resuming
    with open(run.file("run.unfinished.json")) as file:
        assert json.load(file)["settings"]["data"] == "right/folder"


def test_a_run_of_release_0_1_is_recognised_and_replaced_file_by_file(
        tmp_path):
    (tmp_path / "run.json").write_text(json.dumps(SETTINGS))
    for name in ["model.keras", "history.csv", "metrics.json", "test_set.csv",
                 "mine.txt"]:
        (tmp_path / name).write_text(name)
    assert RunFolder(str(tmp_path), SETTINGS).finished
    with pytest.raises(ValueError, match="other settings"):
        RunFolder(str(tmp_path), dict(SETTINGS, seed=1))
    RunFolder(str(tmp_path), dict(SETTINGS, seed=1), overwrite=True)
    assert listing(tmp_path) == ["mine.txt", "run.unfinished.json"]


def test_an_unreadable_run_file_is_a_one_line_error(tmp_path):
    (tmp_path / "run.json").write_text("{not json")
    with pytest.raises(ValueError, match="run.json: not a readable run file"):
        RunFolder(str(tmp_path), SETTINGS)


def test_a_resumed_run_must_hold_out_the_same_faces(tmp_path):
    task = NominalTask("gender", ["f", "m"])

    def faces(paths):
        return FaceExamples("mine", [task], {"gender": [0] * len(paths)},
                            paths=paths)

    run = RunFolder(str(tmp_path), SETTINGS)
    run.check_split(faces(["a.png", "b.png"]))
    run.write_json("metrics.json", {})
    run.close()
    resumed = RunFolder(str(tmp_path), SETTINGS)
    assert resumed.resuming
    resumed.check_split(faces(["a.png", "b.png"]))
    resumed.close()
    with pytest.raises(ValueError, match="data changed"):
        RunFolder(str(tmp_path), SETTINGS).check_split(faces(["a.png"]))


def test_fit_logs_every_epoch_once_and_backs_up_until_commit(tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    run = RunFolder(str(tmp_path), SETTINGS)
    run.fit(model, np.ones((8, 3)), y=np.ones((8, 1)), epochs=3, verbose=0)
    with open(run.file("history.csv")) as file:
        rows = file.read().splitlines()
    assert rows[0] == "epoch,loss"
    assert [row.split(",")[0] for row in rows[1:]] == ["0", "1", "2"]
    assert os.path.isdir(run.file(".backup"))
    run.commit()
    assert not os.path.exists(run.file(".backup"))


# Real processes, real signals, at the dangerous moments.


def start(out, epochs=6, *extra):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.Popen(
        [sys.executable, "-m", "tests.training.tiny_run", out, str(epochs),
         *extra], cwd=REPO, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)


def finish(out, epochs=6, *extra):
    process = start(out, epochs, *extra)
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr[-2000:]
    return stdout


def wait_for(condition, process, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, process.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


def history_epochs(out):
    path = os.path.join(out, "history.csv")
    if not os.path.isfile(path):
        return []
    with open(path) as file:
        return [line.split(",")[0] for line in file.read().splitlines()[1:]]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("uninterrupted") / "run")
    finish(out)
    return keras.saving.load_model(os.path.join(out, "model.keras"))


def assert_same_weights(out, reference):
    model = keras.saving.load_model(os.path.join(out, "model.keras"))
    for mine, theirs in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)


def test_sigkill_during_training_resumes_at_the_next_epoch(tmp_path,
                                                           uninterrupted):
    out = str(tmp_path / "run")
    process = start(out, 6, "--pause", "0.2")
    wait_for(lambda: len(history_epochs(out)) >= 2, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = len(history_epochs(out))
    assert 2 <= done < 6, "the run ended before it was killed"
    assert os.path.isfile(os.path.join(out, "run.unfinished.json"))
    assert not os.path.exists(os.path.join(out, "run.json"))

    stdout = finish(out)
    assert "Resuming the unfinished run" in stdout
    trained = [line for line in stdout.splitlines() if "training epoch" in line]
    # The backup is written just before the history row of an epoch.
    assert trained[0] in (f"training epoch {done}",
                          f"training epoch {done + 1}")
    assert history_epochs(out) == [str(epoch) for epoch in range(6)]
    assert sorted(os.listdir(out)) == ["history.csv", "metrics.json",
                                       "model.keras", "run.json"]
    # Weights and optimizer state came back: the same end as no kill.
    assert_same_weights(out, uninterrupted)


def test_sigkill_during_the_model_save_keeps_the_folder_honest(
        tmp_path, uninterrupted):
    out = str(tmp_path / "run")
    process = start(out)
    partial = os.path.join(out, ".model.keras.partial-*")
    wait_for(lambda: glob.glob(partial), process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    # No half-written model in place, and the folder says it is unfinished.
    assert not os.path.exists(os.path.join(out, "model.keras"))
    assert not os.path.exists(os.path.join(out, "run.json"))
    assert os.path.isfile(os.path.join(out, "run.unfinished.json"))

    stdout = finish(out)
    assert "training epoch" not in stdout  # every epoch was backed up
    assert not glob.glob(partial)
    assert os.path.isfile(os.path.join(out, "run.json"))
    assert_same_weights(out, uninterrupted)
    assert "nothing to do" in finish(out)


def test_ctrl_c_stops_with_one_line_and_the_rerun_resumes(tmp_path):
    out = str(tmp_path / "run")
    process = start(out, 6, "--pause", "0.2")
    wait_for(lambda: len(history_epochs(out)) >= 1, process)
    # Wherever the SIGINT lands (while the epoch's backup is written too),
    # the run stops at the end of the step it is in.
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1].startswith(
        f"Interrupted: {out} keeps the last finished epoch")
    assert "Resuming" in finish(out)
    assert history_epochs(out) == [str(epoch) for epoch in range(6)]
