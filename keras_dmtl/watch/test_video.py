"""A test video with ground truth: real faces walking through a room.

`make_test_video` pastes real face photographs (UTKFace crops, and
optionally one photograph) onto a synthetic room and moves them in and out
of view, so `keras-dmtl watch` can be checked end to end against known
people, boxes and labels. The room, the paths and the layout live in
`test_video_scene.py`, the ground truth in `test_video_truth.py`; this
file draws the people and writes the video.
"""

import collections
import os
import random
import re

import cv2
import numpy as np
from PIL import Image

from keras_dmtl.atomic_files import atomic_path
from keras_dmtl.watch.test_video_scene import draw_room
from keras_dmtl.watch.test_video_scene import plan_people
from keras_dmtl.watch.test_video_scene import soft_mask
from keras_dmtl.watch.test_video_truth import TRUTH_CSV
from keras_dmtl.watch.test_video_truth import TRUTH_JSON
from keras_dmtl.watch.test_video_truth import VIDEO
from keras_dmtl.watch.test_video_truth import TestVideoTruth

# [age]_[gender]_[race]_[date].jpg(.chip.jpg), with the release's quirks (a
# space before ".jpg", a missing dot). Kept here rather than taken from
# `keras_dmtl.data.utkface`, whose module pulls in the task kinds.
_UTKFACE_NAME = re.compile(
    r"^(\d+)_([01])_([0-4])_\d+\s*\.?jpg(\.chip\.jpg)?$", re.IGNORECASE)

UTKFACE_FACE_BOX = (0.07, 0.0, 0.82, 0.98)
"""The face in a UTKFace chip, as fractions (x, y, w, h) of the chip: the
box MTCNN reports (median over 40 chips), clipped to the chip."""

ASTRONAUT_FACE_BOX = (182 / 512, 64 / 512, 83 / 512, 107 / 512)
"""The face in ../shared/photos/astronaut.png (512x512), as fractions
(x, y, w, h) of the photo: found by inspection and confirmed by MTCNN,
which boxes it at (182, 64, 83, 107) px."""

def utkface_labels(path):
    """`(age, gender, race)` from a UTKFace file name, or Nones."""
    match = _UTKFACE_NAME.match(os.path.basename(str(path)))
    if match is None or int(match[1]) > 116:
        return None, None, None
    return int(match[1]), int(match[2]), int(match[3])


def choose_faces(utkface_folder, count, seed=0):
    """Draws `count` readable UTKFace files spread over age, gender and race.

    Files are grouped by gender, race and age band (<10, 10-19, 20-39,
    40-59, 60+); each draw takes a random file from the group whose gender,
    race and band were drawn least so far (ties broken at random). Files
    that cannot be read are skipped.

    Args:
        utkface_folder: str, a folder of UTKFace crops.
        count: int, how many files to return.
        seed: int, the random seed.

    Returns:
        A list of `count` file paths.

    Example:

    ```python
    faces = choose_faces("../shared/data/utkface", 8, seed=0)
    make_test_video("runs/test_video", faces, seconds=20)
    ```
    """
    if not os.path.isdir(str(utkface_folder)):
        raise ValueError(f"utkface_folder {utkface_folder!r} is not a folder")
    if not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a positive int, got {count!r}")
    groups = {}
    for name in sorted(os.listdir(utkface_folder)):
        age, gender, race = utkface_labels(name)
        if age is not None:
            band = min([10, 20, 40, 60, 200], key=lambda b: (b <= age, b))
            groups.setdefault((gender, race, band), []).append(name)
    rng = random.Random(seed)
    for names in groups.values():
        rng.shuffle(names)
    seen, chosen = collections.Counter(), []
    while groups and len(chosen) < count:
        # the group whose gender, race and age band are rarest so far
        key = min(sorted(groups), key=lambda k: (
            seen[0, k[0]] + seen[1, k[1]] + seen[2, k[2]], rng.random()))
        path = os.path.join(utkface_folder, groups[key].pop())
        if not groups[key]:
            del groups[key]
        try:
            with Image.open(path) as image:
                image.convert("RGB")
        except (OSError, ValueError, Image.DecompressionBombError):
            continue
        chosen.append(path)
        seen.update([(0, key[0]), (1, key[1]), (2, key[2])])
    if len(chosen) < count:
        raise ValueError(f"utkface_folder {utkface_folder!r} has only "
                         f"{len(chosen)} usable UTKFace faces; {count} asked")
    return chosen


