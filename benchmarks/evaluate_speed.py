"""Evaluation speed against plain `model.predict` over the same data.

Both read the same shared UTKFace faces through the same `face_dataset`
stream (JPEG decoding and resizing included): `predict` gets the images
only; `collect_predictions` (the prediction pass of `keras-dmtl
evaluate`) keeps each batch's labels and decoded answers and never holds
the images. The whole `evaluate_model` (tables, figures, bias study,
no Grad-CAM) is timed too.

    python benchmarks/evaluate_speed.py --data ../shared/data/utkface --faces 2000
"""

import argparse
import json
import os
import platform
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_dmtl  # noqa: E402
from keras_dmtl.data import face_dataset  # noqa: E402
from keras_dmtl.data import read_utkface  # noqa: E402
from keras_dmtl.evaluation import collect_predictions  # noqa: E402
from keras_dmtl.evaluation import evaluate_model  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--data", default="../shared/data/utkface")
parser.add_argument("--faces", type=int, default=2000)
parser.add_argument("--backbone", default="mobilenet_v2")
parser.add_argument("--image-size", type=int, default=128)
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--json", help="write the figures here")
args = parser.parse_args()

examples = read_utkface(args.data).subset(range(args.faces))
names = ["age", "gender", "race"]
tasks = [t for t in examples.tasks if t.name in names]
model = keras_dmtl.DMTLModel(tasks, backbone=args.backbone,
                             image_size=args.image_size)


def stream():
    return face_dataset(examples, names, args.image_size, args.batch_size)


def timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


# Warm up both paths (tracing), then alternate four times; keep the best.
model.predict(stream().take(2).map(lambda x, y: x), verbose=0)
collect_predictions(model, stream().take(2))
predict_s, collect_s = [], []
for _ in range(4):
    predict_s.append(timed(lambda: model.predict(
        stream().map(lambda x, y: x), verbose=0)))
    collect_s.append(timed(lambda: collect_predictions(model, stream())))
with tempfile.TemporaryDirectory() as folder:
    report_s = timed(lambda: evaluate_model(
        model, examples, os.path.join(folder, "report"), gradcam_faces=0))

result = {
    "faces": args.faces,
    "backbone": args.backbone,
    "image_size": args.image_size,
    "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
               f"TensorFlow {tf.__version__}, Keras {keras.__version__}",
    "predict_images_per_second": round(args.faces / min(predict_s), 1),
    "collect_predictions_images_per_second": round(
        args.faces / min(collect_s), 1),
    "evaluate_model_images_per_second": round(args.faces / report_s, 1),
}
result["collect_slowdown_percent"] = round(
    100 * (min(collect_s) / min(predict_s) - 1), 1)
result["evaluate_model_slowdown_percent"] = round(
    100 * (report_s / min(predict_s) - 1), 1)
print(json.dumps(result, indent=2))
if args.json:
    with open(args.json, "w") as file:
        json.dump(result, file, indent=2)
