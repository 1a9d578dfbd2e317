"""TFLite (LiteRT) flatbuffers in float, half and 8-bit integer precision."""

from keras_dmtl.progress import progress

TFLITE_PRECISIONS = ("fp32", "fp16", "dynamic_int8", "int8")


def write_tflite(saved_model, path, precision="fp32", calibration=None):
    """Converts a keras-dmtl SavedModel to a `.tflite` file.

    Precisions:

    - `fp32`: float weights and arithmetic.
    - `fp16`: float16 weights (half the size), float arithmetic.
    - `dynamic_int8`: int8 weights, activations quantized on the fly.
    - `int8`: full-integer: int8 weights and activations, every operator
      an int8 kernel, calibrated on `calibration` images. The input and
      outputs stay float32, so an app feeds the same 0..255 RGB floats.

    Args:
        saved_model: a SavedModel folder from `write_saved_model`.
        path: the `.tflite` file to write.
        precision: one of `TFLITE_PRECISIONS`.
        calibration: float array `(n, H, W, 3)` of representative faces,
            needed for `int8`.

    Returns:
        `path`.
    """
    import tensorflow as tf

    if precision not in TFLITE_PRECISIONS:
        raise ValueError(f"TFLite precision must be one of "
                         f"{TFLITE_PRECISIONS}, got {precision!r}")
    if precision == "int8" and (calibration is None or not len(calibration)):
        raise ValueError("int8 TFLite needs calibration images")
    converter = tf.lite.TFLiteConverter.from_saved_model(
        saved_model, signature_keys=["serving_default"])
    if precision != "fp32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if precision == "fp16":
        converter.target_spec.supported_types = [tf.float16]
    if precision == "int8":
        def representative():
            for image in progress(calibration, description="Calibrating int8",
                                  unit="image"):
                yield {"image": image[None].astype("float32")}

        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    flatbuffer = converter.convert()
    with open(path, "wb") as file:
        file.write(flatbuffer)
    return path
