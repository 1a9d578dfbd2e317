"""Export a DMTL model for phones: TFLite in several precisions, each checked.

    python export/mobile.py runs/quickstart/model.keras --out runs/mobile

writes `model_fp32.tflite`, `model_fp16.tflite`, `model_dynamic_int8.tflite`,
`model_int8.tflite` and `model_int8_mixed.tflite`, each beside its parity
report, and `model_info.json`; a precision that misses its parity bar is
left out, and the fastest that passes (one face at a time on this CPU) is
also written as `model.tflite`.

`keras-dmtl bundle mobile` writes the same folder, and so does
`keras_dmtl.export.MobileBundle().build(MODEL, ...)` from Python. `--help` lists
the options; the steps are in `keras_dmtl/export/mobile_bundle.py`.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # quiet TensorFlow start-up

from keras_dmtl.export import MobileBundle  # noqa: E402

if __name__ == "__main__":
    MobileBundle().main(sys.argv[1:], prog="export/mobile.py")
