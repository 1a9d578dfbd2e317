import os

import keras
import numpy as np
import pytest

import keras_dmtl
from keras_dmtl.data import SyntheticFaces
from keras_dmtl.data import synthetic_tasks
from keras_dmtl.models import quantization_aware_model
from keras_dmtl.models.backbones import leaf_layers
from keras_dmtl.models.load_model import load_dmtl_model
from keras_dmtl.models.quantization_aware import INPUT_RANGE
from keras_dmtl.models.quantization_aware import FakeQuant
from keras_dmtl.models.quantization_aware import FoldedConvolution
from keras_dmtl.models.quantization_aware import WeightQuantizedHead
from keras_dmtl.models.quantization_aware import measured_points
from tests.layer_test_case import run_layer_test

SIZE = 32
BACKBONE = "mobilenet_v2_0.35"
NAMES = ("age", "gender", "race")


def test_fake_quant_layer(tmp_path):
    run_layer_test(FakeQuant, {"minimum": 0.0, "maximum": 6.0},
                   np.linspace(-1, 7, 24, dtype="float32").reshape(2, 12),
                   (2, 12), expected_num_trainable_weights=0,
                   tmp_path=tmp_path)


def test_fake_quant_rounds_to_the_int8_levels_of_its_range():
    values = np.array([[-1.0, 0.0, 0.01, 3.0, 5.99, 6.0, 9.0]], "float32")
    got = np.asarray(FakeQuant(0.0, 6.0)(values))
    step = 6.0 / 255
    expected = np.clip(np.floor(values / step + 0.5), 0, 255) * step
    np.testing.assert_allclose(got, expected, atol=1e-6)
    with pytest.raises(ValueError, match="minimum <= 0 <= maximum"):
        FakeQuant(1.0, 6.0)


def _convolution_configs(depthwise):
    conv = (keras.layers.DepthwiseConv2D(3, padding="same", use_bias=False)
            if depthwise else
            keras.layers.Conv2D(4, 3, padding="same", use_bias=False))
    return {"convolution": keras.saving.serialize_keras_object(conv),
            "batch_norm": keras.saving.serialize_keras_object(
                keras.layers.BatchNormalization()),
            "input_scale": 6.0 / 255}


@pytest.mark.parametrize("depthwise", [False, True])
def test_folded_convolution_layer(tmp_path, depthwise):
    images = np.random.default_rng(0).uniform(0, 6, (2, 8, 8, 4))
    run_layer_test(FoldedConvolution, _convolution_configs(depthwise),
                   images.astype("float32"), (2, 8, 8, 4),
                   expected_num_trainable_weights=3, tmp_path=tmp_path)


@pytest.mark.parametrize("depthwise", [False, True])
def test_folded_convolution_is_the_convolution_and_its_norm(depthwise):
    rng = np.random.default_rng(1)
    images = rng.uniform(0, 6, (3, 8, 8, 4)).astype("float32")
    conv = (keras.layers.DepthwiseConv2D(3, padding="same", use_bias=False)
            if depthwise else
            keras.layers.Conv2D(4, 3, padding="same", use_bias=False))
    norm = keras.layers.BatchNormalization()
    norm(conv(images), training=False)  # builds both
    norm.moving_mean.assign(rng.normal(0, 1, 4))
    norm.moving_variance.assign(rng.uniform(0.5, 2, 4))
    norm.gamma.assign(rng.uniform(0.5, 1.5, 4))
    norm.beta.assign(rng.normal(0, 1, 4))
    expected = np.asarray(norm(conv(images), training=False))
    folded = FoldedConvolution(conv, norm, input_scale=6.0 / 255)
    got = np.asarray(folded(images))
    # 8-bit weights per channel: within a few hundredths of the output's
    # spread, never equal.
    error = np.abs(got - expected).max() / np.abs(expected).max()
    assert 0 < error < 0.03
    # Each channel's weights on its own 255 levels, the bias on the grid
    # of input scale times weight scale.
    kernel, bias, weight_scale = (np.asarray(v) for v in folded.folded())
    levels = kernel.reshape(-1, 4) / weight_scale  # channels last
    np.testing.assert_allclose(levels, np.round(levels), atol=1e-3)
    assert np.abs(levels).max() <= 127.001
    units = bias / (6.0 / 255 * weight_scale)
    np.testing.assert_allclose(units, np.round(units), atol=1e-2)


