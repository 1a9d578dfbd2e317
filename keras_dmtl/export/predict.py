"""Face attributes from raw photos with any exported artifact."""

import os

from keras_dmtl.export.images import IMAGE_EXTENSIONS
from keras_dmtl.export.images import image_files
from keras_dmtl.export.images import load_face
from keras_dmtl.export.runtimes import load_artifact


def predict_files(inputs, model, aligned=False, min_confidence=0.9,
                  num_threads=2):
    """Detects, aligns and describes every face in image files.

    Each photo goes through MTCNN detection and five-point alignment (as
    the training faces were prepared), then the artifact; `aligned=True`
    takes each image as one aligned face crop instead. Files that cannot be
    read are skipped and counted, as are photos with no face.

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
        artifact); and a line counting photos, faces and skipped files.
    """
    import numpy as np
    from PIL import Image

    from keras_dmtl.data.alignment import FaceAligner
    from keras_dmtl.data.image_check import check_image_files
    from keras_dmtl.data.report import ReadReport

    runtime = model if hasattr(model, "predict") else load_artifact(
        model, num_threads=num_threads)
    paths = []
    for item in inputs:
        if os.path.isdir(item):
            paths += image_files(item)
        elif os.path.isfile(item):
            paths.append(item)
        else:
            raise FileNotFoundError(f"image not found: {item}")
    if not paths:
        raise ValueError(f"no image files (ending in "
                         f"{', '.join(IMAGE_EXTENSIONS)}) in {inputs}")
    aligner = FaceAligner(size=runtime.image_size,
                          min_confidence=min_confidence)
    report = ReadReport("images")
    keep, _ = check_image_files(paths, report)
    unreadable = [f"{path}: {reason}" for path, reason in report.skipped]
    records, faceless = [], []
    for path in (p for p, k in zip(paths, keep) if k):
        if aligned:
            with Image.open(path) as original:
                size = original.size
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
    summary = (f"{len(records)} face(s) in {len(paths) - len(unreadable)} "
               f"image(s) with {runtime.name}; {len(faceless)} image(s) "
               f"without a face; {len(unreadable)} unreadable file(s) skipped")
    for line in unreadable + [f"{p}: no face found" for p in faceless]:
        summary += f"\n  {line}"
    if len(unreadable) == len(paths):
        raise ValueError("no readable image: " + "; ".join(unreadable))
    return records, summary
