"""The bundle for a Jetson: ONNX, TensorRT build scripts and their checks."""

import os

from keras_dmtl.atomic_files import write_text
from keras_dmtl.export.bundle import Bundle


class JetsonBundle(Bundle):
    """Export a DMTL model for a Jetson: ONNX, TensorRT build scripts, checks.

    DMTL runs on a Jetson TX2 with TensorRT. A TensorRT engine is specific
    to the GPU and TensorRT version it is built on, so this bundle is one
    folder to copy to the device, where one script builds and checks each
    engine:

        keras-dmtl bundle jetson runs/quickstart/model.keras --out runs/jetson

    The folder holds `model.onnx` (opset 13, which JetPack 4's TensorRT 8
    parses; checked against the Keras model with ONNX Runtime here), for
    each precision a `build_engine_<precision>.sh` with the exact `trtexec`
    command, `build_engine.py` (int8 calibration and the engine's parity
    check, with `parity.py` and a minimal `keras_dmtl/` of the task
    classes, which need NumPy alone), the parity images with the Keras
    model's answers on them, and the int8 calibration images. On the
    device:

        ./build_engine_fp16.sh    # trtexec, then the parity check
        ./build_engine_int8.sh    # calibration cache, trtexec, parity check

    Where this machine itself has TensorRT and a GPU, the engines are built
    and checked here too.

    Example:

    ```python
    from keras_dmtl.export import JetsonBundle

    JetsonBundle().build("runs/quickstart/model.keras", precisions=["fp16"])
    ```
    """

    name = "jetson"

    def add_arguments(self, parser):
        parser.add_argument("--precisions", nargs="+",
                            default=["fp16", "int8"],
                            choices=["fp32", "fp16", "int8"])
        parser.add_argument("--max-batch", type=int, default=8,
                            help="largest batch the engines accept")

    def run(self, args):
        from keras_dmtl.export.export_model import export_model
        from keras_dmtl.models.load_model import load_dmtl_model

        out = self.folder(args)
        # One export per precision: each writes `model.onnx` (the same file
        # each time, from one SavedModel), checks it with ONNX Runtime on
        # the parity images, and adds its build script.
        notes = []
        model = load_dmtl_model(args.model)
        with self.conversion_source(model) as saved_model:
            for precision in args.precisions:
                result = export_model(args.model, "tensorrt", out, precision,
                                      data=args.data,
                                      max_batch=args.max_batch,
                                      saved_model=saved_model)
                for path, report in result.reports.items():
                    worst = min(t["agreement"]
                                for t in report["tasks"].values())
                    print(f"{path}: {report['runtime']}, {precision}, "
                          f"lowest task agreement with Keras {worst:.2%} "
                          f"on {report['images']}")
                notes += result.notes
        write_text(os.path.join(out, "README.txt"),
                   device_steps(args.precisions, args.max_batch))
        for note in dict.fromkeys(notes):
            print(note)
        print(f"Folder for the device: {out} (see README.txt there)")
        return out


def device_steps(precisions, max_batch):
    """The bundle's README.txt: what to do on the device, step by step."""
    steps = [
        "Copy this folder to the Jetson (JetPack ships trtexec and the "
        "TensorRT",
        "Python package; build_engine.py also needs numpy and cuda-python or",
        "PyCUDA, and reads the tasks with the keras_dmtl/ folder beside it, "
        "which",
        "needs neither Keras nor TensorFlow), then in the folder:",
        "",
    ] + [f"  ./build_engine_{p}.sh" for p in precisions] + [
        "",
        "Each script builds model_<precision>.engine with trtexec (batch 1 "
        "to",
        f"{max_batch}, tuned for 1) and checks it against the Keras model's",
        "answers on parity_images.npy, writing "
        "model_<precision>.engine.parity.json;",
        "a check that misses its bar exits with an error.",
        "Attributes of faces in photos, with keras-dmtl installed on the "
        "device:",
        "",
        "  keras-dmtl predict photo.jpg --model model_fp16.engine",
        "",
        "model_info.json names the outputs and, for each task, its kind, "
        "labels",
        "(classes, rank values, action units, value names) and what each "
        "output",
        "holds.",
    ]
    return "\n".join(steps) + "\n"
