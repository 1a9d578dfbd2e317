import os
import subprocess
import sys

import pytest

from tests.conftest import REPO


def run_command(*command, returncode=0):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, *command], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == returncode, done.stderr[-3000:]
    return done.stdout if returncode == 0 else done.stderr


def test_each_bundle_lists_its_options_under_its_name():
    stdout = run_command("-m", "keras_dmtl.cli", "bundle", "jetson",
                         "--help")
    assert stdout.startswith("usage: keras-dmtl bundle jetson")
    assert "--max-batch" in stdout and "--precisions" in stdout


def test_a_bundle_refuses_an_option_it_does_not_have():
    from keras_dmtl.export import BUNDLES

    with pytest.raises(TypeError, match=r"no option\(s\) \['precision'\]"):
        BUNDLES["mobile"].build("model.keras", precision="fp16")


def test_a_missing_model_is_one_line(tmp_path):
    stderr = run_command("-m", "keras_dmtl.cli", "bundle", "mobile",
                         str(tmp_path / "none.keras"), returncode=1)
    assert stderr.strip().splitlines()[-1].startswith(
        "keras-dmtl bundle mobile: ")
    assert "none.keras" in stderr.strip().splitlines()[-1]


@pytest.mark.slow  # 35 s; each TFLite precision exports in conftest's fixture
def test_mobile_bundle_writes_checked_tflite_models(model_file, face_folder,
                                                    tmp_path):
    out = tmp_path / "mobile"
    stdout = run_command("-m", "keras_dmtl.cli", "bundle", "mobile",
                         model_file, "--out", str(out), "--data", face_folder,
                         "--precisions", "fp16", "int8")
    rows = {line.split()[0]: line for line in stdout.splitlines()
            if line.startswith(("fp16 ", "int8 "))}
    assert "model_fp16.tflite" in rows["fp16"]
    assert "gender 100.0%" in rows["fp16"]
    assert (out / "model_fp16.tflite.parity.json").is_file()
    if "left out" in rows["int8"]:  # the bar is 98 % of faces per task
        assert "misses its parity bar of 98.0%" in rows["int8"]
        assert not (out / "model_int8.tflite").exists()
    else:
        assert (out / "model_int8.tflite.parity.json").is_file()
    assert (out / "model_info.json").is_file()
    # The fastest file that passed is also the app's model.tflite.
    fastest = next(line for line in stdout.splitlines()
                   if line.startswith("Fastest that passes: "))
    name = fastest.split()[3]
    assert (out / "model.tflite").read_bytes() == (out / name).read_bytes()


@pytest.mark.slow  # 20 s; the TensorRT bundle is tested in test_trtexec.py
def test_jetson_script_prepares_a_folder_for_the_device(model_file,
                                                         face_folder,
                                                         tmp_path):
    out = tmp_path / "jetson"
    stdout = run_command(os.path.join(REPO, "export", "jetson.py"),
                         model_file, "--out", str(out), "--data", face_folder,
                         "--precisions", "fp16")
    assert "onnxruntime, fp16, lowest task agreement with Keras 100.00%" in (
        stdout)
    names = set(os.listdir(out))
    assert {"model.onnx", "model.onnx.parity.json", "build_engine_fp16.sh",
            "build_engine.py", "parity.py", "parity_images.npy",
            "parity_reference.npz", "model_info.json", "README.txt",
            "keras_dmtl"} <= names
    readme = (out / "README.txt").read_text()
    assert "./build_engine_fp16.sh" in readme
    assert "--maxShapes=image:8x32x32x3" in (
        out / "build_engine_fp16.sh").read_text()


@pytest.fixture(scope="module")
def aware_file(model_file, tmp_path_factory):
    """A quantization-aware copy of the small trained model."""
    from keras_dmtl.data import SyntheticFaces
    from keras_dmtl.models import quantization_aware_model
    from keras_dmtl.models.load_model import load_dmtl_model

    model = load_dmtl_model(model_file)
    faces = SyntheticFaces(32, model.image_size, seed=2).images
    path = tmp_path_factory.mktemp("aware") / "model.keras"
    quantization_aware_model(model, faces.astype("float32")).save(str(path))
    return str(path)


def test_mobile_bundle_writes_every_precision_of_a_float_model_by_default(
        model_file, capsys):
    from keras_dmtl.export.mobile_bundle import DEFAULT_PRECISIONS
    from keras_dmtl.export.mobile_bundle import default_precisions
    from keras_dmtl.models.load_model import load_dmtl_model

    model = load_dmtl_model(model_file)
    assert default_precisions(model, model_file) == DEFAULT_PRECISIONS
    assert capsys.readouterr().out == ""


def test_mobile_bundle_writes_int8_alone_of_a_quantization_aware_model(
        aware_file, capsys):
    from keras_dmtl.export.mobile_bundle import default_precisions
    from keras_dmtl.models.load_model import load_dmtl_model

    model = load_dmtl_model(aware_file)
    assert default_precisions(model, aware_file) == ["int8"]
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"{aware_file} is quantization-aware: ")
    assert "--precisions to choose" in line and "\n" not in line


@pytest.mark.slow  # 30 s: the int8 export and its parity check
def test_mobile_bundle_of_a_quantization_aware_model_ships_its_int8_file(
        aware_file, face_folder, tmp_path):
    out = tmp_path / "mobile"
    stdout = run_command("-m", "keras_dmtl.cli", "bundle", "mobile",
                         aware_file, "--out", str(out), "--data", face_folder)
    assert "Fastest that passes: model_int8.tflite" in stdout
    assert sorted(p.name for p in out.glob("*.tflite")) == [
        "model.tflite", "model_int8.tflite"]
    assert (out / "model.tflite").read_bytes() == (
        out / "model_int8.tflite").read_bytes()
