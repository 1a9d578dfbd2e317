"""One check of a custom layer, after keras-hub's `run_layer_test`."""

import os

import keras
import numpy as np


def run_layer_test(
    layer_cls,
    init_kwargs,
    input_data,
    expected_output_shape,
    expected_num_trainable_weights=None,
    tmp_path=None,
):
    """Checks config round trip, output shape, save/load and a train step.

    Args:
        layer_cls: the layer class.
        init_kwargs: dict of constructor arguments.
        input_data: a numpy batch to call the layer on.
        expected_output_shape: the expected output shape for `input_data`.
        expected_num_trainable_weights: optional expected count.
        tmp_path: a folder for the saved model.
    """
    # Config round trip.
    layer = layer_cls(**init_kwargs)
    config = layer.get_config()
    restored = layer_cls.from_config(config)
    assert restored.get_config() == config

    # Output shape, eager and symbolic.
    output = layer(input_data)
    assert tuple(output.shape) == tuple(expected_output_shape)
    symbolic = layer.compute_output_shape(input_data.shape)
    assert tuple(symbolic[1:]) == tuple(expected_output_shape[1:])
    if expected_num_trainable_weights is not None:
        assert len(layer.trainable_weights) == expected_num_trainable_weights

    # Saving and loading, with no custom_objects and safe_mode on.
    inputs = keras.Input(input_data.shape[1:])
    model = keras.Model(inputs, layer_cls(**init_kwargs)(inputs))
    expected = model.predict(input_data, verbose=0)
    path = os.path.join(str(tmp_path), f"{layer_cls.__name__}.keras")
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    np.testing.assert_allclose(
        loaded.predict(input_data, verbose=0), expected, rtol=1e-6, atol=1e-6
    )

    # One training step changes every trainable weight.
    before = [np.array(w) for w in model.trainable_weights]
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    target = np.asarray(expected) + 1.0
    model.fit(input_data, target, epochs=1, batch_size=len(input_data),
              verbose=0)
    for old, new in zip(before, model.trainable_weights):
        assert not np.allclose(old, np.array(new)), new.path
