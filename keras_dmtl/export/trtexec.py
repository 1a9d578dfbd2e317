"""The shell script that builds a TensorRT engine on the target device."""

import os
import stat

from keras_dmtl.export.serving import IMAGE_INPUT

TENSORRT_PRECISIONS = ("fp32", "fp16", "int8")


def trtexec_command(onnx_name, engine_name, image_size, precision="fp16",
                    max_batch=32, cache_name="calibration.cache"):
    """The `trtexec` command line that builds an engine from the ONNX file.

    The optimisation profile admits batches 1..`max_batch` and is tuned for
    batch 1 (one camera frame). int8 also enables fp16 for the layers that
    run faster or better in it, and reads the calibration cache.
    """
    if precision not in TENSORRT_PRECISIONS:
        raise ValueError(f"TensorRT precision must be one of "
                         f"{TENSORRT_PRECISIONS}, got {precision!r}")
    shape = f"{image_size}x{image_size}x3"
    parts = [
        "trtexec", f"--onnx={onnx_name}", f"--saveEngine={engine_name}",
        f"--minShapes={IMAGE_INPUT}:1x{shape}",
        f"--optShapes={IMAGE_INPUT}:1x{shape}",
        f"--maxShapes={IMAGE_INPUT}:{max_batch}x{shape}",
    ]
    if precision in ("fp16", "int8"):
        parts.append("--fp16")
    if precision == "int8":
        parts += ["--int8", f"--calib={cache_name}"]
    return " ".join(parts)


def write_build_script(folder, image_size, precision, max_batch=32):
    """Writes `build_engine_<precision>.sh` beside `model.onnx`.

    The script builds `model_<precision>.engine` with `trtexec` (found on
    PATH or in JetPack's /usr/src/tensorrt/bin), after making the int8
    calibration cache with `build_engine.py` if it is missing, then checks
    the engine against the Keras model's outputs with `build_engine.py
    check`.

    Returns:
        The script's path.
    """
    engine = f"model_{precision}.engine"
    command = trtexec_command("model.onnx", engine, image_size, precision,
                              max_batch)
    lines = [
        "#!/bin/sh",
        f"# Builds {engine} from model.onnx on this device (engines are",
        "# specific to the GPU and TensorRT version they are built on), then",
        "# checks it against the Keras model's outputs on parity_images.npy.",
        "set -e",
        'cd "$(dirname "$0")"',
        'PATH="$PATH:/usr/src/tensorrt/bin"',
    ]
    if precision == "int8":
        lines += [
            "if [ ! -f calibration.cache ]; then",
            "  python3 build_engine.py calibrate --max-batch "
            f"{max_batch}  # TensorRT Python API: entropy calibration",
            "fi",
        ]
    lines += [
        command,
        f"python3 build_engine.py check {engine} --precision {precision}",
        "",
    ]
    path = os.path.join(folder, f"build_engine_{precision}.sh")
    with open(path, "w") as file:
        file.write("\n".join(lines))
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP
             | stat.S_IXOTH)
    return path
