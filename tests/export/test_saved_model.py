import json
import os
import subprocess
import sys

import numpy as np

from keras_dmtl.export import load_artifact

LOAD_WITHOUT_KERAS_DMTL = """
import io, json, sys
sys.modules["keras_dmtl"] = None  # any import of keras_dmtl now fails
import numpy as np
import tensorflow as tf
loaded = tf.saved_model.load(sys.argv[1])
images = np.load(sys.argv[2])
with open(sys.argv[3], "rb") as file:
    png = file.read()
floats = loaded.signatures["serving_default"](image=tf.constant(images))
encoded = loaded.signatures["serving_bytes"](image_bytes=tf.constant([png]))
print(json.dumps({
    "floats": {k: v.numpy().tolist() for k, v in floats.items()},
    "bytes": {k: v.numpy().tolist() for k, v in encoded.items()},
}))
"""


def test_loads_and_serves_without_keras_dmtl(exports, model_file, face_folder,
                                            tmp_path):
    from PIL import Image

    out, _ = exports
    saved_model = os.path.join(out, "saved_model")
    keras_model = load_artifact(model_file)
    first = sorted(os.listdir(face_folder))[0]
    image = np.asarray(Image.open(os.path.join(face_folder, first)).resize(
        (32, 32), Image.Resampling.BILINEAR), "float32")
    np.save(tmp_path / "images.npy", image[None])
    Image.fromarray(image.astype("uint8")).save(tmp_path / "face.png")
    script = tmp_path / "load.py"
    script.write_text(LOAD_WITHOUT_KERAS_DMTL)
    done = subprocess.run(
        [sys.executable, str(script), saved_model, str(tmp_path / "images.npy"),
         str(tmp_path / "face.png")], capture_output=True, text=True,
        cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    served = json.loads(done.stdout.strip().splitlines()[-1])
    expected = keras_model.predict(image[None])
    assert sorted(served["floats"]) == sorted(keras_model.info["outputs"])
    for name, value in expected.items():
        np.testing.assert_allclose(served["floats"][name], value, atol=1e-4)
        # The PNG of the same pixels, decoded in the graph, gives the same.
        np.testing.assert_allclose(served["bytes"][name], value, atol=1e-4)


def test_saved_model_cli_lists_both_signatures(exports):
    out, _ = exports
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    done = subprocess.run(
        [cli, "show", "--dir", os.path.join(out, "saved_model"), "--all"],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    for text in ["signature_def['serving_default']",
                 "signature_def['serving_bytes']", "inputs['image']",
                 "inputs['image_bytes']", "outputs['age']",
                 "outputs['age_probabilities']", "outputs['race']"]:
        assert text in done.stdout
    assert "shape: (-1, 32, 32, 3)" in done.stdout


def test_model_info_travels_inside_the_saved_model(exports):
    out, _ = exports
    path = os.path.join(out, "saved_model", "assets.extra", "model_info.json")
    with open(path) as file:
        info = json.load(file)
    assert info["image_size"] == 32
    assert [t["name"] for t in info["tasks"]] == ["age", "age_group",
                                                  "gender", "race"]
