"""One call from a trained model to a checked artifact in a folder."""

import collections
import os
import shutil
import tempfile

import numpy as np

from keras_dmtl.export.export_folder import PARITY_SUFFIX
from keras_dmtl.export.export_folder import check_export_folder
from keras_dmtl.export.export_folder import make_staging
from keras_dmtl.export.export_folder import record_entries
from keras_dmtl.export.export_folder import remove_stale_staging
from keras_dmtl.export.export_folder import staged_entries
from keras_dmtl.export.images import sample_images
from keras_dmtl.export.model_info import INFO_FILE
from keras_dmtl.export.model_info import write_model_info
from keras_dmtl.export.onnx_model import DEFAULT_OPSET
from keras_dmtl.export.onnx_model import write_onnx
from keras_dmtl.export.parity import ParityError
from keras_dmtl.export.parity import failure_message
from keras_dmtl.export.parity import parity_report
from keras_dmtl.export.parity import write_parity
from keras_dmtl.export.runtimes import KerasRuntime
from keras_dmtl.export.runtimes import load_artifact
from keras_dmtl.export.saved_model import write_saved_model
from keras_dmtl.export.tflite import CALIBRATED
from keras_dmtl.export.tflite import TFLITE_PRECISIONS
from keras_dmtl.export.tflite import needs_calibration
from keras_dmtl.export.tflite import write_tflite
from keras_dmtl.export.trtexec import TENSORRT_PRECISIONS
from keras_dmtl.export.trtexec import write_build_script

PRECISIONS = {
    "savedmodel": ("fp32",),
    "tflite": TFLITE_PRECISIONS,
    "onnx": ("fp32",),
    "tensorrt": TENSORRT_PRECISIONS,
}
FORMATS = tuple(PRECISIONS)

ExportResult = collections.namedtuple("ExportResult",
                                      ["artifacts", "reports", "notes"])
ExportResult.__doc__ = """What `export_model` wrote.

Fields:
    artifacts: list of paths of the checked artifacts.
    reports: dict from artifact path to its parity report.
    notes: list of str: the staging folders of killed exports that were
        removed, the steps left to do on a device.
"""


def artifact_name(export_format, precision):
    """The file (or folder) name an export writes its artifact to."""
    return {
        "savedmodel": "saved_model",
        "tflite": f"model_{precision}.tflite",
        "onnx": "model.onnx",
        "tensorrt": f"model_{precision}.engine",
    }[export_format]


def export_entries(export_format, precision):
    """The entries an export writes into its folder, and those written later.

    Returns:
        `(names, later)`: the files and folders the export moves into the
        output folder (a TensorRT engine only where it is built here), and
        those that the TensorRT build script writes on the device.
    """
    name = artifact_name(export_format, precision)
    if export_format != "tensorrt":
        return [name, name + PARITY_SUFFIX, INFO_FILE], []
    names = ["model.onnx", "model.onnx" + PARITY_SUFFIX, INFO_FILE,
             f"build_engine_{precision}.sh", "build_engine.py", "parity.py",
             "keras_dmtl", "parity_images.npy", "parity_reference.npz"]
    if precision == "int8":
        names.append("calibration_images.npy")
    return names, [name, name + PARITY_SUFFIX, "calibration.cache"]


def artifact_size(path):
    """Bytes on disk of an artifact file or folder (a SavedModel)."""
    if os.path.isdir(path):
        return sum(os.path.getsize(os.path.join(root, name))
                   for root, _, files in os.walk(path) for name in files)
    return os.path.getsize(path)


def default_image_source(model_path):
    """The run's `test_set.csv` beside a model file, when there is one."""
    if model_path is None:
        return None
    table = os.path.join(os.path.dirname(os.path.abspath(model_path)),
                         "test_set.csv")
    return table if os.path.isfile(table) else None


