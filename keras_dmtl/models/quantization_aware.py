"""Quantization-aware trunks: the float model computes what int8 computes.

A MobileNetV2 trunk rewritten so that its float arithmetic rounds where a
full-integer TFLite file rounds: every convolution's batch normalisation
folded into its kernel and bias (as the converter folds it), the folded
kernel fake-quantized to 8 bits per output channel, and every activation
that TFLite stores as an int8 tensor fake-quantized to 8 bits over a fixed
range (ReLU6 outputs over [0, 6], the scaled input over `INPUT_RANGE`,
linear bottlenecks and residual sums over ranges measured on faces).
The TFLite converter reads those fake-quantization ops as the int8
tensors' scales, so the int8 file computes what the Keras model computes,
and fine-tuning the rewritten model (straight-through gradients) teaches
it to answer well under that rounding.

The rewrite keeps every variable of the float trunk and adds none:
`quantization_aware_model` copies a float model's weights into it, layer
by layer.
"""

import keras
import numpy as np
from keras import ops

from keras_dmtl.models.backbones import inner_application
from keras_dmtl.models.backbones import leaf_layers

ACTIVATION_BITS = 8
WEIGHT_BITS = 8
MIN_WEIGHT_RANGE = 1e-3
INPUT_RANGE = (-1.0, 127.0 / 128.0)
"""The int8 range of the scaled input, `x / 127.5 - 1`, in steps of 1/128.
Over [-1, 1] (steps of 1/127.5) every pixel value would fall exactly half
way between two levels, which TensorFlow's fake quantization rounds up
and TFLite's quantize op rounds away from zero: half the input's values
one level apart before the first convolution."""


@keras.saving.register_keras_serializable(package="keras_dmtl")
class FakeQuant(keras.layers.Layer):
    """Rounds a tensor to the 256 levels of an int8 tensor over a range.

    The range is nudged so that zero is a level, as TFLite's is; values
    outside it are clipped. Gradients pass straight through inside the
    range.

    Args:
        minimum: float, the smallest value the int8 tensor holds.
        maximum: float, the largest.
        **kwargs: base layer arguments (`name`, ...).

    Call arguments:
        inputs: a float tensor.

    Example:

    ```python
    relu6 = FakeQuant(0.0, 6.0)(keras.layers.ReLU(6.0)(x))
    ```
    """

    def __init__(self, minimum, maximum, **kwargs):
        super().__init__(**kwargs)
        if not float(minimum) <= 0.0 <= float(maximum) or minimum == maximum:
            raise ValueError(f"FakeQuant needs minimum <= 0 <= maximum and "
                             f"minimum < maximum, got {minimum}, {maximum}")
        self.minimum = float(minimum)
        self.maximum = float(maximum)

    def call(self, inputs):
        return keras.quantizers.fake_quant_with_min_max_vars(
            inputs, self.minimum, self.maximum, num_bits=ACTIVATION_BITS)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"minimum": self.minimum, "maximum": self.maximum})
        return config


