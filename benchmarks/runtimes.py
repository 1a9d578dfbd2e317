"""Inference images/s and file size of every runtime, beside the CPU ceiling.

For each backbone (EfficientNetB0 and MobileNetV2 by default, 224x224, the
DMTL heads for age, gender and race) this writes the model in every format
and times it on the same images:

- `keras`: the Keras model, `predict_on_batch` (a compiled tf.function).
- `savedmodel`: the SavedModel's `serving_default` signature.
- `tflite fp32 / fp16 / dynamic_int8 / int8`: LiteRT interpreter with
  XNNPACK and 2 threads (int8 calibrated on `--data`, or synthetic faces).
- `onnxruntime`: the ONNX file, CPU provider, 2 threads.

Every figure is the median of `--repeats` timed calls after two warm-up
calls, at batch 1 and batch 32. The ceiling is the machine's measured
float32 matmul rate divided by the model's floating-point operations per
image (2 per multiply-add of its convolutions and dense layers): no float
runtime can beat it; int8 kernels can. The artifacts here are for timing
only (random weights, no parity check; `keras-dmtl export` checks parity).

    python benchmarks/runtimes.py --out runs/bench_runtimes
"""

import argparse
import json
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_dmtl  # noqa: E402
from keras_dmtl.data import synthetic_tasks  # noqa: E402
from keras_dmtl.export import artifact_size  # noqa: E402
from keras_dmtl.export import load_artifact  # noqa: E402
from keras_dmtl.export import model_info  # noqa: E402
from keras_dmtl.export import sample_images  # noqa: E402
from keras_dmtl.export import write_onnx  # noqa: E402
from keras_dmtl.export import write_conversion_folder  # noqa: E402
from keras_dmtl.export import write_tflite  # noqa: E402
from keras_dmtl.models.backbones import leaf_layers  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--backbones", nargs="+",
                    default=["efficientnet_b0", "mobilenet_v2"])
parser.add_argument("--image-size", type=int, default=224)
parser.add_argument("--data", help="faces for int8 calibration")
parser.add_argument("--repeats", type=int, default=20,
                    help="timed calls at batch 1 (batch 32: a quarter)")
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--out", default="runs/bench_runtimes")
args = parser.parse_args()
size = args.image_size


def matmul_gflops(n=2048, repeats=10):
    """Peak float32 matmul rate of this machine, in GFLOP/s (best of runs)."""
    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n))
    tf.linalg.matmul(a, b).numpy()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        tf.linalg.matmul(a, b).numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def model_flops(model):
    """Floating-point operations per image of convolutions and dense layers."""
    total = 0
    for layer in leaf_layers(model):
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            _, h, w, c = layer.output.shape
            kh, kw = layer.kernel_size
            total += 2 * h * w * c * kh * kw
        elif isinstance(layer, keras.layers.Conv2D):
            _, h, w, c = layer.output.shape
            kh, kw = layer.kernel_size
            total += 2 * h * w * c * kh * kw * layer.input.shape[-1]
        elif hasattr(layer, "kernel") and len(layer.kernel.shape) == 2:
            total += 2 * int(np.prod(layer.kernel.shape))  # dense heads
    return total


peak = matmul_gflops()
print(f"float32 matmul peak: {peak:.1f} GFLOP/s")
tasks = synthetic_tasks(("age", "gender", "race"))
rng = np.random.default_rng(0)
batches = {b: rng.uniform(0, 255, (b, size, size, 3)).astype("float32")
           for b in (1, 32)}
calibration, calibration_source = sample_images(args.data, size, 100)
results = []
for backbone in args.backbones:
    keras.utils.set_random_seed(0)
    model = keras_dmtl.DMTLModel(tasks, backbone=backbone, image_size=size)
    flops = model_flops(model)
    folder = os.path.join(args.out, backbone)
    os.makedirs(folder, exist_ok=True)
    keras_file = os.path.join(folder, "model.keras")
    model.save(keras_file)
    saved_model = write_conversion_folder(model, folder, bytes_signature=True)
    artifacts = {"keras": keras_file, "savedmodel": saved_model}
    for precision in ["fp32", "fp16", "dynamic_int8", "int8"]:
        artifacts[f"tflite {precision}"] = write_tflite(
            saved_model, os.path.join(folder, f"model_{precision}.tflite"),
            precision, calibration)
    artifacts["onnxruntime"] = write_onnx(
        saved_model, os.path.join(folder, "model.onnx"), model_info(model))
    for name, path in artifacts.items():
        runtime = load_artifact(path, num_threads=args.threads)
        row = {"backbone": backbone, "runtime": name,
               "size_mb": artifact_size(path) / 2**20,
               "gflops_per_image": flops / 1e9}
        for batch, images in batches.items():
            repeats = args.repeats if batch == 1 else max(args.repeats // 4, 3)
            seconds = runtime.median_seconds(images, repeats)
            row[f"images_per_s_batch{batch}"] = batch / seconds
        row["ceiling_images_per_s"] = peak * 1e9 / flops
        results.append(row)
        print(json.dumps(row), flush=True)
        del runtime

"""
## The table
"""

keras_speed = {r["backbone"]: r["images_per_s_batch1"] for r in results
               if r["runtime"] == "keras"}
lines = [
    "| backbone | runtime | MB | img/s batch 1 | img/s batch 32 | "
    "x Keras (batch 1) |",
    "|---|---|---:|---:|---:|---:|",
]
for r in results:
    lines.append(
        f"| {r['backbone']} | {r['runtime']} | {r['size_mb']:.2f} | "
        f"{r['images_per_s_batch1']:.1f} | {r['images_per_s_batch32']:.1f} | "
        f"{r['images_per_s_batch1'] / keras_speed[r['backbone']]:.2f} |")
for backbone in args.backbones:
    row = next(r for r in results if r["backbone"] == backbone)
    lines.append("")
    lines.append(f"{backbone}: {row['gflops_per_image']:.2f} GFLOP per image;"
                 f" float32 ceiling {row['ceiling_images_per_s']:.1f} img/s "
                 f"at the measured {peak:.1f} GFLOP/s matmul peak.")
table = "\n".join(lines)
print(table)
with open(os.path.join(args.out, "runtimes.md"), "w") as file:
    file.write(table + "\n")
with open(os.path.join(args.out, "runtimes.json"), "w") as file:
    json.dump({"machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
               "threads": args.threads, "matmul_gflops": peak,
               "calibration": calibration_source, "results": results},
              file, indent=2)
