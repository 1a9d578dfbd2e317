"""What test-time flip costs at batch 1: fp32 TFLite with and without it.

A trained model is written as an fp32 TFLite file twice, as it is and
with `test_time_flip` on (each face and its mirror through the network as
one batch of two), and each file is timed on one face at a time with the
LiteRT interpreter (XNNPACK, `--threads`), the best of three medians of
`--repeats` calls. The files are for timing only (`keras-dmtl export`
checks parity).

    python benchmarks/flip_speed.py runs/utkface_fer/model.keras
"""

import argparse
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pandas as pd  # noqa: E402

from keras_dmtl.data import SyntheticFaces  # noqa: E402
from keras_dmtl.export import load_artifact  # noqa: E402
from keras_dmtl.export import write_conversion_folder  # noqa: E402
from keras_dmtl.export import write_tflite  # noqa: E402
from keras_dmtl.models.load_model import load_dmtl_model  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("model", help="a trained DMTLModel file")
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--repeats", type=int, default=100)
args = parser.parse_args()

model = load_dmtl_model(args.model)
faces = SyntheticFaces(4, model.image_size, seed=0).images.astype("float32")
work = tempfile.TemporaryDirectory()  # removed when the script ends
folder = work.name
rows = []
for flip in (False, True):
    model.test_time_flip = flip
    stem = os.path.join(folder, f"flip_{flip}")
    saved_model = write_conversion_folder(model, stem)
    path = write_tflite(saved_model, os.path.join(stem, "model.tflite"),
                        "fp32", faces)
    runtime = load_artifact(path, num_threads=args.threads)
    rows.append({"test_time_flip": flip, "ms per face": round(min(
        1000 * runtime.median_seconds(faces[:1], args.repeats)
        for _ in range(3)), 3),
        "MB": round(os.path.getsize(path) / 2**20, 2)})
    print(rows[-1], flush=True)
rows[1]["x without"] = round(rows[1]["ms per face"] / rows[0]["ms per face"],
                             2)
print()
print(pd.DataFrame(rows).to_markdown(index=False))