@keras.saving.register_keras_serializable(package="keras_dmtl")
class FoldedConvolution(keras.layers.Layer):
    """A convolution and its batch normalisation, folded and fake-quantized.

    Computes `conv(x, q(k * s)) + (beta - mean * s)` with
    `s = gamma / sqrt(variance + epsilon)` from the moving statistics, and
    `q` rounding each output channel's kernel to 8 bits symmetrically
    (levels -127..127), which is what a TFLite int8 convolution computes.
    The convolution and the normalisation keep their own variables; the
    statistics are not updated (frozen, as in quantization-aware
    fine-tuning), while gamma and beta still learn through the fold.

    Args:
        convolution: the `keras.layers.Conv2D` or `DepthwiseConv2D`
            (without bias or activation, as in MobileNetV2).
        batch_norm: the `keras.layers.BatchNormalization` that follows it.
        input_scale: float or None, the scale of the int8 input (its
            range over 255); with it the bias is rounded to the int32 grid
            TFLite stores it on (input scale times weight scale), which
            matters where the weight scale is large.
        **kwargs: base layer arguments (`name`, ...).

    Call arguments:
        inputs: the convolution's input.

    Example:

    ```python
    conv = keras.layers.Conv2D(16, 3, padding="same", use_bias=False)
    folded = FoldedConvolution(conv, keras.layers.BatchNormalization(),
                               input_scale=6.0 / 255)
    features = folded(images)  # conv, then batch norm, rounded as int8
    ```
    """

    def __init__(self, convolution, batch_norm, input_scale=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(convolution, dict):
            convolution = keras.saving.deserialize_keras_object(convolution)
        if isinstance(batch_norm, dict):
            batch_norm = keras.saving.deserialize_keras_object(batch_norm)
        depthwise = isinstance(convolution, keras.layers.DepthwiseConv2D)
        if not isinstance(convolution, keras.layers.Conv2D) and not depthwise:
            raise ValueError(f"FoldedConvolution folds a Conv2D or a "
                             f"DepthwiseConv2D, not {convolution.name}")
        if convolution.use_bias or convolution.activation not in (
                None, keras.activations.linear):
            raise ValueError(f"{convolution.name}: FoldedConvolution needs a "
                             "convolution without bias or activation")
        if depthwise and convolution.depth_multiplier != 1:
            raise ValueError(f"{convolution.name}: depth multiplier 1 only")
        if convolution.data_format != "channels_last":
            raise ValueError(f"{convolution.name}: channels_last only")
        self.convolution = convolution
        self.batch_norm = batch_norm
        self.input_scale = None if input_scale is None else float(input_scale)

    def build(self, input_shape):
        if not self.convolution.built:
            self.convolution.build(input_shape)
        if not self.batch_norm.built:
            self.batch_norm.build(
                self.convolution.compute_output_shape(input_shape))

    def folded(self):
        """The fake-quantized folded kernel, the bias and the weight scales.

        Returns:
            `(kernel, bias, weight_scale)`: the kernel times the
            normalisation's scale, rounded per output channel; the bias
            `beta - mean * s`, rounded to the int32 grid of input scale
            times weight scale when `input_scale` is known (with a
            straight-through gradient); each output channel's weight
            scale.
        """
        conv = self.convolution
        bn = self.batch_norm
        scale = ops.rsqrt(bn.moving_variance + bn.epsilon)
        if bn.gamma is not None:
            scale = scale * bn.gamma
        bias = -bn.moving_mean * scale
        if bn.beta is not None:
            bias = bias + bn.beta
        kernel = conv.kernel
        depthwise = isinstance(conv, keras.layers.DepthwiseConv2D)
        if depthwise:  # (h, w, channels, 1) as (h, w, 1, channels)
            h, w, channels, _ = kernel.shape
            kernel = ops.reshape(kernel, (h, w, 1, channels))
        kernel, weight_scale = _per_channel(kernel * scale)
        if depthwise:
            kernel = ops.reshape(kernel, (h, w, channels, 1))
        if self.input_scale is not None:
            unit = self.input_scale * weight_scale
            rounded = ops.round(bias / unit) * unit
            bias = bias + ops.stop_gradient(rounded - bias)
        return kernel, bias, weight_scale

    def call(self, inputs):
        conv = self.convolution
        kernel, bias, _ = self.folded()
        if isinstance(conv, keras.layers.DepthwiseConv2D):
            outputs = ops.depthwise_conv(
                inputs, kernel, strides=conv.strides, padding=conv.padding,
                data_format=conv.data_format,
                dilation_rate=conv.dilation_rate)
        else:
            outputs = ops.conv(
                inputs, kernel, strides=conv.strides, padding=conv.padding,
                data_format=conv.data_format,
                dilation_rate=conv.dilation_rate)
        return outputs + bias

    def compute_output_shape(self, input_shape):
        return self.convolution.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "convolution": keras.saving.serialize_keras_object(
                self.convolution),
            "batch_norm": keras.saving.serialize_keras_object(
                self.batch_norm),
            "input_scale": self.input_scale,
        })
        return config


