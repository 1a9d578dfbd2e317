"""Why int8 misses its parity bar: three post-training int8 variants.

`keras-dmtl export --precision int8` refuses a trained model's full-integer
TFLite file when it agrees with the Keras model on fewer than 98 % of
faces. This script measures, on the export's own parity and calibration
samples, the agreement of:

- `strict`: the export's full-integer model (`write_tflite(..., "int8")`);
- `float heads`: int8 everywhere but the task heads and their sigmoid and
  softmax (TFLite selective quantisation, `denylisted_ops`);
- `float top-k`: the k layers whose quantisation error is largest (root
  mean squared error over the quantisation step, from TFLite's
  quantisation debugger on 32 calibration faces) kept in float.

    python benchmarks/int8_parity.py runs/utkface_mobilenet_v2_128/model.keras
"""

import argparse
import csv
import io
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402

from keras_dmtl.models.load_model import load_dmtl_model  # noqa: E402
from keras_dmtl.export import load_artifact  # noqa: E402
from keras_dmtl.export import parity_report  # noqa: E402
from keras_dmtl.export import sample_images  # noqa: E402
from keras_dmtl.export import write_saved_model  # noqa: E402
from keras_dmtl.export import write_tflite  # noqa: E402
from keras_dmtl.export.export_model import default_image_source  # noqa: E402
from keras_dmtl.export.model_info import write_model_info  # noqa: E402
from keras_dmtl.export.parity import difference_text  # noqa: E402
from keras_dmtl.export.runtimes import KerasRuntime  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("model", help="a trained DMTLModel .keras file")
parser.add_argument("--data", help="faces (default: the run's test_set.csv)")
parser.add_argument("--images", type=int, default=200)
parser.add_argument("--top", type=int, nargs="+", default=[5, 10, 20])
args = parser.parse_args()

model = load_dmtl_model(args.model)
data = args.data or default_image_source(args.model)
parity, source = sample_images(data, model.image_size, args.images)
calibration, _ = sample_images(data, model.image_size, args.images,
                               offset=args.images)
keras_runtime = KerasRuntime(args.model, model=model)
reference = keras_runtime.predict(parity)
folder = tempfile.mkdtemp()
write_model_info(keras_runtime.info, folder)
saved_model = write_saved_model(model, os.path.join(folder, "saved_model"),
                                bytes_signature=False)
print(f"parity on {source}")


def report(label, path):
    outputs = load_artifact(path, num_threads=2).predict(parity)
    tasks = parity_report(model.tasks, reference, outputs, "int8")["tasks"]
    print(f"{label:<14} {os.path.getsize(path) / 2**20:6.2f} MB  " + ", ".join(
        f"{name} {t['agreement']:.1%} ({difference_text(t)})"
        for name, t in tasks.items()), flush=True)


def debugger(options=None, faces=32):
    converter = tf.lite.TFLiteConverter.from_saved_model(
        saved_model, signature_keys=["serving_default"])
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: (
        {"image": image[None]} for image in calibration)
    return tf.lite.experimental.QuantizationDebugger(
        converter=converter, debug_options=options,
        debug_dataset=lambda: ([image[None]] for image in
                               calibration[:faces]))


def selective(label, **denylist):
    options = tf.lite.experimental.QuantizationDebugOptions(**denylist)
    path = os.path.join(folder, "selective.tflite")
    with open(path, "wb") as file:
        file.write(debugger(options, faces=8).get_nondebug_quantized_model())
    report(label, path)


strict = os.path.join(folder, "strict.tflite")
report("strict", write_tflite(saved_model, strict, "int8", calibration))
selective("float heads", denylisted_ops=["FULLY_CONNECTED", "BATCH_MATMUL",
                                         "LOGISTIC", "SOFTMAX"])
statistics = debugger()
statistics.run()
dump = io.StringIO()
statistics.layer_statistics_dump(dump)
dump.seek(0)
layers = [(float(row["mean_squared_error"]) ** 0.5 / float(row["scale"]),
           row["tensor_name"]) for row in csv.DictReader(dump)
          if float(row["scale"]) > 0]
layers.sort(reverse=True)
for k in args.top:
    selective(f"float top-{k}",
              denylisted_nodes=[name for _, name in layers[:k]])
