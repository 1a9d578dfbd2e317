"""Reads FER2013, from emotion folders or from the original fer2013.csv."""

import os

import numpy as np

from keras_dmtl.data.csv_rows import csv_rows
from keras_dmtl.data.face_examples import FaceExamples
from keras_dmtl.data.image_check import keep_readable
from keras_dmtl.data.image_check import duplicate_groups
from keras_dmtl.data.report import ReadReport
from keras_dmtl.data.synthetic_faces import EXPRESSIONS
from keras_dmtl.progress import progress
from keras_dmtl.tasks.nominal_task import NominalTask

FER2013_USAGES = ("Training", "PublicTest", "PrivateTest")
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif")


def fer2013_tasks():
    """FER2013's one task: 7 expressions in the dataset's label order."""
    return [NominalTask("expression", EXPRESSIONS)]


def read_fer2013(directory, split="train", strict=False, check_images=True):
    """Reads FER2013 laid out as `<split>/<emotion>/<image>` folders.

    Args:
        directory: the folder holding `train/` and `test/`.
        split: `"train"`, `"test"`, or `"all"` for both.
        strict: raise on the first bad file instead of skipping it.
        check_images: decode every image once (cached) to catch bad files
            (False: only skip what is no regular file of at most 64 MiB).

    Returns:
        `FaceExamples` with `expression` labels (index into `EXPRESSIONS`).
    """
    splits = ["train", "test"] if split == "all" else [split]
    report = ReadReport(f"FER2013 {split}", strict)
    paths, labels = [], []
    for name in splits:
        root = os.path.join(directory, name)
        if not os.path.isdir(root):
            raise FileNotFoundError(f"FER2013 split folder not found: {root}")
        for folder in sorted(os.listdir(root)):
            full = os.path.join(root, folder)
            if not os.path.isdir(full):
                continue
            if folder not in EXPRESSIONS:
                report.skip(full, f"folder {folder!r} is not an emotion "
                                  f"({', '.join(EXPRESSIONS)})")
                continue
            for file in sorted(os.listdir(full)):
                if not file.lower().endswith(_IMAGE_SUFFIXES):
                    report.skip(os.path.join(full, file),
                                "not an image file name")
                    continue
                paths.append(os.path.join(full, file))
                labels.append(EXPRESSIONS.index(folder))
    paths, labels, digests = keep_readable(paths, report, labels,
                                           decode=check_images)
    if check_images:
        groups = duplicate_groups(digests)
        if groups:
            conflicting = sum(len({labels[i] for i in g}) > 1 for g in groups)
            report.note(f"{len(groups)} groups of byte-identical files, "
                        f"{conflicting} filed under different emotions")
    if not paths:
        raise ValueError(f"No usable FER2013 images in {directory} ({split})")
    report.kept = len(paths)
    return FaceExamples("FER2013", fer2013_tasks(), {"expression": labels},
                        paths=paths,
                        content_ids=digests if check_images else None,
                        report=report)


def read_fer2013_csv(csv_file, usage="Training", strict=False):
    """Reads the original `fer2013.csv`: emotion, pixels, Usage columns.

    Each row's `pixels` is 2304 space-separated values 0..255 (a 48x48
    grayscale face). Rows with a bad emotion, a bad pixel string or an
    unknown usage are skipped and counted (strict mode: raise, naming the
    line and field).

    Args:
        csv_file: path of `fer2013.csv`.
        usage: `"Training"`, `"PublicTest"`, `"PrivateTest"`, or None for
            every row.
        strict: raise on the first bad row instead of skipping it.

    Returns:
        `FaceExamples` holding the images in memory, `(n, 48, 48)` uint8.
    """
    if usage is not None and usage not in FER2013_USAGES:
        raise ValueError(f"usage must be one of {FER2013_USAGES} or None")
    name = os.path.basename(csv_file)
    report = ReadReport(f"FER2013 {name} ({usage or 'all'})", strict)
    images, labels = [], []
    with csv_rows(csv_file) as (header, rows):
        missing = {"emotion", "pixels", "Usage"} - set(header)
        if missing:
            raise ValueError(f"{csv_file}: missing column(s) {sorted(missing)}")
        rows = progress(rows, description=f"Reading {name}", unit="row")
        for line, row, problem in rows:
            where = f"{name} line {line}"
            if problem is not None:
                report.skip(where, problem)
                continue
            if row["Usage"] not in FER2013_USAGES:
                report.skip(where, f"field Usage {row['Usage']!r} is unknown")
                continue
            if usage is not None and row["Usage"] != usage:
                continue
            emotion = row["emotion"].strip()
            if not _is_index(emotion) or int(emotion) >= len(EXPRESSIONS):
                report.skip(where, f"field emotion {emotion!r} is not 0..6")
                continue
            try:
                pixels = np.array(row["pixels"].split(), dtype="int64")
            except (ValueError, OverflowError):
                report.skip(where, "field pixels holds a non-number")
                continue
            if pixels.size != 48 * 48 or pixels.min() < 0 or pixels.max() > 255:
                report.skip(where, f"field pixels has {pixels.size} values, "
                                   "need 2304 in 0..255")
                continue
            images.append(pixels.astype("uint8").reshape(48, 48))
            labels.append(int(emotion))
    if not images:
        raise ValueError(f"No usable rows in {csv_file} for usage {usage}")
    report.kept = len(images)
    return FaceExamples("FER2013", fer2013_tasks(), {"expression": labels},
                        images=np.stack(images), report=report)


def _is_index(text):
    """Whether `text` is a whole number written in ASCII digits."""
    return text.isascii() and text.isdigit()
