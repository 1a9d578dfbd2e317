"""`keras-dmtl quantize`: a quantization-aware copy, a new file."""

import numpy as np
import pytest

import keras_dmtl
from keras_dmtl.cli import main
from keras_dmtl.data import SyntheticFaces
from keras_dmtl.data import synthetic_tasks
from keras_dmtl.models.load_model import load_dmtl_model


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from PIL import Image

    folder = tmp_path_factory.mktemp("quantize")
    faces = SyntheticFaces(24, 32, seed=6)
    (folder / "faces").mkdir()
    for i, image in enumerate(faces.images):
        Image.fromarray(image).save(folder / "faces" / f"{i}.png")
    model = keras_dmtl.DMTLModel(synthetic_tasks(("age", "gender")),
                                 backbone="mobilenet_v2_0.35", image_size=32)
    model.save(str(folder / "model.keras"))
    return folder


def test_quantize_writes_a_quantization_aware_copy(trained, capsys):
    out = trained / "aware.keras"
    before = (trained / "model.keras").read_bytes()
    main(["quantize", str(trained / "model.keras"), "--data",
          str(trained / "faces"), "--images", "16", "--out", str(out)])
    assert "int8 ranges measured on 16 images" in capsys.readouterr().out
    aware = load_dmtl_model(str(out))
    model = load_dmtl_model(str(trained / "model.keras"))
    assert model.int8_ranges is None and aware.int8_ranges
    for mine, theirs in zip(aware.weights, model.weights):
        np.testing.assert_array_equal(np.asarray(mine), np.asarray(theirs))
    assert (trained / "model.keras").read_bytes() == before


@pytest.mark.parametrize("arguments, message", [
    (["--out", "{folder}/model.keras"], "exists; quantize writes a new"),
    (["--out", "{folder}/aware.h5"], "must end in .keras"),
    (["--out", "{folder}/nowhere/aware.keras"], "no folder"),
    (["--images", "0", "--out", "{folder}/x.keras"], "--images 0: at least 1"),
    (["--out", "{folder}/x.keras"], "no test_set.csv beside it; give --data"),
    (["--batch-size", "0", "--out", "{folder}/x.keras"], "--batch-size 0"),
])
def test_quantize_refuses_in_one_line(trained, arguments, message):
    arguments = [a.format(folder=trained) for a in arguments]
    with pytest.raises(SystemExit) as stop:
        main(["quantize", str(trained / "model.keras"), *arguments])
    error = str(stop.value.code)  # sys.exit(message): exit status 1
    assert error.startswith("keras-dmtl quantize: ")
    assert message in error and "\n" not in error
    assert not (trained / "x.keras").exists()


def test_a_model_it_cannot_copy_is_named_before_any_face_is_read(tmp_path):
    model = keras_dmtl.DMTLModel(synthetic_tasks(("gender", "affect")),
                                 backbone="mobilenet_v2_0.35", image_size=32)
    model.save(str(tmp_path / "affect.keras"))
    with pytest.raises(SystemExit) as stop:
        main(["quantize", str(tmp_path / "affect.keras"), "--data",
              str(tmp_path / "no_such_folder"), "--out",
              str(tmp_path / "x.keras")])
    assert str(stop.value.code) == (
        f"keras-dmtl quantize: {tmp_path / 'affect.keras'}: task 'affect': "
        "quantization-aware models need linear heads with a bias (x @ "
        "kernel + bias); regression heads are not supported")
