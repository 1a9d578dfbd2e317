import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared")
MOBILENET_WEIGHTS = os.path.join(
    SHARED, "weights", "mobilenet_v2_1.0_224_no_top_imagenet.weights.h5"
)


def free_port():
    """A TCP port free on 127.0.0.1 now (for a server a test starts)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def shared_path(*parts):
    """A path in ../shared, or skip the test with a message if it is absent."""
    path = os.path.join(SHARED, *parts)
    if not os.path.exists(path):
        pytest.skip(f"needs the shared data: {path} is absent")
    return path


# Keep the image-check and alignment caches of a test run out of ~/.cache.
os.environ.setdefault(
    "KERAS_DMTL_CACHE", os.path.join(REPO, ".pytest_cache", "keras_dmtl")
)


def run_once(tmp_path_factory, name, build):
    """Builds a session fixture once, even across pytest-xdist workers.

    The first worker to ask runs `build(folder)` under a file lock and
    stores its JSON-ready result; the others wait for it and reuse the
    folder and the result, so an expensive fixture (a trained model, a set
    of exports) is made once per test run.

    Args:
        tmp_path_factory: pytest's fixture.
        name: str, the folder name.
        build: callable taking the folder (str) and returning a JSON-ready
            value.
    """
    import fcntl
    import json

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by the workers of one run
    folder = root / name
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = root / f"{name}.json"  # beside the folder, not in it
        if done.exists():
            return json.loads(done.read_text())
        folder.mkdir(exist_ok=True)
        result = build(str(folder))
        done.write_text(json.dumps(result))
        return result


def lively(model, images):
    """Sets every batch norm's statistics to those `images` give.

    A tiny model that trained a step or two keeps batch norm's starting
    statistics, under which its trunk's features vanish and every face
    gets the same answer. One training call with momentum 0 makes its
    answers depend on the face, as a trained model's do.
    """
    import keras

    for layer in model._flatten_layers():
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = 0.0
    model(images, training=True)
    return model


def write_image(path, size=(24, 24), color=(200, 100, 50), mode="RGB"):
    """Writes a small real image file (format from the file name)."""
    from PIL import Image

    os.makedirs(os.path.dirname(str(path)), exist_ok=True)
    if mode == "CMYK":
        Image.new("CMYK", size, (0, 128, 255, 0)).save(path)
    elif mode == "L":
        Image.new("L", size, color[0]).save(path)
    else:
        Image.new(mode, size, color).save(path)
    return str(path)


def write_bad_files(folder, names):
    """Writes a zero-byte file, a truncated JPEG and a text file."""
    import io

    from PIL import Image

    os.makedirs(str(folder), exist_ok=True)
    empty, truncated, text = (os.path.join(str(folder), n) for n in names)
    open(empty, "wb").close()
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 20, 30)).save(buffer, "JPEG")
    with open(truncated, "wb") as file:
        file.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with open(text, "w") as file:
        file.write("not an image")
    return empty, truncated, text
