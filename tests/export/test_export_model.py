import json
import os

import keras
import pytest

from keras_dmtl.export import AGREEMENT_BARS
from keras_dmtl.export import ParityError
from keras_dmtl.export import export_model
from tests.conftest import write_bad_files
from tests.export.conftest import CHECK_IMAGES


def test_every_format_writes_an_artifact_with_a_passing_parity_file(exports):
    out, results = exports
    for (export_format, precision), result in results.items():
        for artifact in result.artifacts:
            assert os.path.exists(artifact), artifact
            with open(f"{artifact}.parity.json") as file:
                assert json.load(file)["passed"]
            # (model.onnx and its parity file are rewritten by the TensorRT
            # export into the same folder, so compare the returned report.)
            report = result.reports[artifact]
            assert report["passed"]
            assert report["num_images"] == CHECK_IMAGES
            assert report["format"] == export_format
            bar = AGREEMENT_BARS["fp32" if artifact.endswith(".onnx")
                                 else precision]
            # int8 exports run with no bar: see the `exports` fixture.
            assert report["bar"] == (0.0 if "int" in precision else bar)
            tasks = dict(report["tasks"])
            if "int" in precision and not artifact.endswith(".onnx"):
                del tasks["age"]
            for task in tasks.values():
                assert task["agreement"] >= bar, (artifact, task)
            assert report["images"].startswith(f"{CHECK_IMAGES} images from")
    assert os.path.isfile(os.path.join(out, "model_info.json"))
    hidden = [e for e in os.listdir(out) if e.startswith(".")]
    assert hidden == [".keras-dmtl-export"]
    with open(os.path.join(out, ".keras-dmtl-export")) as file:
        listed = set(json.load(file)["entries"])
    # Every entry the exports wrote is listed, and the engine that the
    # TensorRT build script writes on the device.
    assert set(os.listdir(out)) - listed == {".keras-dmtl-export"}
    assert "model_int8.engine" in listed


def test_fp32_artifacts_match_keras_to_float_precision(exports):
    out, results = exports
    reports = [results["savedmodel", "fp32"].reports,
               results["tflite", "fp32"].reports,
               {"onnx": results["tensorrt", "int8"].reports[
                   os.path.join(out, "model.onnx")]}]
    for report in (next(iter(r.values())) for r in reports):
        for task in report["tasks"].values():
            assert task["disagreements"] == 0
            assert task["max_probability_difference"] < 1e-4


def test_smaller_precisions_give_smaller_files(exports):
    out, _ = exports
    size = {p: os.path.getsize(os.path.join(out, f"model_{p}.tflite"))
            for p in ["fp32", "fp16", "dynamic_int8", "int8"]}
    assert size["fp16"] < 0.6 * size["fp32"]
    assert size["dynamic_int8"] < 0.4 * size["fp32"]
    assert size["int8"] < 0.4 * size["fp32"]


def _plain_keras_model(path):
    inputs = keras.Input((8,))
    keras.Model(inputs, keras.layers.Dense(2)(inputs)).save(path)
    return path


@pytest.mark.parametrize("case, message", [
    ("plain_model", "not a keras-dmtl model"),
    ("text_file", "notes.keras: not a .keras model file (a .keras file is "
                  "a zip archive; this one is not"),
    ("folder", "model.keras: a folder, not a .keras model file"),
    ("missing_file", "model file not found"),
    ("format", "unknown export format 'coreml'"),
    ("precision", "precision 'int4' is not available for tflite"),
    ("onnx_int8", "precision 'int8' is not available for onnx"),
    ("bad_calibration", "no usable image (3 image file(s), all unreadable)"),
    ("empty_calibration", "no usable image (no file ending in"),
])
def test_bad_input_is_a_clear_error_and_leaves_nothing(case, message,
                                                        model_file, tmp_path):
    model, export_format, precision, data = model_file, "tflite", "int8", None
    if case == "plain_model":
        model = _plain_keras_model(str(tmp_path / "plain.keras"))
    elif case == "text_file":
        model = str(tmp_path / "notes.keras")
        with open(model, "w") as file:
            file.write("not a model")
    elif case == "folder":
        model = str(tmp_path / "model.keras")
        os.makedirs(model)
    elif case == "missing_file":
        model = str(tmp_path / "absent.keras")
    elif case == "format":
        export_format = "coreml"
    elif case == "precision":
        precision = "int4"
    elif case == "onnx_int8":
        export_format = "onnx"
    elif case == "bad_calibration":
        data = str(tmp_path / "calibration")
        write_bad_files(data, ["a.jpg", "b.jpg", "c.png"])
    elif case == "empty_calibration":
        data = str(tmp_path / "calibration")
        os.makedirs(data)
    out = tmp_path / "out"
    with pytest.raises((ValueError, FileNotFoundError)) as error:
        export_model(model, export_format, str(out), precision, data=data)
    assert message in str(error.value)
    assert not out.exists()


def test_an_artifact_that_misses_its_bar_is_not_written(model_file, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("a file of the user's")
    with pytest.raises(ParityError, match="saved_model \\(fp32\\) misses its "
                                          "parity bar of 101.0%"):
        export_model(model_file, "savedmodel", str(out), parity_images=8,
                     min_agreement=1.01)
    assert os.listdir(out) == ["keep.txt"]


@pytest.mark.slow  # 30 s: two exports
def test_a_second_export_replaces_the_first(model_file, tmp_path):
    out = str(tmp_path / "out")
    first = export_model(model_file, "savedmodel", out, parity_images=4)
    stamp = os.path.getmtime(os.path.join(out, "saved_model", "saved_model.pb"))
    second = export_model(model_file, "savedmodel", out, parity_images=4)
    assert first.artifacts == second.artifacts
    assert os.path.getmtime(
        os.path.join(out, "saved_model", "saved_model.pb")) >= stamp
    assert sorted(os.listdir(out)) == [".keras-dmtl-export", "model_info.json",
                                       "saved_model", "saved_model.parity.json"]


def test_an_export_converts_from_the_saved_model_it_is_given(
        model_file, face_folder, tmp_path):
    from keras_dmtl.export.saved_model import write_conversion_folder
    from tests.export.conftest import small_model

    # Another model's SavedModel: converted as given, caught by parity.
    saved = write_conversion_folder(small_model(), str(tmp_path / "other"))
    out = tmp_path / "out"
    with pytest.raises(ParityError, match="model_fp32.tflite"):
        export_model(model_file, "tflite", str(out), "fp32",
                     data=face_folder, parity_images=CHECK_IMAGES,
                     saved_model=saved)
    assert not (out / "model_fp32.tflite").exists()
    with pytest.raises(ValueError, match="the savedmodel format writes its"):
        export_model(model_file, "savedmodel", str(tmp_path / "sm"),
                     saved_model=saved)
