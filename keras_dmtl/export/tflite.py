"""TFLite (LiteRT) flatbuffers in float, half and 8-bit integer precision."""

import io

import numpy as np

from keras_dmtl.progress import progress

TFLITE_PRECISIONS = ("fp32", "fp16", "dynamic_int8", "int8", "int8_mixed",
                     "int16x8")
CALIBRATED = ("int8", "int8_mixed", "int16x8")
"""The precisions that need calibration faces."""
MIXED_ERROR_BAR = 0.7
"""`int8_mixed` keeps in float every trunk layer whose int8 output's RMS
error exceeds this many quantization steps (TFLite's quantization debugger
guide suggests 0.7)."""
DEBUG_IMAGES = 32
"""How many calibration faces the quantization debugger runs."""


def needs_calibration(precision, quantization_aware=False):
    """Whether a TFLite file of `precision` is calibrated on faces: the
    precisions in `CALIBRATED`, except `int8` of a quantization-aware
    model, which takes its ranges from the model."""
    return precision in CALIBRATED and not (quantization_aware
                                            and precision == "int8")


def write_tflite(saved_model, path, precision="fp32", calibration=None,
                 float_ops=None, quantization_aware=False):
    """Converts a keras-dmtl SavedModel to a `.tflite` file.

    Precisions:

    - `fp32`: float weights and arithmetic.
    - `fp16`: float16 weights (half the size), float arithmetic.
    - `dynamic_int8`: int8 weights, activations quantized on the fly.
    - `int8`: full-integer: int8 weights and activations, every operator
      an int8 kernel, calibrated on `calibration` images. The input and
      outputs stay float32, so an app feeds the same 0..255 RGB floats.
    - `int8_mixed`: int8 for the trunk, float for what breaks agreement:
      TFLite's quantization debugger runs the int8 model beside the float
      one on calibration faces, and every trunk layer whose output error
      exceeds `MIXED_ERROR_BAR` quantization steps stays float, as do the
      heads and the decoding after the pooled features (a few small
      layers, where 116 age thresholds near 0.5 flip under int8 noise).
      With `float_ops`, every operator of those kinds stays float instead
      (and nothing else), to see which kinds of operator int8 harms.
    - `int8` of a quantization-aware model (`quantization_aware=True`,
      `keras_dmtl.models.quantization_aware_model`): the trunk int8 from
      the model's own fake-quantization ranges, so that the file computes
      what the Keras model computes; no calibration images; the heads run
      in float with int8 weights, as the model emulates.
    - `int16x8`: int8 weights with 16-bit activations (TFLite's
      experimental 16x8 mode): far less activation noise, but reference
      kernels on most CPUs.

    Args:
        saved_model: a SavedModel folder from `write_saved_model`.
        path: the `.tflite` file to write.
        precision: one of `TFLITE_PRECISIONS`.
        calibration: float array `(n, H, W, 3)` of representative faces,
            needed for the precisions in `CALIBRATED`.
        float_ops: optional list of TFLite operator names
            (`"DEPTHWISE_CONV_2D"`, ...) that `int8_mixed` keeps in float
            in place of the layers its debugger picks.
        quantization_aware: bool, the SavedModel is a quantization-aware
            model's (for `int8`).

    Returns:
        `path`.
    """
    import tensorflow as tf

    if precision not in TFLITE_PRECISIONS:
        raise ValueError(f"TFLite precision must be one of "
                         f"{TFLITE_PRECISIONS}, got {precision!r}")
    calibrated = needs_calibration(precision, quantization_aware)
    if calibrated and (calibration is None or not len(calibration)):
        raise ValueError(f"{precision} TFLite needs calibration images")
    if float_ops and precision != "int8_mixed":
        raise ValueError(f"float_ops {float_ops} apply to int8_mixed only, "
                         f"not {precision}")
    converter = tf.lite.TFLiteConverter.from_saved_model(
        saved_model, signature_keys=["serving_default"])
    if precision != "fp32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if precision == "fp16":
        converter.target_spec.supported_types = [tf.float16]
    if calibrated:
        def representative():
            for image in progress(calibration,
                                  description=f"Calibrating {precision}",
                                  unit="image"):
                yield [image[None].astype("float32")]

        converter.representative_dataset = representative
    if precision == "int8" and calibrated:
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if precision == "int16x8":
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet
            .EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8,
            tf.lite.OpsSet.TFLITE_BUILTINS]
    if precision == "int8_mixed":
        flatbuffer = _mixed_int8(converter, calibration, float_ops)
    else:
        flatbuffer = converter.convert()
    with open(path, "wb") as file:
        file.write(flatbuffer)
    return path


def _mixed_int8(converter, calibration, float_ops=None):
    """Converts with the layers that int8 harms most kept in float.

    With `float_ops`, every operator of those kinds is kept in float
    instead.
    """
    import tensorflow as tf

    sample = calibration[:DEBUG_IMAGES]

    def debug_dataset():
        for image in sample:
            yield [image[None].astype("float32")]

    if float_ops:
        options = tf.lite.experimental.QuantizationDebugOptions(
            denylisted_ops=list(float_ops))
    else:
        options = tf.lite.experimental.QuantizationDebugOptions(
            denylisted_nodes=_worst_layers(converter, debug_dataset))
    debugger = tf.lite.experimental.QuantizationDebugger(
        converter=converter, debug_dataset=debug_dataset,
        debug_options=options)
    return debugger.get_nondebug_quantized_model()


def _worst_layers(converter, debug_dataset):
    """The tensors whose int8 error exceeds `MIXED_ERROR_BAR` steps, and
    every tensor after the trunk."""
    import pandas as pd
    import tensorflow as tf

    debugger = tf.lite.experimental.QuantizationDebugger(
        converter=converter, debug_dataset=debug_dataset)
    debugger.run()
    dump = io.StringIO()
    debugger.layer_statistics_dump(dump)
    dump.seek(0)
    stats = pd.read_csv(dump)
    error = np.sqrt(stats["mean_squared_error"]) / stats["scale"]
    names = stats["tensor_name"].astype(str)
    in_trunk = names.str.contains("trunk") | names.str.contains("_stages")
    return names[(error > MIXED_ERROR_BAR) | ~in_trunk].tolist()