@keras.saving.register_keras_serializable(package="keras_dmtl")
class WeightQuantizedHead(keras.layers.Layer):
    """A linear head whose kernel is rounded to 8 bits, as TFLite stores it.

    A quantization-aware model's heads run in float in its TFLite file (the
    converter dequantizes the pooled int8 features before them) with int8
    weights; this computes the same: `x @ q(kernel) + bias`, `q` rounding
    the whole kernel symmetrically to the levels -127..127.

    Args:
        head: the task's head, a layer with `kernel` and `bias` computing
            `x @ kernel + bias` (`keras.layers.Dense` without activation,
            `OrdinalHead`).
        **kwargs: base layer arguments (`name`, ...).

    Call arguments:
        inputs: the pooled features.

    Example:

    ```python
    head = WeightQuantizedHead(task.build_head(), name="age_head")
    ```
    """

    def __init__(self, head, **kwargs):
        super().__init__(**kwargs)
        if isinstance(head, dict):
            head = keras.saving.deserialize_keras_object(head)
        if getattr(head, "activation", None) not in (
                None, keras.activations.linear) or (
                getattr(head, "use_bias", True) is False):
            raise ValueError(f"{head.name}: quantization-aware models need "
                             "linear heads with a bias (x @ kernel + bias)")
        self.head = head

    def build(self, input_shape):
        if not self.head.built:
            self.head.build(input_shape)
        if not (hasattr(self.head, "kernel") and hasattr(self.head, "bias")):
            raise ValueError(f"{self.head.name}: quantization-aware models "
                             "need linear heads with a bias (x @ kernel + "
                             "bias); this one is not (regression heads are "
                             "not supported)")

    def call(self, inputs):
        kernel = self.head.kernel
        limit = ops.maximum(ops.max(ops.abs(kernel)), MIN_WEIGHT_RANGE)
        kernel = keras.quantizers.fake_quant_with_min_max_vars(
            kernel, -limit, limit, num_bits=WEIGHT_BITS, narrow_range=True)
        return ops.matmul(inputs, kernel) + self.head.bias

    def compute_output_shape(self, input_shape):
        return self.head.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config["head"] = keras.saving.serialize_keras_object(self.head)
        return config


def check_quantization_aware(backbone, every_stage_shared):
    """Refuses what `quantization_aware_backbone` cannot rewrite.

    Args:
        backbone: the backbone's name.
        every_stage_shared: bool, no stage is copied per branch.

    Raises:
        ValueError: for a backbone other than MobileNetV2, or a model whose
            upper stages are not shared.
    """
    if not backbone.startswith("mobilenet_v2"):
        raise ValueError(f"quantization-aware models need a MobileNetV2 "
                         f"backbone, not {backbone}")
    if not every_stage_shared:
        raise ValueError("quantization-aware models share every stage "
                         "(shared_stages=None)")


def check_quantizable(model):
    """Refuses a model `quantization_aware_model` cannot copy, before any
    faces are read.

    Raises:
        ValueError: naming what stands in the way: the backbone, unshared
            stages, a compound head, a head that is not linear (regression
            heads), or a model that is quantization-aware already.
    """
    if model.int8_ranges is not None:
        raise ValueError("the model is quantization-aware already")
    check_quantization_aware(
        model.backbone,
        all(group == "shared" for group in model.task_branches.values()))
    if model.compound_head is not None:
        raise ValueError("quantization-aware models have no compound head")
    for task in model.tasks:
        head = model.get_layer(f"{task.name}_head")
        if not (hasattr(head, "kernel") and hasattr(head, "bias")):
            raise ValueError(
                f"task '{task.name}': quantization-aware models need linear "
                "heads with a bias (x @ kernel + bias); regression heads are "
                "not supported")


