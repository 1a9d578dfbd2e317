"""The bundle for phones: TFLite in several precisions, each checked."""

import os
import shutil

import numpy as np

from keras_dmtl.export.bundle import Bundle
from keras_dmtl.export.tflite import TFLITE_PRECISIONS

DEFAULT_PRECISIONS = ["fp32", "fp16", "dynamic_int8", "int8", "int8_mixed"]
FASTEST_FILE = "model.tflite"
TIMED_RUNS = 30
"""Batch-1 calls timed per passing file to find the fastest (best of
`TIMED_ROUNDS` medians)."""
TIMED_ROUNDS = 3


class MobileBundle(Bundle):
    """Export a DMTL model for phones: TFLite in several precisions, each
    checked, and the fastest that keeps the model's answers.

        keras-dmtl bundle mobile runs/quickstart/model.keras --out runs/mobile

    writes `model_fp32.tflite`, `model_fp16.tflite` (half the size),
    `model_dynamic_int8.tflite` (int8 weights), `model_int8.tflite` (full
    integer, calibrated on `--data`; a quantization-aware model's from
    its own ranges, `keras-dmtl quantize`) and `model_int8_mixed.tflite` (int8
    with the layers that break agreement kept in float; `--precisions`
    adds `int16x8`), each beside its parity report, plus
    `model_info.json` with what an app needs: for each task its kind,
    labels (class names, rank values, action units, value names) and
    outputs. Every model takes float32 RGB faces in 0..255 as `image` and
    gives each task's outputs (`<task>`, and `<task>_probabilities` for
    tasks that have them); run them with the LiteRT interpreter (XNNPACK on
    the CPU, or a GPU or NNAPI delegate).

    A precision whose answers disagree with the Keras model more than its
    bar allows (99.9 % fp32, 99 % fp16, 98 % for the 8-bit ones) is left
    out, and the table says why; the bundle fails only if no precision
    passes. Every file that passes is timed on one face at a time (the
    LiteRT interpreter on this machine's CPU), and the fastest is also
    written as `model.tflite`: the file an app should ship.

    A quantization-aware model gives its int8 file alone unless
    `--precisions` names others: the converter reads its fake
    quantization as int8 for fp16 and dynamic_int8 too (the same int8
    graph under other names), and its fp32 file runs that fake
    quantization in float, many times slower.

    Example:

    ```python
    from keras_dmtl.export import MobileBundle

    MobileBundle().build("runs/quickstart/model.keras", out="runs/mobile")
    ```
    """

    name = "mobile"

    def add_arguments(self, parser):
        parser.add_argument("--precisions", nargs="+",
                            choices=TFLITE_PRECISIONS,
                            help="default: " + " ".join(DEFAULT_PRECISIONS)
                            + "; int8 alone for a quantization-aware model")

    def run(self, args):
        from keras_dmtl.export.export_folder import check_export_folder
        from keras_dmtl.export.export_folder import record_entries
        from keras_dmtl.export.export_model import export_model
        from keras_dmtl.export.parity import ParityError
        from keras_dmtl.models.load_model import load_dmtl_model

        out = self.folder(args)
        model = load_dmtl_model(args.model)
        precisions = args.precisions or default_precisions(model, args.model)
        rows = []
        with self.conversion_source(model) as saved_model:
            for precision in precisions:
                try:
                    result = export_model(args.model, "tflite", out,
                                          precision, data=args.data,
                                          saved_model=saved_model)
                except ParityError as error:
                    rows.append((precision, "-", "left out", str(error)))
                    continue
                path, report = next(iter(result.reports.items()))
                agreement = ", ".join(
                    f"{name} {task['agreement']:.1%}"
                    for name, task in report["tasks"].items())
                rows.append((precision,
                             f"{os.path.getsize(path) / 2**20:.2f}",
                             os.path.basename(path), agreement))
        speed = {name: batch_one_milliseconds(os.path.join(out, name))
                 for _, _, name, _ in rows if name != "left out"}
        print(f"\n{'precision':<14}{'MB':>7}{'ms':>8}  {'file':<27}"
              "agreement with Keras")
        for precision, size, name, agreement in rows:
            ms = f"{speed[name]:.2f}" if name in speed else "-"
            print(f"{precision:<14}{size:>7}{ms:>8}  {name:<27}{agreement}")
        if not speed:
            raise RuntimeError("no precision passed its parity check")
        fastest = min(speed, key=speed.get)
        check_export_folder(out, [FASTEST_FILE])
        shutil.copyfile(os.path.join(out, fastest),
                        os.path.join(out, FASTEST_FILE))
        record_entries(out, [FASTEST_FILE])
        print(f"\nFastest that passes: {fastest} ({speed[fastest]:.2f} ms "
              f"a face), also written as {FASTEST_FILE}")
        print(f"Folder for the app: {out}")
        return out


def default_precisions(model, name):
    """The precisions `bundle mobile` writes when `--precisions` is not
    given: `DEFAULT_PRECISIONS`, or int8 alone for a quantization-aware
    model (`keras-dmtl quantize`), whose other files are its int8 graph
    again or slow.

    Args:
        model: the `DMTLModel`.
        name: how to name it in the note (its file).
    """
    if model.int8_ranges is None:
        return DEFAULT_PRECISIONS
    print(f"{name} is quantization-aware: writing its int8 file "
          "alone (its fp16 and dynamic_int8 files would be the same int8 "
          "graph, its fp32 file runs the fake quantization in float; "
          "--precisions to choose)")
    return ["int8"]


def batch_one_milliseconds(path, runs=TIMED_RUNS, rounds=TIMED_ROUNDS):
    """Milliseconds of one face through a `.tflite` file: the best of
    `rounds` medians of `runs` calls."""
    from keras_dmtl.export.runtimes import load_artifact

    runtime = load_artifact(path)
    size = runtime.image_size
    image = np.random.default_rng(0).uniform(
        0, 255, (1, size, size, 3)).astype("float32")
    return 1000 * min(runtime.median_seconds(image, runs)
                      for _ in range(rounds))