def test_weight_quantized_head(tmp_path):
    config = {"head": keras.saving.serialize_keras_object(
        keras_dmtl.layers.OrdinalHead(num_ranks=5))}
    run_layer_test(WeightQuantizedHead, config,
                   np.random.default_rng(2).uniform(0, 6, (3, 16)),
                   (3, 4), expected_num_trainable_weights=2,
                   tmp_path=tmp_path)
    with pytest.raises(ValueError, match="need linear heads with a bias"):
        WeightQuantizedHead(keras.layers.Dense(3, activation="relu"))


def _trained_like(model, seed=3):
    """Gives the batch normalisations statistics unlike a fresh model's."""
    rng = np.random.default_rng(seed)
    for layer in model.get_layer("trunk")._flatten_layers():
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.moving_mean.shape[0]
            layer.moving_mean.assign(rng.normal(0, 0.2, n))
            layer.moving_variance.assign(rng.uniform(0.5, 1.5, n))
    return model


@pytest.fixture(scope="module")
def models():
    # Seeded: the weights do not depend on which tests ran before in the
    # same process (pytest-xdist hands each worker its own share).
    keras.utils.set_random_seed(4)
    faces = SyntheticFaces(48, SIZE, seed=4)
    model = _trained_like(keras_dmtl.DMTLModel(
        synthetic_tasks(NAMES), backbone=BACKBONE, image_size=SIZE))
    aware = quantization_aware_model(model, faces.images[:32])
    return model, aware, faces.images[32:].astype("float32")


def test_the_copy_keeps_the_tasks_weights_and_answers_roughly(models):
    model, aware, images = models
    assert aware.int8_ranges is not None and model.int8_ranges is None
    # A float model's config is as older releases wrote it.
    assert "int8_ranges" not in model.get_config()
    assert aware.get_config()["int8_ranges"] == aware.int8_ranges
    assert set(aware.int8_ranges) == set(
        measured_points(model.get_layer("trunk")))
    assert [t.name for t in aware.tasks] == list(NAMES)
    # Layer by layer, by name: each folded convolution holds the float
    # model's convolution and normalisation of the same names.
    assert len(aware.weights) == len(model.weights)
    folded = [layer for layer in leaf_layers(aware)
              if isinstance(layer, FoldedConvolution)]
    assert len(folded) == 52
    for layer in folded:
        for part in (layer.convolution, layer.batch_norm):
            for mine, theirs in zip(part.weights,
                                    _float_layer(model, part.name).weights):
                np.testing.assert_array_equal(np.asarray(mine),
                                              np.asarray(theirs))
    for name in NAMES:
        np.testing.assert_array_equal(
            np.asarray(aware.get_layer(f"{name}_head").head.kernel),
            np.asarray(model.get_layer(f"{name}_head").kernel))
    float_out = model.predict(images, verbose=0)
    aware_out = aware.predict(images, verbose=0)
    for name in NAMES:  # rounded, not another model
        difference = np.abs(float_out[name] - aware_out[name])
        assert 0 < difference.max()
        assert difference.mean() < 0.1 * (np.abs(float_out[name]).mean()
                                          + 1e-3) + 0.05


def _float_layer(model, name):  # the leaf layer of that name
    matches = [layer for layer in leaf_layers(model) if layer.name == name]
    assert len(matches) == 1, name
    return matches[0]


def test_the_copy_fine_tunes_with_frozen_statistics(models):
    model, _, images = models
    faces = SyntheticFaces(16, SIZE, seed=8)
    aware = quantization_aware_model(model, images)
    aware.compile(optimizer=keras.optimizers.Adam(1e-2), run_eagerly=True)
    layer = _float_layer(aware, "block_3_project_folded")
    watched = {"kernel": layer.convolution.kernel,
               "gamma": layer.batch_norm.gamma,
               "beta": layer.batch_norm.beta,
               "moving_mean": layer.batch_norm.moving_mean,
               "moving_variance": layer.batch_norm.moving_variance}
    before = {k: np.asarray(v).copy() for k, v in watched.items()}
    aware.fit(faces.images, {n: faces.labels[n] for n in NAMES},
              batch_size=16, epochs=1, verbose=0)
    for name in ("kernel", "gamma", "beta"):
        assert not np.allclose(np.asarray(watched[name]), before[name]), name
    for name in ("moving_mean", "moving_variance"):  # frozen
        np.testing.assert_array_equal(np.asarray(watched[name]),
                                      before[name])


