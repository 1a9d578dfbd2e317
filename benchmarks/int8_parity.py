"""Which 8-bit TFLite file keeps a trained model's answers, and how fast.

`keras-dmtl export --precision int8` refuses a full-integer TFLite file
that agrees with the Keras model on fewer than 98 % of faces, task by task.
This script writes every TFLite precision of a trained model, once with
each age decoding (`OrdinalTask(decoding="count")`, the paper's count of
thresholds above 0.5, and `"expected"`, the sum of their probabilities),
and measures on the export's own parity and calibration faces:

- agreement with the Keras model (same decoding), per task, against the
  precision's bar;
- size;
- median latency of one face (batch 1) with the LiteRT interpreter on
  `--threads` threads, and its speed-up over the fp32 file.

Precisions: `fp32`, `dynamic_int8`, `int8` (full integer), `int8_mixed`
(int8 trunk, float where TFLite's quantization debugger finds the largest
errors, float heads and decoding) and `int16x8` (16-bit activations).
For a quantization-aware model (`keras-dmtl quantize`), `int8` is
converted from the model's own ranges, as `keras-dmtl export` converts it.

    python benchmarks/int8_parity.py runs/utkface/model.keras
"""

import argparse
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pandas as pd  # noqa: E402

from keras_dmtl.export import load_artifact  # noqa: E402
from keras_dmtl.export import parity_report  # noqa: E402
from keras_dmtl.export import sample_images  # noqa: E402
from keras_dmtl.export import write_conversion_folder  # noqa: E402
from keras_dmtl.export import write_tflite  # noqa: E402
from keras_dmtl.export.export_model import default_image_source  # noqa: E402
from keras_dmtl.export.runtimes import KerasRuntime  # noqa: E402
from keras_dmtl.models.load_model import load_dmtl_model  # noqa: E402
from keras_dmtl.tasks import OrdinalTask  # noqa: E402

PRECISIONS = ["fp32", "dynamic_int8", "int8", "int8_mixed", "int16x8"]

parser = argparse.ArgumentParser()
parser.add_argument("model", help="a trained DMTLModel .keras file")
parser.add_argument("--data", help="faces (default: the run's test_set.csv)")
parser.add_argument("--images", type=int, default=200)
parser.add_argument("--precisions", nargs="+", default=PRECISIONS)
parser.add_argument("--decodings", nargs="+", default=["count", "expected"])
parser.add_argument("--repeats", type=int, default=50)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--out", help="CSV file for the table")
args = parser.parse_args()

model = load_dmtl_model(args.model)
data = args.data or default_image_source(args.model)
parity, source = sample_images(data, model.image_size, args.images)
calibration, _ = sample_images(data, model.image_size, args.images,
                               offset=args.images)
print(f"parity and calibration faces from {source}")


rows = []
for decoding in args.decodings:
    for task in model.tasks:
        if isinstance(task, OrdinalTask):
            task.decoding = decoding
    reference = KerasRuntime(args.model, model=model).predict(parity)
    work = tempfile.TemporaryDirectory()  # removed when replaced, or at exit
    folder = work.name
    saved_model = write_conversion_folder(model, folder)
    fp32_ms = None
    for precision in args.precisions:
        path = write_tflite(
            saved_model, os.path.join(folder, f"model_{precision}.tflite"),
            precision, calibration,
            quantization_aware=model.int8_ranges is not None)
        runtime = load_artifact(path, num_threads=args.threads)
        report = parity_report(model.tasks, reference,
                               runtime.predict(parity), precision)
        milliseconds = 1000 * runtime.median_seconds(parity[:1],
                                                     args.repeats)
        if precision == "fp32":
            fp32_ms = milliseconds
        row = {"decoding": decoding, "precision": precision,
               "MB": round(os.path.getsize(path) / 2**20, 2),
               "ms (batch 1)": round(milliseconds, 2),
               "x fp32": round(fp32_ms / milliseconds, 2) if fp32_ms else "",
               **{name: f"{t['agreement']:.1%}"
                  for name, t in report["tasks"].items()},
               "passes": "yes" if report["passed"] else "no"}
        rows.append(row)
        print(row, flush=True)

table = pd.DataFrame(rows)
print()
print(table.to_markdown(index=False))
if args.out:
    table.to_csv(args.out, index=False)
