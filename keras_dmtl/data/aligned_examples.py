"""Faces aligned the way `watch` and `predict` align faces in a scene.

A dataset's own crops (UTKFace's chips, say) are framed by its authors'
alignment; `keras-dmtl watch` and `predict` detect faces with MTCNN and
align them on five landmarks (`align_face`). A model trained on the first
framing answers worse on the second. `align_examples` re-frames a dataset
the second way before training, so that training and use see the same
faces.
"""

import hashlib
import os

from keras_dmtl.data.alignment import DETECT_SIDE
from keras_dmtl.data.alignment import FaceAligner
from keras_dmtl.data.alignment import decode_rgb
from keras_dmtl.data.face_examples import FaceExamples
from keras_dmtl.data.image_check import cache_dir
from keras_dmtl.data.image_check import read_image_file
from keras_dmtl.data.report import ReadReport
from keras_dmtl.progress import progress

NO_FACE = "no face found by the detector (MTCNN)"


def _save_png(image, path):
    from PIL import Image

    temporary = f"{path}.{os.getpid()}.tmp.png"
    Image.fromarray(image).save(temporary)
    os.replace(temporary, path)


def align_examples(examples, size, scale=0.8, min_confidence=0.9,
                   detect_side=DETECT_SIDE, aligner=None):
    """The examples' faces re-aligned on five landmarks, as files.

    Each image file goes through MTCNN and `align_face` exactly as `watch`
    and `predict` do; the largest face's crop is written once as a PNG in
    `$KERAS_DMTL_CACHE/aligned_faces/` (by content and settings), so a
    second run reads them back without the detector. Images where no face
    is found are skipped and counted in the report. The labels, subjects
    and content fingerprints follow their images.

    Args:
        examples: `FaceExamples` with image files (`paths`).
        size: int, side of the aligned crops (the model's image size).
        scale, min_confidence, detect_side: as in `FaceAligner`.
        aligner: a `FaceAligner` to use instead of a new one.

    Returns:
        `FaceExamples` whose `paths` are the aligned crops.

    Example:

    ```python
    faces = read_utkface("UTKFace/")
    aligned = align_examples(faces, size=96)
    print(aligned.summary())  # "... N skipped: no face found ..."
    ```
    """
    if examples.paths is None:
        raise ValueError(f"{examples.source}: align_examples takes image "
                         "files, not in-memory images")
    aligner = aligner or FaceAligner(size, scale, min_confidence,
                                     cache=False, detect_side=detect_side)
    folder = os.path.join(cache_dir(), "aligned_faces")
    os.makedirs(folder, exist_ok=True)
    settings = (f"{aligner.size}_{aligner.scale:g}_"
                f"{aligner.min_confidence:g}_{aligner.detect_side}")
    report = ReadReport(f"{examples.source} aligned")
    kept, paths = [], []
    for index, path in enumerate(progress(
            examples.paths, description=f"aligning {examples.source}",
            unit="face")):
        content = read_image_file(path)
        digest = hashlib.sha1(content).hexdigest()
        crop = os.path.join(folder, f"{digest}_{settings}.png")
        missing = f"{crop[:-4]}.none"
        if not os.path.isfile(crop) and not os.path.isfile(missing):
            faces = aligner.align(decode_rgb(content, path))
            if faces:
                _save_png(faces[0]["image"], crop)
            else:
                open(missing, "w").close()
        if os.path.isfile(crop):
            kept.append(index)
            paths.append(crop)
        else:
            report.skip(path, NO_FACE)
    report.kept = len(kept)
    report.note(f"faces aligned on five landmarks (MTCNN) to {aligner.size} "
                "px, as `watch` and `predict` align them")
    chosen = examples.subset(kept)
    return FaceExamples(
        examples.source, examples.tasks, chosen.labels, paths=paths,
        subjects=chosen.subjects, content_ids=chosen.content_ids,
        report=report)