def export_model(model, export_format, out, precision="fp32", data=None,
                 parity_images=200, calibration_images=200,
                 opset=DEFAULT_OPSET, max_batch=32, min_agreement=None,
                 saved_model=None):
    """Exports a model, checks the artifact against it, and writes both.

    The artifact is built in a staging folder inside `out`, run on
    `parity_images` faces beside the Keras model, and moved into `out` only
    if its decoded answers agree often enough (`parity.AGREEMENT_BARS`);
    otherwise `ParityError` is raised and nothing is left behind. Each
    artifact gets `<artifact>.parity.json`; the folder gets
    `model_info.json`, and `.keras-dmtl-export`, the list of the entries
    exports wrote there. An export replaces only entries of that list: one
    whose files would replace anything else is refused before it starts
    (see `export_folder`). The staging folder of an export that was killed
    is removed by the next export into the folder, which says so in a note.

    Formats and what they write:

    - `savedmodel`: `saved_model/`, with `serving_default` (float images)
      and `serving_bytes` (encoded images) signatures.
    - `tflite`: `model_<precision>.tflite`, precision `fp32`, `fp16`,
      `dynamic_int8` or `int8` (full integer, calibrated on
      `calibration_images` faces from `data`).
    - `onnx`: `model.onnx`, one input, dynamic batch, opset `opset`.
    - `tensorrt`: `model.onnx` plus, to build the engine on the target,
      `build_engine_<precision>.sh` (the exact `trtexec` command),
      `build_engine.py` and `parity.py` (calibration and the engine's parity
      check) with the `keras_dmtl/` they need (the task classes only, which
      run with NumPy alone), `parity_images.npy`, `parity_reference.npz`
      and, for int8, `calibration_images.npy`. Where the TensorRT Python package and a GPU
      are present, the engine `model_<precision>.engine` is also built and
      checked here.

    Args:
        model: a `DMTLModel`, or the path of its `.keras` file.
        export_format: one of `FORMATS`.
        out: the output folder (created if needed). It may hold other
            files, but none of the names the export writes unless an
            export wrote it.
        precision: one of `PRECISIONS[export_format]`.
        data: faces for parity and calibration: a folder of aligned face
            images, or a CSV table with an `image` column. Defaults to the
            `test_set.csv` beside a model file, else built-in synthetic
            faces.
        parity_images: int, how many faces the parity check runs.
        calibration_images: int, how many faces calibrate int8.
        opset: int, the ONNX opset.
        max_batch: int, the largest batch of a TensorRT engine.
        min_agreement: optional float replacing the precision's bar.
        saved_model: optional SavedModel of this same model to convert
            from (`write_conversion_folder(model, folder)`), so that
            several precisions share one (writing it is half of a small
            model's export); by default each export writes its own. The
            parity check against the Keras model runs either way. Not for
            the `savedmodel` format.

    Returns:
        An `ExportResult`.

    Raises:
        ValueError: unknown format or precision, an output folder holding
            what the export would replace but did not write, a file that
            is not a keras-dmtl model, or image data with no usable image.
        ParityError: the artifact disagrees with the model.
    """
    from keras_dmtl.models.load_model import load_dmtl_model
    from keras_dmtl.models.dmtl_model import DMTLModel

    if export_format not in PRECISIONS:
        raise ValueError(f"unknown export format {export_format!r}; choose "
                         f"one of {list(FORMATS)}")
    if precision not in PRECISIONS[export_format]:
        raise ValueError(f"precision {precision!r} is not available for "
                         f"{export_format}; choose one of "
                         f"{list(PRECISIONS[export_format])}")
    if saved_model is not None and export_format == "savedmodel":
        raise ValueError("saved_model= is a SavedModel to convert from; the "
                         "savedmodel format writes its own")
    names, later = export_entries(export_format, precision)
    check_export_folder(out, names)
    model_path = None
    if isinstance(model, (str, os.PathLike)):
        model_path = os.fspath(model)
        model = load_dmtl_model(model_path)
    elif not isinstance(model, DMTLModel):
        raise ValueError(f"export_model takes a DMTLModel or a .keras path, "
                         f"got {type(model).__name__}")
    if data is None:
        data = default_image_source(model_path)
    size = model.image_size
    parity, source = sample_images(data, size, parity_images)
    calibration = None
    calibrated = (needs_calibration(precision, model.int8_ranges is not None)
                  if export_format == "tflite" else precision in CALIBRATED)
    if calibrated:
        calibration, _ = sample_images(data, size, calibration_images,
                                       offset=parity_images)
    keras_runtime = KerasRuntime(model_path, model=model)
    reference = keras_runtime.predict(
        parity, description="Keras model on the parity faces")
    info = keras_runtime.info

    out_existed = os.path.isdir(out)
    os.makedirs(out, exist_ok=True)
    cleaned = remove_stale_staging(out)
    staging = make_staging(out)
    try:
        artifacts, notes = _write_artifacts(
            model, info, export_format, precision, staging, parity,
            reference, calibration, opset, max_batch, saved_model)
        write_model_info(info, staging)
        reports = {}
        for name, artifact_precision in artifacts:
            path = os.path.join(staging, name)
            runtime = load_artifact(path, num_threads=2)
            outputs = runtime.predict(parity, description=f"Parity of {name}")
            report = parity_report(model.tasks, reference, outputs,
                                   artifact_precision, min_agreement)
            report.update({"artifact": name, "format": export_format,
                           "runtime": runtime.name, "images": source})
            if not report["passed"]:
                raise ParityError(failure_message(report, name))
            write_parity(report, f"{path}.parity.json")
            reports[os.path.join(out, name)] = report
        if export_format != "savedmodel" and saved_model is None:
            shutil.rmtree(os.path.join(staging, "saved_model"))
        entries = staged_entries(staging)
        check_export_folder(out, entries)
        record_entries(out, entries, later)
        for entry in entries:
            _move(os.path.join(staging, entry), os.path.join(out, entry),
                  staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if not out_existed and not os.listdir(out):
            os.rmdir(out)
    if cleaned:
        notes.insert(0, cleaned)
    return ExportResult([os.path.join(out, n) for n, _ in artifacts],
                        reports, notes)


def _write_artifacts(model, info, export_format, precision, staging, parity,
                     reference, calibration, opset, max_batch,
                     saved_model=None):
    """Writes the format's files into `staging`; returns what to check."""
    if saved_model is None:
        saved_model = write_saved_model(
            model, os.path.join(staging, "saved_model"),
            bytes_signature=export_format == "savedmodel")
    if export_format == "savedmodel":
        return [("saved_model", precision)], []
    if export_format == "tflite":
        name = artifact_name("tflite", precision)
        write_tflite(saved_model, os.path.join(staging, name), precision,
                     calibration,
                     quantization_aware=model.int8_ranges is not None)
        return [(name, precision)], []
    write_onnx(saved_model, os.path.join(staging, "model.onnx"), info, opset)
    if export_format == "onnx":
        return [("model.onnx", "fp32")], []
    return _write_tensorrt(info, precision, staging, parity, reference,
                           calibration, max_batch)


def _write_tensorrt(info, precision, staging, parity, reference,
                    calibration, max_batch):
    from keras_dmtl.export import parity as parity_module
    from keras_dmtl.export import tensorrt_engine

    script = write_build_script(staging, info["image_size"], precision,
                                max_batch)
    shutil.copy(tensorrt_engine.__file__,
                os.path.join(staging, "build_engine.py"))
    shutil.copy(parity_module.__file__, os.path.join(staging, "parity.py"))
    write_task_package(staging)
    np.save(os.path.join(staging, "parity_images.npy"),
            np.round(parity).astype("uint8"))
    np.savez(os.path.join(staging, "parity_reference.npz"), **reference)
    if calibration is not None:
        np.save(os.path.join(staging, "calibration_images.npy"),
                np.round(calibration).astype("uint8"))
    checked = [("model.onnx", "fp32")]
    name = artifact_name("tensorrt", precision)
    if tensorrt_engine.tensorrt_available():
        tensorrt_engine.build_engine(
            os.path.join(staging, "model.onnx"), os.path.join(staging, name),
            precision, max_batch, calibration,
            os.path.join(staging, "calibration.cache"))
        checked.append((name, precision))
        return checked, []
    note = (f"TensorRT (Python package and GPU) is not available here, so "
            f"{name} was not built: copy the folder to the target device and "
            f"run ./{os.path.basename(script)} there (trtexec builds the "
            "engine; build_engine.py checks it against the Keras model).")
    return checked, [note]


def write_task_package(folder):
    """Writes a minimal `keras_dmtl/` package of the task classes.

    `build_engine.py` and `parity.py` read the tasks of `model_info.json`
    with `Task.from_description`; on a device this copy, which needs only
    NumPy (no Keras, no TensorFlow), provides them: a small `__init__.py`,
    `labels.py` and the `tasks/` package, copied from this installation.

    Args:
        folder: the folder to write `keras_dmtl/` into.

    Returns:
        The path of the package folder.
    """
    import keras_dmtl.tasks
    from keras_dmtl import labels
    from keras_dmtl.version import __version__

    package = os.path.join(folder, "keras_dmtl")
    os.makedirs(os.path.join(package, "tasks"), exist_ok=True)
    with open(os.path.join(package, "__init__.py"), "w") as file:
        file.write(TASK_PACKAGE_INIT.format(version=__version__))
    shutil.copy(labels.__file__, os.path.join(package, "labels.py"))
    source = os.path.dirname(keras_dmtl.tasks.__file__)
    for name in sorted(os.listdir(source)):
        if name.endswith(".py"):
            shutil.copy(os.path.join(source, name),
                        os.path.join(package, "tasks", name))
    return package


TASK_PACKAGE_INIT = '''"""keras-dmtl {version}'s task classes, for build_engine.py and parity.py.

A copy written by `keras-dmtl export --format tensorrt`: only `labels` and
`tasks`, which need NumPy alone. Install keras-dmtl for the rest.
"""

__version__ = "{version}"
'''


def _move(source, target, staging):
    """Moves a finished file or folder into place, replacing an old one.

    Only entries an export wrote are replaced (`check_export_folder`).
    """
    if os.path.lexists(target) and (os.path.isdir(source) or (
            os.path.isdir(target) and not os.path.islink(target))):
        old = tempfile.mkdtemp(prefix=".old-", dir=staging)
        os.replace(target, os.path.join(old, "previous"))
    os.replace(source, target)
