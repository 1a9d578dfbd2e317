"""Reads UTKFace labels from its file names."""

import os
import re
from dataclasses import dataclass
from dataclasses import field

import numpy as np

from keras_dmtl.data.synthetic_faces import GENDERS
from keras_dmtl.data.synthetic_faces import RACES

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
        raise ValueError(f"{name}: age {age} is outside 0..116")
    if gender >= len(GENDERS):
        raise ValueError(f"{name}: gender {gender} is not 0 or 1")
    if race >= len(RACES):
        raise ValueError(f"{name}: race {race} is not in 0..4")
    return age, gender, race


@dataclass
class UTKFaceIndex:
    """The labelled images of a UTKFace folder.

    Attributes:
        paths: list of str, one image path per labelled face.
        labels: dict of int arrays: `age`, `gender`, `race`.
        skipped: list of `(file name, reason)` for names that were skipped.
    """

    paths: list
    labels: dict
    skipped: list = field(default_factory=list)

    def summary(self):
        lines = [f"UTKFace: {len(self.paths)} labelled faces"]
        if self.skipped:
            lines.append(f"skipped {len(self.skipped)} file name(s):")
            lines += [f"  {reason}" for _, reason in self.skipped]
        return "\n".join(lines)


def read_utkface(directory):
    """Lists a UTKFace folder and reads the labels from the file names.

    Names that cannot be parsed are skipped and listed in `skipped`, never
    dropped silently.

    Args:
        directory: path of a flat folder of UTKFace images.

    Returns:
        A `UTKFaceIndex`.
    """
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"UTKFace folder not found: {directory}")
    paths, ages, genders, races, skipped = [], [], [], [], []
    for name in sorted(os.listdir(directory)):
        try:
            age, gender, race = parse_utkface_name(name)
        except ValueError as error:
            skipped.append((name, str(error)))
            continue
        paths.append(os.path.join(directory, name))
        ages.append(age)
        genders.append(gender)
        races.append(race)
    if not paths:
        raise ValueError(f"No UTKFace images found in {directory}")
    labels = {
        "age": np.array(ages, "int32"),
        "gender": np.array(genders, "int32"),
        "race": np.array(races, "int32"),
    }
    return UTKFaceIndex(paths, labels, skipped)