def make_test_video(out_folder, face_files, photo=None, seconds=20.0, fps=25,
                    size=(640, 480), max_in_view=3, face_sizes=(90, 150),
                    seed=0, photo_face_box=ASTRONAUT_FACE_BOX,
                    overwrite=False):
    """Writes a video of real faces crossing a room, and its ground truth.

    Each face file is one person: scaled to a side in `face_sizes`, pasted
    with a soft elliptical mask, it enters from an edge (or steps out of a
    doorway), walks a straight or gently curved path for 2-6 s and leaves.
    At most `max_in_view` are in view at once, their boxes never overlap
    (IoU < 0.1), and some stretches show nobody. `photo`, if given, walks
    through once, cropped around `photo_face_box`. About one person per
    2.5 s of video fits. The same arguments give the same truth and frames.

    Args:
        out_folder: str, the folder to write `video.mp4` (mp4v),
            `truth.json` and `truth.csv` into; created if absent.
        face_files: list of image paths, labels read from UTKFace names.
        photo: str or None, a photograph with one face (labels unknown).
        seconds: float, the length of the video.
        fps: int, frames per second.
        size: `(width, height)` of the frames.
        max_in_view: int, the most people in view at once.
        face_sizes: `(smallest, largest)` side of a pasted face, in pixels.
        seed: int >= 0, the random seed.
        photo_face_box: the face in `photo` as fractions `(x, y, w, h)`.
        overwrite: bool, replace the files of an earlier test video.

    Returns:
        The `TestVideoTruth`, also saved in `out_folder`.

    Example:

    ```python
    faces = choose_faces("../shared/data/utkface", 8)
    truth = make_test_video("runs/test_video", faces,
                            photo="../shared/photos/astronaut.png")
    truth.count  # 9
    ```
    """
    width, height, frame_count = _check(
        face_files, photo, seconds, fps, size, max_in_view, face_sizes, seed)
    outputs = [os.path.join(out_folder, n) for n in (VIDEO, TRUTH_JSON,
                                                     TRUTH_CSV)]
    for path in outputs:
        if os.path.exists(path) and not overwrite:
            raise ValueError(f"{path} already exists; pass overwrite=True to "
                             "replace it, or choose another out_folder")
    rng = np.random.default_rng(seed)
    sources = []
    for path in face_files:
        side = int(rng.integers(face_sizes[0], face_sizes[1] + 1))
        sources.append(_source(path, side, utkface_labels(path), None))
    if photo is not None:
        side = int(rng.integers(face_sizes[0], face_sizes[1] + 1))
        sources.insert(int(rng.integers(0, len(sources) + 1)),
                       _source(photo, side, (None, None, None),
                               photo_face_box))
    room, doors = draw_room(rng, width, height)
    plans = plan_people(rng, [(s["side"], s["face"]) for s in sources],
                        frame_count, fps, width, height, max_in_view, doors)
    os.makedirs(out_folder, exist_ok=True)
    with atomic_path(outputs[0]) as temporary:
        _write_video(temporary, room, sources, plans, frame_count, fps, seed)
    people = []
    for source, plan in zip(sources, plans):
        boxes = plan["boxes"]
        people.append({"id": 0, "file": str(source["file"]),
                       "age": source["labels"][0],
                       "gender": source["labels"][1],
                       "race": source["labels"][2],
                       "first_frame": boxes[0][0], "last_frame": boxes[-1][0],
                       "boxes": boxes})
    people.sort(key=lambda p: p["first_frame"])  # stable: plan order on ties
    for number, person in enumerate(people, 1):
        person["id"] = number
    truth = TestVideoTruth(fps, (width, height), frame_count, people)
    truth.save(out_folder)
    return truth


