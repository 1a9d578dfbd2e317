import json
import os
import subprocess
import sys

import numpy as np
import pytest

from keras_dmtl.export import trtexec_command


@pytest.mark.parametrize("precision, flags, absent", [
    ("fp32", [], ["--fp16", "--int8"]),
    ("fp16", ["--fp16"], ["--int8"]),
    ("int8", ["--fp16", "--int8", "--calib=calibration.cache"], []),
])
def test_command_has_the_profile_and_precision_flags(precision, flags, absent):
    command = trtexec_command("model.onnx", "model.engine", 224, precision,
                              max_batch=16)
    parts = command.split()
    assert parts[:3] == ["trtexec", "--onnx=model.onnx",
                         "--saveEngine=model.engine"]
    assert "--minShapes=image:1x224x224x3" in parts
    assert "--optShapes=image:1x224x224x3" in parts
    assert "--maxShapes=image:16x224x224x3" in parts
    assert all(f in parts for f in flags)
    assert not any(f in parts for f in absent)


def test_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="TensorRT precision"):
        trtexec_command("m.onnx", "m.engine", 224, "int4")


def test_bundle_holds_all_a_device_needs(exports):
    out, results = exports
    script = os.path.join(out, "build_engine_int8.sh")
    assert os.access(script, os.X_OK)
    with open(script) as file:
        text = file.read()
    assert trtexec_command("model.onnx", "model_int8.engine", 32, "int8") in text
    assert "python3 build_engine.py calibrate" in text
    assert "python3 build_engine.py check model_int8.engine" in text
    calibration = np.load(os.path.join(out, "calibration_images.npy"))
    parity = np.load(os.path.join(out, "parity_images.npy"))
    assert calibration.dtype == parity.dtype == np.uint8
    assert calibration.shape == parity.shape == (48, 32, 32, 3)
    assert not np.array_equal(calibration, parity)  # disjoint samples
    with np.load(os.path.join(out, "parity_reference.npz")) as reference:
        assert sorted(reference.files) == sorted(
            ["age", "age_probabilities", "age_group",
             "age_group_probabilities", "gender", "gender_probabilities",
             "race", "race_probabilities"])
    for name in ["build_engine.py", "parity.py", "model.onnx",
                 "model.onnx.parity.json", "model_info.json"]:
        assert os.path.isfile(os.path.join(out, name)), name
    result = results["tensorrt", "int8"]
    from keras_dmtl.export.tensorrt_engine import tensorrt_available

    if tensorrt_available():
        assert os.path.isfile(os.path.join(out, "model_int8.engine"))
    else:
        assert "run ./build_engine_int8.sh there" in result.notes[0]


# Beside an engine: no Keras, no TensorFlow, no installed keras-dmtl; the
# bundle's own keras_dmtl/ (task classes only) must do.
CHECK_WITHOUT_KERAS = """
import json, os, sys


class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("keras", "tensorflow"):
            raise ImportError(f"{name} is not installed here")


sys.meta_path.insert(0, Blocker())
bundle = sys.argv[1]
sys.path.insert(0, bundle)
import numpy as np
import parity
import keras_dmtl.tasks
here = os.path.join(bundle, "keras_dmtl")
assert os.path.dirname(keras_dmtl.__file__) == here
assert not [m for m in sys.modules
            if m.split(".")[0] in ("keras", "tensorflow")]
with open(os.path.join(bundle, "model_info.json")) as file:
    info = json.load(file)
with np.load(os.path.join(bundle, "parity_reference.npz")) as data:
    reference = {k: data[k] for k in data.files}
report = parity.parity_report(info["tasks"], reference, reference, "int8")
import runpy
script = runpy.run_path(os.path.join(bundle, "build_engine.py"))
assert script["_parity"]() is parity  # what `build_engine.py check` uses
kinds = sorted(keras_dmtl.tasks.Task.KINDS)
print(json.dumps({"report": report, "kinds": kinds}))
"""


def test_device_script_runs_without_keras_dmtl(exports, tmp_path):
    out, _ = exports
    code = ("import runpy, sys; sys.modules['keras_dmtl'] = None; "
            "sys.argv = ['build_engine.py', '--help']; "
            f"runpy.run_path({os.path.join(out, 'build_engine.py')!r}, "
            "run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "{calibrate,build,check}" in done.stdout
    package = os.path.join(out, "keras_dmtl")
    assert sorted(os.listdir(package)) == ["__init__.py", "labels.py",
                                           "tasks"]
    assert "task.py" in os.listdir(os.path.join(package, "tasks"))
    done = subprocess.run(
        [sys.executable, "-c", CHECK_WITHOUT_KERAS, out], capture_output=True,
        text=True, cwd=tmp_path, timeout=120,
        env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    assert done.returncode == 0, done.stderr[-3000:]
    checked = json.loads(done.stdout.strip().splitlines()[-1])
    report = checked["report"]
    assert report["passed"] and report["num_images"] == 48
    assert sorted(report["tasks"]) == ["age", "age_group", "gender", "race"]
    assert all(t["agreement"] == 1.0 for t in report["tasks"].values())
    assert checked["kinds"] == ["multi_label", "nominal", "ordinal",
                                "regression"]
