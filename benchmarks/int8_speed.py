"""How much faster int8 TFLite runs than fp32, by input size.

For each `--sizes` value, a MobileNetV2 model of the four UTKFace +
FER2013 tasks (ImageNet weights from `--weights`; speed does not depend
on training) is written as an fp32 file, as a post-training int8 file and,
through its quantization-aware copy (`quantization_aware_model`), as the
int8 file `keras-dmtl export` writes for one. Each file is timed on one
face at a time with the LiteRT interpreter (XNNPACK, `--threads`), the
best of three medians of `--repeats` calls.

    python benchmarks/int8_speed.py \\
        --weights ../shared/weights/mobilenet_v2_1.0_224_no_top_imagenet.weights.h5
"""

import argparse
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pandas as pd  # noqa: E402

import keras_dmtl  # noqa: E402
from keras_dmtl.data import SyntheticFaces  # noqa: E402
from keras_dmtl.data import synthetic_tasks  # noqa: E402
from keras_dmtl.export import load_artifact  # noqa: E402
from keras_dmtl.export import write_conversion_folder  # noqa: E402
from keras_dmtl.export import write_tflite  # noqa: E402
from keras_dmtl.models import quantization_aware_model  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--weights", required=True,
                    help="MobileNetV2 ImageNet weights file (no top): the "
                    "int8 files of a randomly initialised network do not "
                    "run (XNNPACK refuses their degenerate scales)")
parser.add_argument("--sizes", type=int, nargs="+", default=[96, 160, 224])
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--repeats", type=int, default=100)
args = parser.parse_args()

work = tempfile.TemporaryDirectory()  # removed when the script ends
folder = work.name
rows = []
for size in args.sizes:
    faces = SyntheticFaces(40, size, seed=0).images.astype("float32")
    tasks = synthetic_tasks(("age", "gender", "race", "expression"))
    model = keras_dmtl.DMTLModel(tasks, backbone="mobilenet_v2",
                                 weights=args.weights, image_size=size)
    aware = quantization_aware_model(model, faces[:32])
    row = {"size": size}
    for name, source, precision in (("fp32", model, "fp32"),
                                    ("int8 post-training", model, "int8"),
                                    ("int8 quantization-aware", aware,
                                     "int8")):
        stem = os.path.join(folder, f"{size}_{name.replace(' ', '_')}")
        saved_model = write_conversion_folder(source, stem)
        path = write_tflite(saved_model, os.path.join(stem, "model.tflite"),
                            precision, faces[:32],
                            quantization_aware=source is aware)
        runtime = load_artifact(path, num_threads=args.threads)
        row[f"{name} ms"] = round(min(
            1000 * runtime.median_seconds(faces[:1], args.repeats)
            for _ in range(3)), 3)
    for name in ("int8 post-training", "int8 quantization-aware"):
        row[f"{name} x fp32"] = round(row["fp32 ms"] / row[f"{name} ms"], 2)
    rows.append(row)
    print(row, flush=True)

print()
print(pd.DataFrame(rows).to_markdown(index=False))