def quantization_aware_model(model, images, batch_size=32):
    """A trained model's quantization-aware copy, with its weights.

    The int8 ranges of the trunk's linear outputs are measured on `images`
    (`measure_ranges`); every other range is known. The copy has the same
    tasks, configuration and weights, and rounds as its int8 TFLite file
    does (the trunk in int8; heads in float with int8 weights); fine-tune
    it (`model.fit`, a small learning rate, an epoch or two) to recover
    what the rounding costs, then export it with `--precision int8`,
    which converts it from its own ranges.

    Args:
        model: a trained `DMTLModel` with a MobileNetV2 trunk, every stage
            shared, and linear heads (ordinal, nominal, multi-label tasks).
        images: float array `(n, H, W, 3)` of 0..255 faces like those the
            model will see (a few hundred), for the ranges.
        batch_size: int.

    Returns:
        The new `DMTLModel`, not compiled.

    Raises:
        ValueError: for a model it cannot copy (`check_quantizable`).

    Example:

    ```python
    aware = quantization_aware_model(model, training_faces[:500])
    aware.compile(optimizer=keras.optimizers.AdamW(1e-4))
    aware.fit(dataset, epochs=1)
    ```
    """
    from keras_dmtl.models.dmtl_model import DMTLModel

    check_quantizable(model)
    config = model.get_config()
    config["int8_ranges"] = measure_ranges(model.get_layer("trunk"), images,
                                           batch_size)
    aware = DMTLModel.from_config(config)
    _copy_by_name(model, aware)
    return aware


def _copy_by_name(model, aware):
    """Copies the float model's variables into the copy, layer name and
    variable name to the same (`named_variables`), and the loss
    weighting's in order."""
    from keras_dmtl.models.named_variables import named_variables

    theirs = named_variables(model)
    mine = named_variables(aware)
    if set(mine) != set(theirs) or any(
            tuple(v.shape) != tuple(theirs[k].shape) for k, v in mine.items()):
        missing = sorted(set(mine) ^ set(theirs), key=str)[:3]
        raise RuntimeError("the quantization-aware copy's variables do not "
                           f"match the model's (first differences: {missing})")
    for key, variable in mine.items():
        variable.assign(theirs[key])
    for variable, value in zip(aware.weighting.weights,
                               model.weighting.weights):
        variable.assign(value)


def _per_channel(kernel):
    """Symmetric 8-bit fake quantization along the last axis.

    A channel whose weights are all near zero (a dead filter) keeps a
    range of `MIN_WEIGHT_RANGE`: the int32 bias of an int8 convolution is
    stored in units of input scale times weight scale, and a vanishing
    weight scale would overflow it."""
    limit = ops.max(ops.abs(kernel), axis=(0, 1, 2))
    limit = ops.maximum(limit, MIN_WEIGHT_RANGE)
    quantized = keras.quantizers.fake_quant_with_min_max_vars(
        kernel, -limit, limit, num_bits=WEIGHT_BITS, narrow_range=True,
        axis=-1)
    return quantized, limit / (2 ** (WEIGHT_BITS - 1) - 1)


def measured_points(backbone):
    """Names the layers whose outputs need a measured int8 range.

    The batch normalisations not followed by a ReLU6 (linear bottlenecks)
    and the residual sums of a MobileNetV2 trunk; every other activation
    has a known range.
    """
    names = []
    for layer in leaf_layers(backbone):
        if isinstance(layer, keras.layers.Add):
            names.append(layer.name)
        elif (isinstance(layer, keras.layers.BatchNormalization)
              and not isinstance(_consumer(layer), keras.layers.ReLU)):
            names.append(layer.name)
    return names


def measure_ranges(backbone, images, batch_size=32):
    """The int8 ranges of a float trunk's linear outputs on `images`.

    Args:
        backbone: the float trunk (`build_backbone`), trained.
        images: float array `(n, H, W, 3)` of 0..255 RGB faces, ones the
            ranges should cover (a few hundred training faces).
        batch_size: int.

    Returns:
        dict of layer name to `[minimum, maximum]`, each widened to hold 0.
    """
    inner = inner_application(backbone)
    names = measured_points(backbone)
    probe = keras.Model(inner.input,
                        [inner.get_layer(n).output for n in names])
    scale = backbone.get_layer("scale")
    lows = {n: [] for n in names}
    highs = {n: [] for n in names}
    for start in range(0, len(images), batch_size):
        batch = scale(np.asarray(images[start:start + batch_size], "float32"))
        outputs = probe(batch, training=False)
        for name, output in zip(names, outputs):
            output = ops.convert_to_numpy(output)
            lows[name].append(min(0.0, float(output.min())))
            highs[name].append(max(0.0, float(output.max())))
    return {n: [float(np.mean(lows[n])), float(np.mean(highs[n]))]
            for n in names}


