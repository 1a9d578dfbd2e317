import os
import re

import numpy as np
import pytest

from keras_dmtl.export import load_artifact


def test_every_runtime_gives_the_same_named_outputs(exports, model_file):
    out, _ = exports
    images = np.random.RandomState(7).uniform(0, 255, (3, 32, 32, 3))
    expected = load_artifact(model_file).predict(images)
    for name in ["saved_model", "model_fp32.tflite", "model_fp16.tflite",
                 "model_dynamic_int8.tflite", "model_int8.tflite",
                 "model.onnx"]:
        runtime = load_artifact(os.path.join(out, name), num_threads=2)
        outputs = runtime.predict(images, batch_size=2)
        assert sorted(outputs) == sorted(expected), name
        for key, value in expected.items():
            assert outputs[key].shape == value.shape, (name, key)
        np.testing.assert_allclose(outputs["race_probabilities"],
                                   expected["race_probabilities"], atol=0.1,
                                   err_msg=name)


def test_unknown_or_missing_artifacts_are_clear_errors(tmp_path, exports):
    with pytest.raises(FileNotFoundError, match="model artifact not found"):
        load_artifact(str(tmp_path / "absent.onnx"))
    (tmp_path / "model.pt").write_bytes(b"x")
    with pytest.raises(ValueError, match="unknown artifact type '.pt'"):
        load_artifact(str(tmp_path / "model.pt"))
    with pytest.raises(ValueError, match="without saved_model.pb"):
        load_artifact(str(tmp_path))
    out, _ = exports
    runtime = load_artifact(os.path.join(out, "model.onnx"))
    with pytest.raises(ValueError, match=r"takes images of shape \(n, 32, 32"):
        runtime.predict(np.zeros((2, 64, 64, 3)))


def test_a_folder_or_a_corrupt_file_says_what_is_wrong(tmp_path, exports):
    from keras_dmtl.models.load_model import load_dmtl_model

    out, _ = exports
    corrupt = tmp_path / "model.keras"
    corrupt.write_bytes(os.urandom(2048))
    for load in (load_dmtl_model, load_artifact):
        with pytest.raises(ValueError) as error:
            load(str(corrupt))
        assert str(error.value) == (
            f"{corrupt}: not a .keras model file (a .keras file is a zip "
            "archive; this one is not: corrupt, truncated or of another "
            "format)")
    folder = tmp_path / "run.keras"
    folder.mkdir()
    start = re.escape(str(folder))
    with pytest.raises(ValueError, match=f"^{start}: a folder, not a .keras "
                                         "model file; give the run's"):
        load_dmtl_model(str(folder))
    with pytest.raises(ValueError, match=f"^{start}: a folder, not a .keras "
                                         "file$"):
        load_artifact(str(folder))
    saved_model = os.path.join(out, "saved_model")
    with pytest.raises(ValueError, match="saved_model: a SavedModel folder, "
                                         "not a .keras model file"):
        load_dmtl_model(saved_model)
    tflite = tmp_path / "model.tflite"
    tflite.write_bytes(os.urandom(2048))
    os.link(os.path.join(out, "model_info.json"), tmp_path / "model_info.json")
    with pytest.raises(ValueError, match=f"^{re.escape(str(tflite))}: not a "
                                         "loadable TFLite model"):
        load_artifact(str(tflite))