def _check(face_files, photo, seconds, fps, size, max_in_view, face_sizes,
           seed):
    if isinstance(face_files, (str, bytes)) or not hasattr(face_files,
                                                           "__len__"):
        raise ValueError(f"face_files must be a list of paths, got "
                         f"{face_files!r}")
    if not face_files and photo is None:
        raise ValueError("face_files is empty and no photo is given: "
                         "the video would show nobody")
    if not isinstance(fps, (int, float)) or fps <= 0:
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    if not isinstance(seconds, (int, float)) or seconds <= 0:
        raise ValueError(f"seconds must be positive, got {seconds!r}")
    if (len(size) != 2 or not all(isinstance(v, int) for v in size)
            or min(size) < 64):
        raise ValueError(f"size must be (width, height) ints >= 64, "
                         f"got {size!r}")
    if not isinstance(max_in_view, int) or max_in_view < 1:
        raise ValueError(f"max_in_view must be an int >= 1, "
                         f"got {max_in_view!r}")
    if (len(face_sizes) != 2 or not 16 <= face_sizes[0] <= face_sizes[1]
            or face_sizes[1] * 1.4 > min(size)):
        raise ValueError(f"face_sizes must be (smallest, largest) with "
                         f"16 <= smallest <= largest <= {min(size) / 1.4:.0f} "
                         f"for size {size}, got {face_sizes!r}")
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed!r}")
    frame_count = int(round(seconds * fps))
    return size[0], size[1], frame_count


def _source(path, side, labels, face_box):
    """One person's image: RGB square, its face fractions, side, mask."""
    try:
        with Image.open(path) as image:
            rgb = np.asarray(image.convert("RGB"))
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise ValueError(f"face file {str(path)!r} cannot be read: "
                         f"{error}") from error
    face = UTKFACE_FACE_BOX
    if face_box is not None:  # a photograph: a square around its face
        h, w = rgb.shape[:2]
        fx, fy, fw, fh = (face_box[0] * w, face_box[1] * h,
                          face_box[2] * w, face_box[3] * h)
        crop = int(round(min(1.35 * fh, h, w)))
        x0 = int(round(min(max(fx + fw / 2 - crop / 2, 0), w - crop)))
        y0 = int(round(min(max(fy + fh / 2 - 0.55 * crop, 0), h - crop)))
        rgb = rgb[y0:y0 + crop, x0:x0 + crop]
        face = ((fx - x0) / crop, (fy - y0) / crop, fw / crop, fh / crop)
        side = int(round(side * UTKFACE_FACE_BOX[3] / face[3]))
    shrink = rgb.shape[0] > side
    rgb = cv2.resize(np.ascontiguousarray(rgb), (side, side),
                     interpolation=cv2.INTER_AREA if shrink
                     else cv2.INTER_CUBIC)
    return {"file": path, "labels": labels, "face": face, "side": side,
            "rgb": rgb.astype(np.float32), "mask": soft_mask(side)}


def _write_video(path, room, sources, plans, frame_count, fps, seed):
    height, width = room.shape[:2]
    writer = cv2.VideoWriter(path, cv2.VideoWriter.fourcc(*"mp4v"),
                             float(fps), (width, height))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write an mp4v video to {path}")
    by_frame = {}
    for source, plan in zip(sources, plans):
        for frame, x, y in plan["tops"]:
            by_frame.setdefault(frame, []).append((source, x, y))
    try:
        for frame in range(frame_count):
            image = room.copy()
            for source, x, y in by_frame.get(frame, []):
                _paste(image, source, x, y)
            noise = np.random.default_rng([seed, frame]).standard_normal(
                image.shape, dtype=np.float32)
            image += 1.5 * noise  # a little sensor noise, new each frame
            rgb = np.clip(image + 0.5, 0, 255).astype(np.uint8)
            writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    capture, decoded = cv2.VideoCapture(path), 0
    while capture.read()[0]:
        decoded += 1
    capture.release()
    if decoded != frame_count:
        raise RuntimeError(f"the video written to {path} decodes to "
                           f"{decoded} frames, not {frame_count}")


def _paste(image, source, x, y):
    side, (height, width) = source["side"], image.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + side, width), min(
        y + side, height)
    if x0 >= x1 or y0 >= y1:
        return
    alpha = source["mask"][y0 - y:y1 - y, x0 - x:x1 - x, None]
    face = source["rgb"][y0 - y:y1 - y, x0 - x:x1 - x]
    region = image[y0:y1, x0:x1]
    region += alpha * (face - region)
