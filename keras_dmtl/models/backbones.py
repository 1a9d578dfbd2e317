"""The convolutional trunks a DMTL model can be built on."""

import os

import keras

_EFFICIENTNETS = {
    f"efficientnet_b{i}": getattr(keras.applications, f"EfficientNetB{i}")
    for i in range(8)
}


def _mobilenet_v2(alpha):
    def build(**kwargs):
        return keras.applications.MobileNetV2(alpha=alpha, **kwargs)

    return build


_MOBILENETS = {
    "mobilenet_v2": _mobilenet_v2(1.0),
    "mobilenet_v2_0.35": _mobilenet_v2(0.35),
}

# Last layer of each MobileNetV2 stage (blocks of one resolution and width),
# then the final 1x1 convolution.
_MOBILENET_STAGE_ENDS = [
    "expanded_conv_project_BN",
    "block_2_add",
    "block_5_add",
    "block_9_add",
    "block_12_add",
    "block_15_add",
    "block_16_project_BN",
    "out_relu",
]

BACKBONES = tuple(_EFFICIENTNETS) + tuple(_MOBILENETS)


def build_backbone(name, image_size, weights=None):
    """Builds a Keras application trunk with no top, taking 0-255 RGB.

    EfficientNets carry their own input scaling; MobileNetV2 gets a
    rescaling layer in front so that every backbone takes the same input.
    MobileNetV2's batch normalisation momentum is set to 0.99, as in the
    EfficientNets: Keras builds it with 0.999, whose moving statistics trail
    fine-tuned weights for thousands of steps and make validation scores lag
    training ones in short runs.

    Args:
        name: one of `BACKBONES`.
        image_size: int, the height and width of the input.
        weights: None (random start) or the path of a weights file for the
            trunk without its top, such as the ImageNet MobileNetV2 file.

    Returns:
        A `keras.Model` from a `(image_size, image_size, 3)` input to the
        last feature map.
    """
    if name not in BACKBONES:
        raise ValueError(
            f"Unknown backbone {name!r}. Choose one of {list(BACKBONES)}."
        )
    if weights is not None:
        weights = os.fspath(weights)
        if not os.path.isfile(weights):
            raise FileNotFoundError(
                f"weights={weights!r}: no such file. `weights` takes None or "
                "the path of a weights file (nothing is downloaded)."
            )
    shape = (image_size, image_size, 3)
    if name in _EFFICIENTNETS:
        return _EFFICIENTNETS[name](
            include_top=False, weights=weights, input_shape=shape
        )
    trunk = _MOBILENETS[name](
        include_top=False, weights=weights, input_shape=shape
    )
    for layer in trunk.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = 0.99
    inputs = keras.Input(shape, name="image")
    scaled = keras.layers.Rescaling(1 / 127.5, offset=-1, name="scale")(inputs)
    return keras.Model(inputs, trunk(scaled), name=name.replace(".", "_"))


def stage_ends(name, backbone):
    """Names the layer that ends each stage of a backbone, in order.

    A stage is a run of blocks at one resolution and width; the last stage
    is the final 1x1 convolution. `shared_stages=k` in `DMTLModel` shares the
    stem and the first k stages.
    """
    if name in _MOBILENETS:
        return list(_MOBILENET_STAGE_ENDS)
    layer_names = [layer.name for layer in backbone.layers]
    ends = []
    for stage in range(1, 8):
        in_stage = [n for n in layer_names if n.startswith(f"block{stage}")]
        ends.append(in_stage[-1])
    ends.append(layer_names[-1])
    return ends


def stem_end(name):
    """Names the last layer of a backbone's stem."""
    return "Conv1_relu" if name in _MOBILENETS else "stem_activation"


def split_backbone(name, backbone, shared_stages):
    """Splits a backbone after its stem and `shared_stages` stages.

    Returns:
        `(lower, upper)`: `lower` maps the input to the split point; `upper`
        maps the split point's output to the last feature map, or is None
        when every stage is shared.
    """
    ends = stage_ends(name, backbone)
    if not 0 <= shared_stages <= len(ends):
        raise ValueError(
            f"shared_stages must be between 0 and {len(ends)} for {name}, "
            f"got {shared_stages}."
        )
    if shared_stages == len(ends):
        return backbone, None
    split = stem_end(name) if shared_stages == 0 else ends[shared_stages - 1]
    inner = inner_application(backbone)
    point = inner.get_layer(split).output
    lower = keras.Model(inner.input, point)
    upper = keras.Model(point, inner.output)
    if inner is not backbone:
        # MobileNetV2: keep the rescaling in front of the lower part.
        inputs = keras.Input(backbone.input.shape[1:], name="image")
        lower = keras.Model(inputs, lower(backbone.get_layer("scale")(inputs)))
    return lower, upper


def inner_application(backbone):
    """The Keras application inside a trunk (MobileNetV2 behind its
    rescaling layer), or the trunk itself (an EfficientNet)."""
    for layer in backbone.layers:
        if isinstance(layer, keras.Model):
            return layer
    return backbone


def leaf_layers(model):
    """Every layer of a model that is not itself a model, nested models
    opened, in order."""
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from leaf_layers(layer)
        else:
            yield layer
