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
