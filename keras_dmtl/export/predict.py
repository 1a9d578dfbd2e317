"""Face attributes from raw photos with any exported artifact."""

import os

from keras_dmtl.export.images import IMAGE_EXTENSIONS
from keras_dmtl.export.images import folder_files
from keras_dmtl.export.images import load_face
from keras_dmtl.export.runtimes import load_artifact
from keras_dmtl.progress import progress

MIN_IMAGE_SIZE = 16
"""Images smaller than this on their short side (pixels) hold no face."""
LISTED_OTHERS = 10
"""How many of a folder's non-image files the summary names."""


def predict_files(inputs, model, aligned=False, min_confidence=0.9,
                  num_threads=2):
    """Detects, aligns and describes every face in image files.

    Each photo goes through MTCNN detection and five-point alignment (as
    the training faces were prepared), then the artifact; `aligned=True`
    takes each image as one aligned face crop instead. Skipped and counted
    in the summary: the files of a folder that do not end in an image
    extension (`IMAGE_EXTENSIONS`), files that cannot be read as images,
    images smaller than `MIN_IMAGE_SIZE` (16) pixels on their short side
    (too small for a face crop, or to find a face in), and photos with no
    face.

    Args:
        inputs: list of image files and folders (searched recursively).
        model: an artifact path (`.keras`, SavedModel folder, `.tflite`,
            `.onnx`, engine) or a loaded `Runtime`.
        aligned: bool, skip detection and alignment.
        min_confidence: float, the detector's threshold.
        num_threads: int, CPU threads for TFLite and ONNX Runtime.

    Returns:
        `(records, summary)`: one dict per face, with `image`, `face` (its
        number in the photo, largest first), `box` ([x, y, width, height]),
        `confidence` and `attributes` (from task name to `task.answer`, the
        record `DMTLModel.predict_attributes` gives, the same from every
        artifact); and a summary: a line counting faces, images and
        skipped files, then one line per skipped file.

    Raises:
        FileNotFoundError: an input that does not exist.
        ValueError: no usable image among the inputs.
    """
    import numpy as np
    from PIL import Image

    from keras_dmtl.data.alignment import FaceAligner
    from keras_dmtl.data.image_check import check_image_files
    from keras_dmtl.data.report import ReadReport

    runtime = model if hasattr(model, "predict") else load_artifact(
        model, num_threads=num_threads)
    paths, others = input_files(inputs)
    if not paths:
        raise ValueError(f"no image files (ending in "
                         f"{', '.join(IMAGE_EXTENSIONS)}) in {inputs}"
                         + (f"; {len(others)} other file(s) skipped"
                            if others else ""))
    aligner = FaceAligner(size=runtime.image_size,
                          min_confidence=min_confidence)
    report = ReadReport("images")
    keep, _ = check_image_files(paths, report)
    unreadable = [f"{path}: {reason}" for path, reason in report.skipped]
    usable, too_small = [], []
    for path in (p for p, k in zip(paths, keep) if k):
        with Image.open(path) as original:
            size = original.size
        if min(size) < MIN_IMAGE_SIZE:
            too_small.append(f"{path}: {size[0]}x{size[1]} pixels, too small "
                             f"for a face (under {MIN_IMAGE_SIZE} on the "
                             "short side)")
        else:
            usable.append((path, size))
    if not usable:
        raise ValueError("no usable image: " + "; ".join(unreadable
                                                         + too_small))
    records, faceless = [], []
    for path, size in progress(usable, unit="image", description=(
            "Predicting" if aligned else "Finding and describing faces")):
        if aligned:
            faces = [{"image": load_face(path, runtime.image_size),
                      "box": [0, 0, *size], "confidence": None}]
        else:
            faces = aligner.align_file(path)
        if not faces:
            faceless.append(path)
            continue
        outputs = runtime.predict(np.stack([f["image"] for f in faces]))
        for index, face in enumerate(faces):
            records.append({
                "image": path,
                "face": index,
                "box": [int(v) for v in face["box"]],
                "confidence": face["confidence"],
                "attributes": runtime.describe(outputs, index),
            })
    summary = (f"{len(records)} face(s) in {len(usable)} image(s) with "
               f"{runtime.name}; {len(faceless)} image(s) without a face; "
               + skipped_text(len(others), len(unreadable), len(too_small)))
    listed = [f"{p}: not an image (no image extension)"
              for p in others[:LISTED_OTHERS]]
    if len(others) > LISTED_OTHERS:
        listed.append(f"... and {len(others) - LISTED_OTHERS} more file(s) "
                      "without an image extension")
    for line in (listed + unreadable + too_small
                 + [f"{p}: no face found" for p in faceless]):
        summary += f"\n  {line}"
    return records, summary


def input_files(inputs):
    """The files to read of a list of image files and folders.

    A file named in `inputs` is read whatever its name; a folder is searched
    recursively, and its files without an image extension are set aside.

    Returns:
        `(paths, others)`: the files to read, and those set aside.

    Raises:
        FileNotFoundError: naming an input that does not exist.
    """
    paths, others = [], []
    for item in inputs:
        if os.path.isdir(item):
            images, rest = folder_files(item)
            paths += images
            others += rest
        elif os.path.isfile(item):
            paths.append(item)
        else:
            raise FileNotFoundError(f"image not found: {item}")
    return paths, others


def skipped_text(not_images, unreadable, too_small):
    """The summary's count of skipped files, such as `3 file(s) skipped: 2
    not images, 1 unreadable`."""
    parts = [f"{count} {what}" for count, what in [
        (not_images, "not images"), (unreadable, "unreadable"),
        (too_small, "too small")] if count]
    total = not_images + unreadable + too_small
    return f"{total} file(s) skipped" + (f": {', '.join(parts)}"
                                          if parts else "")
