"""An export replaces only what it wrote, and cleans up after a killed one."""

import json
import os
import signal
import subprocess
import sys
import threading

import pytest

from keras_dmtl.export import export_model
from keras_dmtl.export.export_folder import EXPORT_MARKER
from keras_dmtl.export.export_folder import STAGING_MARKER
from keras_dmtl.export.export_folder import check_export_folder
from keras_dmtl.export.export_folder import exported_entries
from keras_dmtl.export.export_folder import make_staging
from keras_dmtl.export.export_folder import remove_stale_staging
from tests.conftest import REPO

# Exports a model, but stops for good once it has made its staging folder
# and starts writing the SavedModel there, so that the test can kill it
# at that point. (Writing the SavedModel first would take 10 s more.)
STALLED_EXPORT = """
import sys
import time

module = sys.modules["keras_dmtl.export.export_model"]

def stall(model, path, **kwargs):
    print("staging", path, flush=True)
    time.sleep(600)

module.write_saved_model = stall
module.export_model(sys.argv[1], "savedmodel", sys.argv[2], parity_images=2)
"""


def _start_stalled_export(model_file, out, log):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    process = subprocess.Popen(
        [sys.executable, "-c", "import keras_dmtl.export\n" + STALLED_EXPORT,
         model_file, out],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    guard = threading.Timer(300, process.kill)  # never outlive the test
    guard.start()
    return process, guard


@pytest.mark.slow  # 25 s; the removal itself is tested by default below
def test_a_killed_export_leaves_no_staging_folder_behind(model_file,
                                                         tmp_path):
    out = tmp_path / "export"
    out.mkdir()
    (out / "keep.txt").write_text("a file of the user's")
    log = tmp_path / "stalled_export.log"
    with open(log, "w") as stderr:
        process, guard = _start_stalled_export(model_file, str(out), stderr)
    try:
        line = process.stdout.readline()
        assert line.startswith("staging"), log.read_text()[-3000:]
        staging = [e for e in os.listdir(out) if e != "keep.txt"]
        assert len(staging) == 1
        assert line.split()[1].startswith(str(out / staging[0]))
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=60) == -signal.SIGKILL
    finally:
        guard.cancel()
        process.kill()
        process.wait()
        process.stdout.close()
    assert (out / staging[0]).is_dir()  # what the kill left behind

    result = export_model(model_file, "savedmodel", str(out),
                          parity_images=4)
    assert result.notes[0] == (
        f"Removed 1 staging folder(s) of interrupted exports from {out}: "
        f"{staging[0]} (pid {process.pid}).")
    assert sorted(os.listdir(out)) == [
        EXPORT_MARKER, "keep.txt", "model_info.json", "saved_model",
        "saved_model.parity.json"]
    assert (out / "keep.txt").read_text() == "a file of the user's"
    assert result.reports[str(out / "saved_model")]["passed"]


def _staging(out, **record):
    """A staging folder as an export makes it, with its marker edited."""
    path = make_staging(str(out))
    with open(os.path.join(path, STAGING_MARKER)) as file:
        marker = json.load(file)
    marker.update(record)
    with open(os.path.join(path, STAGING_MARKER), "w") as file:
        json.dump(marker, file)
    os.makedirs(os.path.join(path, "saved_model"))
    return os.path.basename(path)


def test_only_staging_folders_of_exports_that_are_gone_are_removed(tmp_path):
    finished = subprocess.Popen(["true"])
    finished.wait()
    dead = _staging(tmp_path, pid=finished.pid)
    live = _staging(tmp_path)  # this process: an export still running
    reused = _staging(tmp_path, process_start="1")  # its pid, reused
    elsewhere = _staging(tmp_path, pid=finished.pid, host="another-host")
    unmarked = _staging(tmp_path, pid=finished.pid)
    os.remove(tmp_path / unmarked / STAGING_MARKER)
    (tmp_path / ".export-abc123" / "saved_model").mkdir(parents=True)
    (tmp_path / ".keras-dmtl-staging-user").write_text("a file")

    note = remove_stale_staging(str(tmp_path))

    removed = sorted([f"{dead} (pid {finished.pid})",
                      f"{reused} (pid {os.getpid()})"])
    assert note == (f"Removed 2 staging folder(s) of interrupted exports from "
                    f"{tmp_path}: {', '.join(removed)}.")
    assert sorted(os.listdir(tmp_path)) == sorted([
        live, elsewhere, unmarked, ".export-abc123",
        ".keras-dmtl-staging-user"])
    assert remove_stale_staging(str(tmp_path)) is None


@pytest.mark.parametrize("export_format, precision, entry, kind", [
    ("savedmodel", "fp32", "saved_model", "folder"),
    ("tflite", "fp16", "model_info.json", "file"),
    ("tensorrt", "int8", "parity.py", "file"),
    ("tensorrt", "fp16", "keras_dmtl", "folder"),
])
def test_an_export_never_replaces_what_it_did_not_write(
        export_format, precision, entry, kind, model_file, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    target = out / entry
    if kind == "folder":
        target.mkdir()
        (target / "notes.txt").write_text("the user's")
    else:
        target.write_text("the user's")
    before = sorted(os.listdir(out))
    with pytest.raises(ValueError) as error:
        export_model(model_file, export_format, str(out), precision)
    assert str(error.value) == (
        f"{out}: holds {entry}, which keras-dmtl export did not write (they "
        f"are not listed in {EXPORT_MARKER}); nothing was changed. Move them "
        "away or give another folder for the export.")
    assert sorted(os.listdir(out)) == before
    if kind == "folder":
        assert (target / "notes.txt").read_text() == "the user's"
    else:
        assert target.read_text() == "the user's"


def test_an_output_that_is_a_file_is_refused(model_file, tmp_path):
    out = tmp_path / "out"
    out.write_text("not a folder")
    with pytest.raises(ValueError, match="out: exists and is not a folder"):
        export_model(model_file, "onnx", str(out))
    assert out.read_text() == "not a folder"


def test_the_folder_of_an_earlier_release_export_may_be_replaced(tmp_path):
    import shutil

    release = os.path.join(REPO, "tests", "fixtures", "release_0_1", "onnx")
    out = tmp_path / "onnx"
    out.mkdir()
    shutil.copy(os.path.join(release, "model_info.json"), out)
    (out / "model.onnx").write_bytes(b"an ONNX graph")
    (out / "model.onnx.parity.json").write_text("{}")
    (out / "parity.py").write_text("the user's own script")
    (out / "notes.txt").write_text("the user's")
    assert exported_entries(str(out)) == {
        "model_info.json", "model.onnx", "model.onnx.parity.json"}
    check_export_folder(str(out), ["model.onnx", "model.onnx.parity.json",
                                   "model_info.json"])
    with pytest.raises(ValueError, match="holds parity.py, which"):
        check_export_folder(str(out), ["model.onnx", "parity.py"])
    (out / "model_info.json").unlink()
    (out / "model_info.json").write_text('{"format": "something else"}')
    with pytest.raises(ValueError, match="holds model.onnx, model_info.json"):
        check_export_folder(str(out), ["model.onnx", "model_info.json"])
