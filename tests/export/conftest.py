import os

import numpy as np
import pytest

from tests.conftest import run_once

IMAGE_SIZE = 32
CHECK_IMAGES = 48
EXPORTS = [("savedmodel", "fp32"), ("tflite", "fp32"), ("tflite", "fp16"),
           ("tflite", "dynamic_int8"), ("tflite", "int8"),
           ("tflite", "int8_mixed"), ("tflite", "int16x8"),
           ("tensorrt", "int8")]


def small_model(backbone="mobilenet_v2_0.35", image_size=IMAGE_SIZE):
    """A small DMTL model whose ordinal heads look trained.

    A trained ordinal head's thresholds step from "surely above" to "surely
    not above"; random ones all sit near 0.5, where any rounding flips
    them. Spreading the biases gives the heads the trained shape, so the
    parity checks see what they would see on a real model.
    """
    import keras_dmtl

    tasks = [
        keras_dmtl.OrdinalTask("age", ranks=range(0, 117)),
        keras_dmtl.OrdinalTask("age_group", cut_points=[3, 10, 20, 30, 40,
                                                        50, 60, 70]),
        keras_dmtl.NominalTask("gender", ["male", "female"]),
        keras_dmtl.NominalTask("race", ["white", "black", "asian", "indian",
                                        "others"]),
    ]
    model = keras_dmtl.DMTLModel(tasks, backbone=backbone,
                                 image_size=image_size)
    for name in ("age", "age_group"):
        head = model.get_layer(f"{name}_head")
        head.bias.assign(np.linspace(4.0, -4.0, head.bias.shape[0]))
    return model


@pytest.fixture(scope="session")
def model_file(tmp_path_factory):
    """A small model trained briefly, so that its answers are not ties.

    An untrained head gives every class the same probability; any rounding
    then flips the answer, which says nothing about the export. Made once
    per test run (`run_once`).
    """
    def build(folder):
        import keras

        from keras_dmtl.data import SyntheticFaces

        keras.utils.set_random_seed(0)
        model = small_model()
        faces = SyntheticFaces(512, IMAGE_SIZE, seed=1)
        labels = {name: faces.labels[source] for name, source in [
            ("age", "age"), ("age_group", "age"), ("gender", "gender"),
            ("race", "race")]}
        # Eager steps: tracing the training graph of a tiny model takes
        # longer than its three epochs.
        model.compile(optimizer=keras.optimizers.Adam(3e-3),
                      run_eagerly=True)
        model.fit(faces.images, labels, epochs=3, batch_size=64, verbose=0)
        path = os.path.join(folder, "model.keras")
        model.save(path)
        return path

    return run_once(tmp_path_factory, "model", build)


@pytest.fixture(scope="session")
def face_folder(tmp_path_factory):
    """Aligned-face-like images on disk, for parity and calibration."""
    def build(folder):
        from PIL import Image

        from keras_dmtl.data import SyntheticFaces

        faces = SyntheticFaces(2 * CHECK_IMAGES, 48, seed=3)
        for index, image in enumerate(faces.images):
            Image.fromarray(np.asarray(image, "uint8")).save(
                os.path.join(folder, f"face_{index:03d}.png"))
        return folder

    return run_once(tmp_path_factory, "faces", build)


@pytest.fixture(scope="session")
def exports(model_file, face_folder, tmp_path_factory):
    """Every format and precision, exported once into one folder.

    The TensorRT export writes and checks `model.onnx`; the `onnx` format
    itself is exported by `test_export_cli.py`.

    int8 runs with no parity bar here: the small model's age head, trained
    for seconds, leaves dozens of its 116 thresholds within rounding of
    0.5, so an int8 rounding moves the age by years. The tests check its
    other tasks against the int8 bar; `test_parity.py` and the failing-bar
    test check the bar itself.
    """
    from keras_dmtl.export import export_model
    from keras_dmtl.export.export_model import ExportResult
    from keras_dmtl.export.saved_model import write_conversion_folder
    from keras_dmtl.models.load_model import load_dmtl_model

    def build(folder):
        out = os.path.join(folder, "artifacts")
        # One SavedModel to convert every precision from, as the bundles do.
        saved_model = write_conversion_folder(load_dmtl_model(model_file),
                                              os.path.join(folder, "convert"))
        results = {}
        for export_format, precision in EXPORTS:
            result = export_model(
                model_file, export_format, out, precision, data=face_folder,
                parity_images=CHECK_IMAGES, calibration_images=CHECK_IMAGES,
                min_agreement=0.0 if "int" in precision else None,
                saved_model=(None if export_format == "savedmodel"
                             else saved_model))
            results[f"{export_format}/{precision}"] = result._asdict()
        return {"out": out, "results": results}

    made = run_once(tmp_path_factory, "exports", build)
    results = {tuple(key.split("/")): ExportResult(**value)
               for key, value in made["results"].items()}
    return made["out"], results
