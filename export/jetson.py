"""Export a DMTL model for a Jetson: ONNX, TensorRT build scripts, checks.

    python export/jetson.py runs/quickstart/model.keras --out runs/jetson

writes one folder to copy to the device, where `./build_engine_fp16.sh` and
`./build_engine_int8.sh` build each TensorRT engine and check it against
the Keras model's answers (README.txt there says it step by step).

`keras-dmtl bundle jetson` writes the same folder, and so does
`keras_dmtl.export.JetsonBundle().build(MODEL, ...)` from Python. `--help` lists
the options; the steps are in `keras_dmtl/export/jetson_bundle.py`.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # quiet TensorFlow start-up

from keras_dmtl.export import JetsonBundle  # noqa: E402

if __name__ == "__main__":
    JetsonBundle().main(sys.argv[1:], prog="export/jetson.py")