def test_the_copy_saves_and_loads_as_itself(models, tmp_path):
    _, aware, images = models
    path = tmp_path / "aware.keras"
    aware.save(path)
    loaded = load_dmtl_model(str(path))
    assert loaded.int8_ranges == aware.int8_ranges
    expected = aware.predict(images, verbose=0)
    got = loaded.predict(images, verbose=0)
    for name in NAMES:
        np.testing.assert_allclose(got[name], expected[name], atol=1e-5)


def test_the_int8_tflite_file_computes_what_the_keras_model_computes(
        models, tmp_path):
    from keras_dmtl.export import load_artifact
    from keras_dmtl.export import write_conversion_folder
    from keras_dmtl.export import write_tflite
    from keras_dmtl.export.runtimes import KerasRuntime

    model, aware, images = models
    results = {}
    for name, source in (("float", model), ("aware", aware)):
        folder = str(tmp_path / name)
        saved = write_conversion_folder(source, folder)
        path = write_tflite(saved, os.path.join(folder, "model.tflite"),
                            "int8", images,
                            quantization_aware=name == "aware")
        reference = KerasRuntime(None, model=source).predict(images)
        outputs = load_artifact(path, num_threads=1).predict(images)
        results[name] = max(
            np.abs(np.asarray(outputs[f"{t}_probabilities"])
                   - np.asarray(reference[f"{t}_probabilities"])).max()
            for t in NAMES)
    # The quantization-aware file follows its model far more closely than
    # post-training int8 follows the float model.
    assert results["aware"] < 0.25 * results["float"], results


def test_what_cannot_be_rewritten_is_refused(models):
    model, aware, images = models
    with pytest.raises(ValueError, match="quantization-aware already"):
        quantization_aware_model(aware, images)
    split = keras_dmtl.DMTLModel(synthetic_tasks(NAMES), backbone=BACKBONE,
                                 image_size=SIZE, shared_stages=6)
    assert split.int8_ranges is None
    with pytest.raises(ValueError, match="share every stage"):
        quantization_aware_model(split, images)
    other = keras_dmtl.DMTLModel(synthetic_tasks(("gender",)),
                                 backbone="efficientnet_b0", image_size=SIZE)
    with pytest.raises(ValueError, match="need a MobileNetV2 backbone"):
        quantization_aware_model(other, images)
    affect = keras_dmtl.DMTLModel(synthetic_tasks(("gender", "affect")),
                                  backbone=BACKBONE, image_size=SIZE)
    with pytest.raises(ValueError, match="regression heads are not"):
        quantization_aware_model(affect, images)


def test_the_input_range_puts_no_pixel_half_way_between_levels():
    def nearest_tie(low, high):  # in steps, over the 256 pixel values
        step = (high - low) / 255
        low = -np.round(-low / step) * step  # nudged: zero is a level
        pixels = np.arange(256) / 127.5 - 1
        fractions = (pixels - low) / step % 1
        return np.abs(fractions - 0.5).min()

    assert nearest_tie(*INPUT_RANGE) > 1e-3  # float32 errs far less
    assert nearest_tie(-1.0, 1.0) < 1e-9  # every pixel a tie


def test_export_writes_an_int8_file_from_the_models_ranges(models,
                                                          tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    from keras_dmtl.export import export_model

    _, aware, _ = models
    result = export_model(aware, "tflite", str(tmp_path / "export"),
                          precision="int8")  # no calibration faces needed
    path, report = next(iter(result.reports.items()))
    assert report["passed"]
    interpreter = Interpreter(model_path=path)
    tensors = {d["index"]: d for d in interpreter.get_tensor_details()}
    convolutions = [op for op in interpreter._get_ops_details()
                    if op["op_name"] in ("CONV_2D", "DEPTHWISE_CONV_2D")]
    assert len(convolutions) == 52  # MobileNetV2's, every one int8
    assert all(tensors[op["inputs"][0]]["dtype"].__name__ == "int8"
               for op in convolutions)
