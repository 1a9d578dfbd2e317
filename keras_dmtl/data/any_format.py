"""Reads a dataset given only its path, recognising its layout."""

import os

from keras_dmtl.data.adience import read_adience_fold
from keras_dmtl.data.fer2013 import read_fer2013
from keras_dmtl.data.table import read_table
from keras_dmtl.data.utkface import parse_utkface_name
from keras_dmtl.data.utkface import read_utkface

FORMATS = ("auto", "utkface", "fer2013", "adience", "table")


def detect_format(path):
    """Names the layout of a dataset path, or raises naming what was found."""
    if os.path.isfile(path):
        if path.endswith(".csv"):
            return "table"
        if os.path.basename(path).startswith("fold_"):
            return "adience"
        raise ValueError(f"{path}: not a CSV table or an Adience fold file")
    if not os.path.isdir(path):
        raise FileNotFoundError(f"data not found: {path}")
    entries = os.listdir(path)
    if any(e.startswith("fold_") and e.endswith("_data.txt") for e in entries):
        return "adience"
    if {"train", "test"} & set(entries) and not any(
            os.path.isfile(os.path.join(path, e)) for e in entries
            if e.lower().endswith((".jpg", ".png"))):
        return "fer2013"
    for entry in entries[:200]:
        try:
            parse_utkface_name(entry)
            return "utkface"
        except ValueError:
            continue
    raise ValueError(
        f"{path}: cannot tell its layout (UTKFace file names, FER2013 "
        "train/ and test/ folders, Adience fold files, or a CSV table)"
    )


def read_any(path, tasks, data_format="auto", split="test", fold=0,
             image_column="image", strict=False):
    """Reads a dataset for a model's `tasks`.

    Args:
        path: a UTKFace folder, a FER2013 folder (`split` is read), an
            Adience folder (fold `fold` is read) or fold file, or a CSV
            table with an `image_column` and one column per task.
        tasks: the model's tasks; a CSV table is read for those whose
            column it has.
        data_format: one of `FORMATS`.
        split: FER2013 split to read.
        fold: Adience fold to read from a folder.
        image_column: the image path column of a CSV table.
        strict: raise on bad input instead of skipping it.

    Returns:
        `FaceExamples`.
    """
    if data_format not in FORMATS:
        raise ValueError(f"data_format must be one of {FORMATS}")
    if data_format == "auto":
        data_format = detect_format(path)
    if data_format == "utkface":
        return read_utkface(path, strict=strict)
    if data_format == "fer2013":
        return read_fer2013(path, split, strict=strict)
    if data_format == "adience":
        if os.path.isdir(path):
            path = os.path.join(path, f"fold_{fold}_data.txt")
        return read_adience_fold(path, strict=strict)
    import pandas as pd

    columns = pd.read_csv(path, nrows=0).columns
    present = [task for task in tasks if task.name in columns]
    if not present:
        raise ValueError(
            f"{path}: no column for any of the model's tasks "
            f"{[t.name for t in tasks]}; it has {list(columns)}"
        )
    return read_table(path, image_column, present, strict=strict)
