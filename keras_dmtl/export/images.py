"""Face images for calibrating and checking an exported artifact."""

import os

import numpy as np

from keras_dmtl.data.image_check import check_image_files
from keras_dmtl.data.report import ReadReport
from keras_dmtl.progress import progress

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif")


def image_files(source):
    """The image files of a folder (searched recursively) or a CSV table.

    A CSV table needs an `image` column (such as a run's `test_set.csv`);
    relative paths start at the table's folder.
    """
    if os.path.isdir(source):
        return folder_files(source)[0]
    if os.path.isfile(source) and source.lower().endswith(".csv"):
        import pandas as pd

        frame = pd.read_csv(source, dtype=str, keep_default_na=False)
        if "image" not in frame.columns:
            raise ValueError(f"{source}: no 'image' column (it has "
                             f"{list(frame.columns)})")
        root = os.path.dirname(os.path.abspath(source))
        return [p if os.path.isabs(p) else os.path.join(root, p)
                for p in frame["image"] if p]
    if not os.path.exists(source):
        raise FileNotFoundError(f"image source not found: {source}")
    raise ValueError(f"{source}: give a folder of face images or a CSV table "
                     "with an 'image' column")


def folder_files(folder):
    """The files of a folder (searched recursively), images and others.

    Returns:
        `(images, others)`: sorted lists of paths, the files ending in one
        of `IMAGE_EXTENSIONS` and the rest.
    """
    images, others = [], []
    for root, folders, files in os.walk(folder):
        folders.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            (images if name.lower().endswith(IMAGE_EXTENSIONS)
             else others).append(path)
    return images, others


def load_face(path, image_size):
    """Reads an image file as a float32 `(size, size, 3)` RGB array."""
    from PIL import Image

    from keras_dmtl.data.alignment import load_rgb

    image = Image.fromarray(load_rgb(path))
    if image.size != (image_size, image_size):
        image = image.resize((image_size, image_size),
                             Image.Resampling.BILINEAR)
    return np.asarray(image, "float32")


def sample_images(source, image_size, count, offset=0, seed=0):
    """A reproducible sample of face images, as a float32 batch.

    The files are shuffled with `seed` and `count` of them taken from
    position `offset`, so two calls with offsets 0 and `count` give
    disjoint samples (calibration and parity images) when there are enough
    files, and overlapping ones when there are not. Unreadable files are
    skipped and counted.

    Args:
        source: a folder of aligned face images (searched recursively), a
            CSV table with an `image` column, or None for built-in
            synthetic faces.
        image_size: int, side the images are resized to.
        count: int, how many images.
        offset: int, where in the shuffled order to start.
        seed: int, the shuffle's seed.

    Returns:
        `(images, description)`: a float32 array `(n, size, size, 3)` of RGB
        in 0..255, and a line saying where they came from.

    Raises:
        ValueError: naming the source when it holds no usable image.
    """
    if source is None:
        from keras_dmtl.data.synthetic_faces import SyntheticFaces

        faces = SyntheticFaces(offset + count, image_size, seed=seed)
        images = faces.images[offset:offset + count].astype("float32")
        return images, f"{len(images)} built-in synthetic faces"
    paths = image_files(source)
    report = ReadReport(str(source))
    keep, _ = check_image_files(paths, report)
    usable = [p for p, k in zip(paths, keep) if k]
    if not usable:
        found = f"{len(paths)} image file(s), all unreadable" if paths else (
            f"no file ending in {', '.join(IMAGE_EXTENSIONS)}")
        raise ValueError(f"{source}: no usable image ({found})")
    order = np.random.RandomState(seed).permutation(len(usable))
    picks = [usable[order[(offset + i) % len(usable)]]
             for i in range(min(count, len(usable)))]
    images = np.stack([load_face(p, image_size) for p in progress(
        picks, description="Loading faces", unit="image")])
    skipped = f", {len(report.skipped)} unreadable skipped" if (
        report.skipped) else ""
    return images, f"{len(images)} images from {source}{skipped}"
