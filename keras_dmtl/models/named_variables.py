"""A model's network variables by where they sit: branch, layer, name."""

import re

import keras

from keras_dmtl.models.backbones import leaf_layers


def named_variables(model):
    """`{(branch, layer name, variable name): variable}` of a `DMTLModel`.

    `branch` is the task group whose copy of the upper stages holds the
    layer (the `<group>_stages` sub-model; `"age"`, `"nominal"`, ...), or
    None for the shared trunk, the heads and everything outside a branch.
    The copies of the upper stages repeat the backbone's layer names, so
    the branch tells them apart. The wrappers of a quantization-aware
    model (`FoldedConvolution`, `WeightQuantizedHead`) are opened to the
    layers they hold, so a float model and its quantization-aware copy
    name their variables alike. A layer Keras named by itself (the
    `Normalization` of an EfficientNet stem) is named by its class and its
    place, since its numbered name depends on what the process built
    before. The loss weighting's variables are not part of the network and
    not listed, nor is a compound head's.

    Args:
        model: a `DMTLModel`.

    Returns:
        A dict in the order of the model's layers.

    Example:

    ```python
    named = named_variables(model)
    named[("nominal", "block_16_project", "kernel")]  # a branch's copy
    ```
    """
    stage_models = {f"{group}_stages"
                    for group in set(model.task_branches.values())}
    named = {}
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            branch = (layer.name[:-len("_stages")]
                      if layer.name in stage_models else None)
            layers = leaf_layers(layer)
        else:
            branch, layers = None, [layer]
        unnamed = {}  # per branch, as each branch's copy counts afresh
        for leaf in layers:
            for part in _parts(leaf):
                name = _stable_name(part, unnamed)
                for variable in part.weights:
                    key = (branch, name, variable.name)
                    if key in named:
                        raise ValueError(f"two variables named {key} in "
                                         f"model '{model.name}'")
                    named[key] = variable
    return named


def _stable_name(layer, unnamed):
    """The layer's name, or for a layer Keras named itself (`normalization`,
    `normalization_3`: the number counts the layers of that class made in
    the process so far, so it differs between a model and its reload) the
    class's name and its place among such layers: `normalization#0`."""
    base = _snake_case(type(layer).__name__)
    if re.fullmatch(re.escape(base) + r"(_\d+)?", layer.name):
        count = unnamed.get(base, 0)
        unnamed[base] = count + 1
        return f"{base}#{count}"
    return layer.name


def _snake_case(name):
    """A class name as Keras turns it into a layer's default name."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _parts(layer):
    """The layers holding a layer's variables: a quantization-aware
    wrapper's wrapped layers, or the layer itself."""
    from keras_dmtl.models.quantization_aware import FoldedConvolution
    from keras_dmtl.models.quantization_aware import WeightQuantizedHead

    if isinstance(layer, FoldedConvolution):
        return [layer.convolution, layer.batch_norm]
    if isinstance(layer, WeightQuantizedHead):
        return [layer.head]
    return [layer]
