"""The bundle for phones: TFLite in four precisions, each checked."""

import os

from keras_dmtl.export.bundle import Bundle

TFLITE_PRECISIONS = ["fp32", "fp16", "dynamic_int8", "int8"]


class MobileBundle(Bundle):
    """Export a DMTL model for phones: TFLite in four precisions, each checked.

        keras-dmtl bundle mobile runs/quickstart/model.keras --out runs/mobile

    writes `model_fp32.tflite`, `model_fp16.tflite` (half the size),
    `model_dynamic_int8.tflite` (int8 weights) and `model_int8.tflite` (full
    integer, calibrated on `--data`), each beside its parity report, plus
    `model_info.json` with what an app needs: for each task its kind,
    labels (class names, rank values, action units, value names) and
    outputs. Every model takes float32 RGB faces in 0..255 as `image` and
    gives each task's outputs (`<task>`, and `<task>_probabilities` for
    tasks that have them); run them with the LiteRT interpreter (XNNPACK on
    the CPU, or a GPU or NNAPI delegate).

    A precision whose answers disagree with the Keras model more than its
    bar allows (99.9 % fp32, 99 % fp16, 98 % int8) is left out, and the
    table says why; the bundle fails only if no precision passes.

    Example:

    ```python
    from keras_dmtl.export import MobileBundle

    MobileBundle().build("runs/quickstart/model.keras", out="runs/mobile")
    ```
    """

    name = "mobile"

    def add_arguments(self, parser):
        parser.add_argument("--precisions", nargs="+",
                            default=TFLITE_PRECISIONS,
                            choices=TFLITE_PRECISIONS)

    def run(self, args):
        from keras_dmtl.export.export_model import export_model
        from keras_dmtl.export.parity import ParityError

        out = self.folder(args)
        rows = []
        for precision in args.precisions:
            try:
                result = export_model(args.model, "tflite", out, precision,
                                      data=args.data)
            except ParityError as error:
                rows.append((precision, "-", "left out", str(error)))
                continue
            path, report = next(iter(result.reports.items()))
            agreement = ", ".join(f"{name} {task['agreement']:.1%}"
                                  for name, task in report["tasks"].items())
            rows.append((precision, f"{os.path.getsize(path) / 2**20:.2f}",
                         os.path.basename(path), agreement))
        print(f"\n{'precision':<14}{'MB':>7}  {'file':<27}"
              "agreement with Keras")
        for precision, size, name, agreement in rows:
            print(f"{precision:<14}{size:>7}  {name:<27}{agreement}")
        if all(name == "left out" for _, _, name, _ in rows):
            raise RuntimeError("no precision passed its parity check")
        print(f"\nFolder for the app: {out}")
        return out
