"""Reads UTKFace: labels from its file names."""

import os
import re

import numpy as np

from keras_dmtl.data.face_examples import FaceExamples
from keras_dmtl.data.image_check import keep_readable
from keras_dmtl.data.image_check import duplicate_groups
from keras_dmtl.data.report import ReadReport
from keras_dmtl.data.synthetic_faces import GENDERS
from keras_dmtl.data.synthetic_faces import RACES
from keras_dmtl.tasks.nominal_task import NominalTask
from keras_dmtl.tasks.ordinal_task import OrdinalTask

UTKFACE_AGE_GROUPS = [3, 10, 20, 30, 40, 50, 60, 70]
"""Default cut points of UTKFace age groups: <3, 3-9, 10-19, ..., 60-69, 70+
(the nine groups FairFace uses), for "accuracy with age group"."""

# [age]_[gender]_[race]_[datetime].jpg(.chip.jpg), tolerating the release's
# quirks: a space before ".jpg" and a missing dot ("...357jpg.chip.jpg").
_NAME = re.compile(
    r"^(?P<age>\d+)_(?P<gender>\d+)_(?P<race>\d+)_(?P<stamp>\d+)"
    r"\s*\.?jpg(\.chip\.jpg)?$",
    re.IGNORECASE,
)


def parse_utkface_name(name):
    """Returns `(age, gender, race)` from a UTKFace file name.

    Raises:
        ValueError: naming the file and the field that cannot be read.
    """
    match = _NAME.match(name)
    if match is None:
        raise ValueError(
            f"{name}: not a UTKFace name [age]_[gender]_[race]_[date].jpg "
            "(a field is missing or malformed)"
        )
    age, gender, race = (int(match[k]) for k in ("age", "gender", "race"))
    if not 0 <= age <= 116:
        raise ValueError(f"{name}: field age {age} is outside 0..116")
    if gender >= len(GENDERS):
        raise ValueError(f"{name}: field gender {gender} is not 0 or 1")
    if race >= len(RACES):
        raise ValueError(f"{name}: field race {race} is not in 0..4")
    return age, gender, race


def utkface_tasks(age_groups=UTKFACE_AGE_GROUPS):
    """UTKFace's tasks: age (0..116), age group, gender and race."""
    return [
        OrdinalTask("age", ranks=range(0, 117)),
        OrdinalTask("age_group", cut_points=age_groups),
        NominalTask("gender", GENDERS),
        NominalTask("race", RACES),
    ]


def read_utkface(directory, age_groups=UTKFACE_AGE_GROUPS, strict=False,
                 check_images=True):
    """Reads a UTKFace folder (the `UTKFace/` or `crop_part1/` layout).

    Names that cannot be parsed, and files that are empty, truncated or not
    images, are skipped and counted in the report (strict mode: raise,
    naming the file and field). Byte-identical files are found and grouped
    (`content_ids`), so that a split keeps them on one side; the report
    counts the groups and those whose copies carry different labels.

    Args:
        directory: the folder of images.
        age_groups: cut points for the `age_group` labels.
        strict: raise on the first bad file instead of skipping it.
        check_images: decode every image once (cached) to catch bad files
            (False: only skip what is no regular file of at most 64 MiB).

    Returns:
        `FaceExamples` with `age`, `age_group`, `gender`, `race` labels.
    """
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"UTKFace folder not found: {directory}")
    report = ReadReport("UTKFace", strict)
    names, labels = [], []
    for name in sorted(os.listdir(directory)):
        try:
            labels.append(parse_utkface_name(name))
        except ValueError as error:
            report.skip(name, str(error).split(": ", 1)[1])
            continue
        names.append(name)
    paths = [os.path.join(directory, name) for name in names]
    paths, labels, digests = keep_readable(paths, report, labels,
                                           decode=check_images)
    if not paths:
        raise ValueError(f"No usable UTKFace images in {directory}")
    labels = np.array(labels, dtype="int32").reshape(-1, 3)
    tasks = utkface_tasks(age_groups)
    examples = FaceExamples(
        "UTKFace", tasks,
        {
            "age": labels[:, 0],
            # A cut-point task takes raw values: its group follows.
            "age_group": labels[:, 0],
            "gender": labels[:, 1],
            "race": labels[:, 2],
        },
        paths=paths, content_ids=digests if check_images else None,
        report=report,
    )
    report.kept = len(paths)
    if check_images:
        groups = duplicate_groups(digests)
        conflicting = sum(len({tuple(labels[i]) for i in g}) > 1 for g in groups)
        if groups:
            report.note(
                f"{len(groups)} groups of byte-identical files "
                f"({sum(len(g) for g in groups)} files), {conflicting} with "
                "different labels: splits keep each group on one side"
            )
    return examples
