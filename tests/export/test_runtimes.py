import os

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
