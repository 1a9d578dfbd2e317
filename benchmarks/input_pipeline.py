"""Images/s of the input pipeline on the shared UTKFace faces.

Reads the JPEG faces, decodes, resizes to 224x224, shuffles, batches and
augments them (flip, rotation, zoom, contrast) exactly as the UTKFace
recipe's training data, and counts the images delivered per second after a
warm-up. Given the JSON files written by `benchmarks/train_step.py` on the
same machine, it prints how many times faster than training it is.

    python benchmarks/input_pipeline.py --data ../shared/data/utkface \
        --train-step-json eff.json mob.json
"""

import argparse
import json
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402

from keras_dmtl.data import face_dataset  # noqa: E402
from keras_dmtl.data import read_utkface  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--data", default="../shared/data/utkface")
parser.add_argument("--image-size", type=int, default=224)
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--batches", type=int, default=150)
parser.add_argument("--warmup", type=int, default=10)
parser.add_argument("--train-step-json", nargs="*", default=[])
parser.add_argument("--json", help="write the figures here")
args = parser.parse_args()

examples = read_utkface(args.data)
data = face_dataset(examples, ["age", "gender", "race"], args.image_size,
                    args.batch_size, shuffle=True, augment=True)
iterator = iter(data)
for _ in range(args.warmup):
    next(iterator)
start = time.perf_counter()
for _ in range(args.batches):
    images, _ = next(iterator)
seconds = time.perf_counter() - start
rate = args.batches * args.batch_size / seconds

result = {
    "pipeline_images_per_second": round(rate, 1),
    "image_size": args.image_size,
    "batch_size": args.batch_size,
    "augment": True,
    "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
               f"TensorFlow {tf.__version__}",
    "versus_training": {},
}
for path in args.train_step_json:
    with open(path) as file:
        step = json.load(file)
    for name, train_rate in step["images_per_second"].items():
        key = f"{step['backbone']} {name}"
        result["versus_training"][key] = round(rate / train_rate, 1)
print(json.dumps(result, indent=2))
if args.json:
    with open(args.json, "w") as file:
        json.dump(result, file, indent=2)
