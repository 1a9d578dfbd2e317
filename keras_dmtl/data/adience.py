"""Reads the Adience benchmark from its published fold files."""

import csv
import os
import re

import numpy as np

from keras_dmtl.data.face_examples import FaceExamples
from keras_dmtl.data.face_examples import require_labels
from keras_dmtl.data.image_check import file_problem
from keras_dmtl.data.image_check import keep_readable
from keras_dmtl.data.report import ReadReport
from keras_dmtl.labels import MISSING_LABEL
from keras_dmtl.tasks.nominal_task import NominalTask
from keras_dmtl.tasks.ordinal_task import OrdinalTask

ADIENCE_AGE_BINS = [(0, 2), (4, 6), (8, 12), (15, 20), (25, 32), (38, 43),
                    (48, 53), (60, 100)]
"""The 8 standard Adience age groups, youngest first."""

ADIENCE_AGE_NAMES = [f"{low}-{high}" for low, high in ADIENCE_AGE_BINS]
_GENDERS = {"m": 0, "f": 1}
_FIELDS = ["user_id", "original_image", "face_id", "age", "gender"]
_TUPLE = re.compile(r"^\(\s*(\d+)\s*,\s*(\d+)\s*\)$")


def adience_tasks():
    """The tasks Adience annotates: 8 ordinal age groups and gender."""
    return [
        OrdinalTask("age_group", ranks=range(len(ADIENCE_AGE_BINS)),
                    rank_names=ADIENCE_AGE_NAMES),
        NominalTask("gender", ["male", "female"]),
    ]


def adience_age_bin(label):
    """Maps an Adience age label to a bin index 0..7, or -1.

    The rule for the labels that are not one of the 8 standard bins:

    - `None` or blank: not annotated (-1).
    - A single age such as `35`, or a non-standard range such as `(27, 32)`
      (taken at its midpoint): the bin that contains it; else the bin with
      the smallest gap to it; on a tie, the bin whose centre is nearer; on a
      further tie, the younger bin. So `35` -> 38-43, `23` -> 25-32,
      `(25, 23)` -> 25-32, `(8, 23)` -> 15-20, `3` -> 0-2.

    Raises:
        ValueError: for a label that is none of these forms.
    """
    text = label.strip()
    if text in ("", "None"):
        return MISSING_LABEL
    match = _TUPLE.match(text)
    if match:
        pair = (int(match[1]), int(match[2]))
        if pair in ADIENCE_AGE_BINS:
            return ADIENCE_AGE_BINS.index(pair)
        age = sum(pair) / 2
    elif text.isdigit():
        age = float(text)
    else:
        raise ValueError(f"age label {label!r} is not a range, an age or None")

    def key(item):
        low, high = item[1]
        gap = max(low - age, age - high, 0)
        return gap, abs((low + high) / 2 - age), low

    return min(enumerate(ADIENCE_AGE_BINS), key=key)[0]


def adience_image_path(root, user_id, face_id, original_image):
    """The aligned image of a fold row, as the release names it."""
    return os.path.join(root, "aligned", user_id,
                        f"landmark_aligned_face.{face_id}.{original_image}")


def read_adience_fold(fold_file, image_root=None, strict=False,
                      check_files=True):
    """Reads one `fold_K_data.txt`.

    Args:
        fold_file: path of the fold file.
        image_root: the folder holding `aligned/`; defaults to the fold
            file's folder.
        strict: raise `BadInputError` naming the file, line and field of the
            first unusable row, instead of skipping and counting it.
        check_files: skip (or in strict mode, reject) rows whose image file
            is missing, no regular file, or one that the training stream
            cannot decode (`keep_readable`).

    Returns:
        `FaceExamples` with `age_group` and `gender` labels and subjects.

    Raises:
        ValueError: naming the fold file when no row labels an age group or
            a gender.
    """
    if not os.path.isfile(fold_file):
        raise FileNotFoundError(f"Adience fold file not found: {fold_file}")
    image_root = image_root or os.path.dirname(fold_file)
    name = os.path.basename(fold_file)
    report = ReadReport(f"Adience {name}", strict)
    paths, ages, genders, subjects, stray, names = [], [], [], [], [], []
    with open(fold_file, newline="") as file:
        rows = csv.reader(file, delimiter="\t")
        header = next(rows, None)
        if header is None or header[:5] != _FIELDS:
            raise ValueError(
                f"{fold_file}: header {header} is not the Adience header "
                f"starting {_FIELDS}"
            )
        for line, row in enumerate(rows, start=2):
            where = f"{name} line {line}"
            if len(row) < 5:
                report.skip(where, f"short row: {len(row)} fields, need 5")
                continue
            user_id, original, face_id, age_label, gender_label = row[:5]
            if not face_id.strip().isdigit():
                report.skip(where, f"field face_id {face_id!r} is not a number")
                continue
            try:
                age = adience_age_bin(age_label)
            except ValueError as error:
                report.skip(where, f"field age: {error}")
                continue
            gender = _GENDERS.get(gender_label.strip(), MISSING_LABEL)
            if gender_label.strip() not in ("", "u", "m", "f"):
                report.skip(where, f"field gender {gender_label!r} is not "
                                   "m, f, u or blank")
                continue
            path = adience_image_path(image_root, user_id, face_id.strip(),
                                      original)
            problem = file_problem(path) if check_files else None
            if problem is not None:
                report.skip(where, f"missing image: {path}"
                            if problem == "missing file" else
                            f"image {path}: {problem}")
                continue
            paths.append(path)
            names.append(f"{path} ({where})")
            ages.append(age)
            genders.append(gender)
            subjects.append(user_id)
            stray.append(age_label.strip())
    if check_files:
        paths, ages, genders, subjects, stray, _ = keep_readable(
            paths, report, ages, genders, subjects, stray, names=names)
    report.kept = len(paths)
    for task_name, values in (("age_group", ages), ("gender", genders)):
        if MISSING_LABEL in values:
            report.unannotated[task_name] += values.count(MISSING_LABEL)
    standard = [f"({a}, {b})" for a, b in ADIENCE_AGE_BINS]
    mapped = {label: ADIENCE_AGE_NAMES[age] for label, age in zip(stray, ages)
              if age != MISSING_LABEL and label not in standard}
    if mapped:
        report.note("stray age labels mapped to bins: " + ", ".join(
            f"{k} -> {v}" for k, v in sorted(mapped.items())))
    tasks = adience_tasks()
    labels = {"age_group": ages, "gender": genders}
    if paths:
        require_labels(fold_file, tasks, {n: np.array(v)
                                          for n, v in labels.items()})
    return FaceExamples("Adience", tasks, labels, paths=paths,
                        subjects=np.array(subjects), report=report)


def adience_folds(directory, image_root=None, strict=False, check_files=True):
    """The standard 5-fold protocol: yields `(k, train, test)` per fold.

    Fold k is the test set; the other four, joined, are the training set.
    The folds are split by subject, so no person is on both sides.
    """
    folds = [
        read_adience_fold(os.path.join(directory, f"fold_{k}_data.txt"),
                          image_root, strict, check_files)
        for k in range(5)
    ]
    for k, test in enumerate(folds):
        train = concatenate([f for i, f in enumerate(folds) if i != k])
        yield k, train, test


def concatenate(parts):
    """Joins `FaceExamples` of one dataset (same tasks, file paths)."""
    first = parts[0]
    return FaceExamples(
        first.source, first.tasks,
        {n: np.concatenate([p.labels[n] for p in parts]) for n in first.labels},
        paths=[path for p in parts for path in p.paths],
        subjects=np.concatenate([p.subjects for p in parts]),
        report=None,
    )
