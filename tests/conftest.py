import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared")
MOBILENET_WEIGHTS = os.path.join(
    SHARED, "weights", "mobilenet_v2_1.0_224_no_top_imagenet.weights.h5"
)


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