def quantization_aware_backbone(backbone, ranges):
    """A MobileNetV2 trunk rewritten to compute what int8 computes.

    Args:
        backbone: a MobileNetV2 trunk from `build_backbone` (the rescaling
            and the application), or a part of one from `split_backbone`.
        ranges: dict of layer name to `[minimum, maximum]` from
            `measure_ranges`, one for every `measured_points` name.

    Returns:
        A `keras.Model` with the same inputs, outputs, variables and
        variable order, in which every convolution is a
        `FoldedConvolution` and every int8 tensor passes a `FakeQuant`.
    """
    missing = sorted(set(measured_points(backbone)) - set(ranges))
    if missing:
        raise ValueError(f"quantization ranges missing for {missing[:3]}"
                         f"{' ...' if len(missing) > 3 else ''}")
    folded = {}
    for layer in leaf_layers(backbone):
        if isinstance(layer, (keras.layers.Conv2D,
                              keras.layers.DepthwiseConv2D)):
            norm = _consumer(layer)
            if not isinstance(norm, keras.layers.BatchNormalization):
                raise ValueError(f"{layer.name} is not followed by a batch "
                                 "normalisation: not a MobileNetV2 trunk")
            folded[norm.name] = FoldedConvolution(
                layer, norm, input_scale=_input_scale(layer, ranges),
                name=f"{layer.name}_folded")
    by_norm = {f.convolution.name: f for f in folded.values()}

    def call_function(layer, *args, **kwargs):
        if layer.name in by_norm:  # the convolution: folded with its norm
            return by_norm[layer.name](*args)
        if layer.name in folded:  # its norm: already applied
            outputs = args[0]
        else:
            outputs = layer(*args, **kwargs)
        bounds = _int8_range(layer, ranges)
        if bounds is None:
            return outputs
        return FakeQuant(*bounds, name=f"{layer.name}_quant")(outputs)

    return keras.models.clone_model(
        backbone, clone_function=lambda layer: layer,
        call_function=call_function, recursive=True)


def _int8_range(layer, ranges):
    """The range of the int8 tensor TFLite stores a layer's output in, or
    None where the output is not one (a convolution before its
    normalisation, zero padding).

    A ReLU6's is [0, 6], the scaled input's `INPUT_RANGE`, a measured
    point's its range widened to hold 0.
    """
    if isinstance(layer, keras.layers.ReLU):
        return 0.0, 6.0 if layer.max_value is None else float(layer.max_value)
    if layer.name == "scale":
        return INPUT_RANGE
    if layer.name in ranges:
        low, high = ranges[layer.name]
        return min(low, 0.0), max(high, 0.0)
    return None


def _scale_of(minimum, maximum):
    """The scale of an int8 tensor over a range (TensorFlow's nudging keeps
    it)."""
    return (float(maximum) - float(minimum)) / (2 ** ACTIVATION_BITS - 1)


def _input_scale(layer, ranges):
    """The int8 scale of a convolution's input in the rewritten trunk.

    Walks back from the convolution over zero padding to the layer whose
    output it reads: a ReLU6 ([0, 6]), a measured point (its range) or the
    trunk's input (`INPUT_RANGE`).
    """
    producer = layer
    while True:
        tensor = producer._inbound_nodes[0].input_tensors[0]
        producer = tensor._keras_history.operation
        if not isinstance(producer, keras.layers.ZeroPadding2D):
            break
    if isinstance(producer, keras.layers.InputLayer):
        return _scale_of(*INPUT_RANGE)  # the application's: the scaled input
    bounds = _int8_range(producer, ranges)
    if bounds is not None:
        return _scale_of(*bounds)
    raise ValueError(f"{layer.name} reads {producer.name}, whose int8 range "
                     "is not known: not a MobileNetV2 trunk")


def _consumer(layer):
    """The one layer that reads `layer`'s output, or None."""
    consumers = {node.operation for node in layer._outbound_nodes}
    return consumers.pop() if len(consumers) == 1 else None
