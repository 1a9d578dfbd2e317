"""How fast TFLite files run under each kernel set LiteRT offers, at batch 1.

Each file (an export, `model_info.json` beside it) is timed on one face
at a time with the LiteRT interpreter three ways: XNNPACK as LiteRT
applies it by default, XNNPACK with its latest features switched on
(`experimental_default_delegate_latest_features`), and TFLite's own
built-in kernels without XNNPACK; on 1 and on 2 threads. Each figure is
the best of three medians of `--repeats` calls
(`Runtime.median_seconds`, after two warm-up calls). The speed-up column
divides the first file's time by each file's at the same kernels and
threads, so give the fp32 file first:

    python benchmarks/tflite_kernels.py runs/R/export/model_fp32.tflite \
        runs/R/export/model_int8.tflite
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pandas as pd  # noqa: E402
from ai_edge_litert.interpreter import OpResolverType  # noqa: E402

from keras_dmtl.data import SyntheticFaces  # noqa: E402
from keras_dmtl.export.runtimes import TFLiteRuntime  # noqa: E402

KERNELS = {
    "XNNPACK": {},
    "XNNPACK, latest features": {
        "experimental_default_delegate_latest_features": True},
    "built-in, no XNNPACK": {
        "experimental_op_resolver_type":
            OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES},
}

parser = argparse.ArgumentParser()
parser.add_argument("files", nargs="+", help=".tflite files, fp32 first")
parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
parser.add_argument("--repeats", type=int, default=100)
args = parser.parse_args()

rows = []
for kernels, options in KERNELS.items():
    for threads in args.threads:
        first = None
        for path in args.files:
            runtime = TFLiteRuntime(path, threads, options)
            face = SyntheticFaces(1, runtime.image_size, seed=0).images
            ms = min(1000 * runtime.median_seconds(face.astype("float32"),
                                                   args.repeats)
                     for _ in range(3))
            first = first or ms
            rows.append({"kernels": kernels, "threads": threads,
                         "file": path, "ms a face": round(ms, 3),
                         "x first file": round(first / ms, 2)})
            print(rows[-1], flush=True)
print()
print(pd.DataFrame(rows).to_markdown(index=False))
