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
    the same as UTKFace's default `age_group` cut points.

    Returns:
        `FaceExamples` with `age_group`, `gender` and `race` labels.
    """
    import pandas as pd

    frame = pd.read_csv(csv_file, dtype=str, keep_default_na=False)
    if "age" in frame.columns:
        ages = {name: str(i) for i, name in enumerate(FAIRFACE_AGES)}
        frame["age_group"] = [ages.get(a.strip(), a) for a in frame["age"]]
    return read_table(
        frame, "file", fairface_tasks(),
        image_root=image_root or os.path.dirname(os.path.abspath(csv_file)),
        source=os.path.basename(csv_file), strict=strict,
        check_images=check_images,
    )
