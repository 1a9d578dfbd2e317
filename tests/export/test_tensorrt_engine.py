import os

import numpy as np
import pytest

from keras_dmtl.export.tensorrt_engine import tensorrt_available


@pytest.mark.skipif(not tensorrt_available(),
                    reason="needs the TensorRT Python package and a CUDA GPU "
                           "(engines are built on the target device)")
@pytest.mark.parametrize("precision", ["fp16", "int8"])
def test_engine_builds_runs_and_agrees_with_keras(exports, precision):
    import json

    from keras_dmtl.export.tensorrt_engine import build_engine
    from keras_dmtl.export.tensorrt_engine import check_engine

    out, _ = exports
    engine = os.path.join(out, f"model_{precision}.engine")
    calibration = np.load(os.path.join(out, "calibration_images.npy"))
    build_engine(os.path.join(out, "model.onnx"), engine, precision,
                 calibration=calibration.astype("float32"),
                 cache=os.path.join(out, "calibration.cache"))
    with open(os.path.join(out, "model_info.json")) as file:
        info = json.load(file)
    with np.load(os.path.join(out, "parity_reference.npz")) as data:
        reference = {k: data[k] for k in data.files}
    images = np.load(os.path.join(out, "parity_images.npy")).astype("float32")
    report = check_engine(engine, images, reference, info, precision)
    assert report["passed"]
    assert os.path.isfile(f"{engine}.parity.json")
