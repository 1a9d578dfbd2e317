"""Reads FairFace from its label CSV."""

import os

from keras_dmtl.data.table import read_table
from keras_dmtl.tasks.nominal_task import NominalTask
from keras_dmtl.tasks.ordinal_task import OrdinalTask

FAIRFACE_AGES = ["0-2", "3-9", "10-19", "20-29", "30-39", "40-49", "50-59",
                 "60-69", "more than 70"]
FAIRFACE_RACES = ["White", "Black", "Latino_Hispanic", "East Asian",
                  "Southeast Asian", "Indian", "Middle Eastern"]


def fairface_tasks():
    """FairFace's tasks: 9 ordinal age groups, gender, 7 races."""
    return [
        OrdinalTask("age_group", ranks=range(len(FAIRFACE_AGES)),
                    rank_names=FAIRFACE_AGES),
        NominalTask("gender", ["Male", "Female"]),
        NominalTask("race", FAIRFACE_RACES),
    ]


def read_fairface(csv_file, image_root=None, strict=False, check_images=True):
    """Reads `fairface_label_train.csv` or `fairface_label_val.csv`.

    Columns `file` (such as `train/1.jpg`, relative to `image_root`, by
    default the CSV's folder), `age` (one of `FAIRFACE_AGES`), `gender`
    (`Male`/`Female`) and `race` (one of `FAIRFACE_RACES`). Age groups are
    read as rank indices 0..8 of an ordinal task; FairFace's nine groups are
    the same as UTKFace's default `age_group` cut points. Bad rows are
    skipped and counted as `read_table` does, naming the line and column.

    Returns:
        `FaceExamples` with `age_group`, `gender` and `race` labels.
    """
    ages = {name: str(i) for i, name in enumerate(FAIRFACE_AGES)}
    return read_table(
        csv_file, "file", fairface_tasks(), columns={"age_group": "age"},
        image_root=image_root, source=os.path.basename(csv_file),
        strict=strict, check_images=check_images,
        converters={"age": lambda age: ages.get(age, age)},
    )
