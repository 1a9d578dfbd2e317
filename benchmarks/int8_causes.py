"""Where a full-integer TFLite file loses a trained model's answers.

Two questions on the export's parity faces (the first `--images` of the
run's test faces), each answered by agreement with the Keras model per
task (the export's rule: age within one year, the same class otherwise):

1. Are the calibration faces to blame (activation ranges too narrow for
   faces unlike them)? `int8` and `int16x8` calibrated on the next 200
   faces, on 1,000 faces, and on the parity faces themselves.
2. Is one kind of operator to blame? Full int8 with every operator of one
   kind kept in float (`write_tflite(..., "int8_mixed", float_ops=[op])`,
   TFLite's quantization debugger's `denylisted_ops`).

    python benchmarks/int8_causes.py runs/utkface_fer/model.keras \\
        --data runs/utkface_fer/test_utkface.csv
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
from keras_dmtl.export.runtimes import KerasRuntime  # noqa: E402
from keras_dmtl.models.load_model import load_dmtl_model  # noqa: E402

OPS = ["DEPTHWISE_CONV_2D", "CONV_2D", "FULLY_CONNECTED", "ADD", "MEAN"]

parser = argparse.ArgumentParser()
parser.add_argument("model", help="a trained DMTLModel .keras file")
parser.add_argument("--data", required=True, help="the run's test faces")
parser.add_argument("--images", type=int, default=200)
parser.add_argument("--out", help="CSV file for the table")
args = parser.parse_args()

model = load_dmtl_model(args.model)
parity, _ = sample_images(args.data, model.image_size, args.images)
calibrations = {
    "next 200 faces": sample_images(args.data, model.image_size, 200,
                                    offset=args.images)[0],
    "1,000 faces": sample_images(args.data, model.image_size, 1000,
                                 offset=args.images)[0],
    "the parity faces": parity,
}
reference = KerasRuntime(args.model, model=model).predict(parity)
work = tempfile.TemporaryDirectory()  # removed when the script ends
folder = work.name
saved_model = write_conversion_folder(model, folder)
rows = []


def measure(path, **row):
    report = parity_report(model.tasks, reference,
                           load_artifact(path, num_threads=2).predict(parity),
                           "int8")
    row.update({"MB": round(os.path.getsize(path) / 2**20, 2),
                **{name: f"{t['agreement']:.1%}"
                   for name, t in report["tasks"].items()}})
    rows.append(row)
    print(row, flush=True)


for precision in ("int8", "int16x8"):
    for name, faces in calibrations.items():
        measure(write_tflite(saved_model, os.path.join(folder, "m.tflite"),
                             precision, faces),
                precision=precision, calibration=name, float_ops="")


for op in OPS:
    measure(write_tflite(saved_model, os.path.join(folder, "m.tflite"),
                         "int8_mixed", calibrations["next 200 faces"],
                         float_ops=[op]),
            precision="int8", calibration="next 200 faces", float_ops=op)

table = pd.DataFrame(rows)
print()
print(table.to_markdown(index=False))
if args.out:
    table.to_csv(args.out, index=False)
