"""A model's network variables by where they sit: branch, layer, name."""

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
    name their variables alike. The loss weighting's variables are not
    part of the network and not listed.

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
        for leaf in layers:
            for part in _parts(leaf):
                for variable in part.weights:
                    key = (branch, part.name, variable.name)
                    if key in named:
                        raise ValueError(f"two variables named {key} in "
                                         f"model '{model.name}'")
                    named[key] = variable
    return named


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
