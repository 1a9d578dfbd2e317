"""Reads a dataset given only its path, recognising its layout."""

import os

from keras_dmtl.data.adience import read_adience_fold
from keras_dmtl.data.ckplus import CKPLUS_ACTION_UNITS
from keras_dmtl.data.ckplus import read_ckplus
from keras_dmtl.data.csv_rows import read_csv_header
from keras_dmtl.data.diffusionfer import read_diffusionfer_va
from keras_dmtl.data.fer2013 import read_fer2013
from keras_dmtl.data.synthetic_faces import EXPRESSIONS
from keras_dmtl.data.table import read_table
from keras_dmtl.data.utkface import parse_utkface_name
from keras_dmtl.data.utkface import read_utkface

FORMATS = ("auto", "utkface", "fer2013", "adience", "ckplus",
           "diffusionfer_va", "table")
"""The layouts `read_any` reads (`"auto"`: recognise it)."""


def detect_format(path):
    """Names the layout of a dataset path, or raises naming what was found.

    A folder (or its `labels.csv`) whose `labels.csv` has a `subject`
    column and CK+'s action-unit columns is `"ckplus"`; one whose
    `labels.csv` has `valence` and `arousal` columns is
    `"diffusionfer_va"`.
    """
    if os.path.isfile(path):
        if path.endswith(".csv"):
            return _labels_layout(path) or "table"
        if os.path.basename(path).startswith("fold_"):
            return "adience"
        raise ValueError(f"{path}: not a CSV table or an Adience fold file")
    if not os.path.isdir(path):
        raise FileNotFoundError(f"data not found: {path}")
    entries = os.listdir(path)
    if "labels.csv" in entries:
        layout = _labels_layout(os.path.join(path, "labels.csv"))
        if layout:
            return layout
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
        "train/ and test/ folders, Adience fold files, a CK+ or "
        "DiffusionFER folder with labels.csv and images/, or a CSV table)"
    )


def _labels_layout(csv_file):
    """`"ckplus"`, `"diffusionfer_va"` or None, from a `labels.csv` header."""
    if os.path.basename(csv_file) != "labels.csv":
        return None
    columns = set(_header(csv_file))
    folder = os.path.dirname(os.path.abspath(csv_file))
    if not os.path.isdir(os.path.join(folder, "images")):
        return None
    if "subject" in columns and set(CKPLUS_ACTION_UNITS) <= columns:
        return "ckplus"
    if {"valence", "arousal"} <= columns:
        return "diffusionfer_va"
    return None


def _header(csv_file):
    return read_csv_header(csv_file)


def read_any(path, tasks, data_format="auto", split="test", fold=0,
             image_column="image", strict=False):
    """Reads a dataset for a model's `tasks`.

    Args:
        path: a UTKFace folder, a FER2013 folder (`split` is read), an
            Adience folder (fold `fold` is read) or fold file, a CK+ or
            DiffusionFER folder (`labels.csv` and `images/`) or its
            `labels.csv`, or a CSV table with an `image_column` and the
            columns of some of the tasks.
        tasks: the model's tasks. A CSV table is read for those whose
            columns (all of `task.label_columns()`) it has. CK+ and
            DiffusionFER expressions are mapped onto the classes of the
            model's `expression` task when it has one.
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
    if data_format in ("ckplus", "diffusionfer_va"):
        folder = path if os.path.isdir(path) else os.path.dirname(
            os.path.abspath(path))
        read = read_ckplus if data_format == "ckplus" else (
            read_diffusionfer_va)
        return read(folder, expressions=_expression_classes(tasks),
                    strict=strict)
    if data_format == "utkface":
        return read_utkface(path, strict=strict)
    if data_format == "fer2013":
        return read_fer2013(path, split, strict=strict)
    if data_format == "adience":
        if os.path.isdir(path):
            path = os.path.join(path, f"fold_{fold}_data.txt")
        return read_adience_fold(path, strict=strict)
    header = _header(path)
    columns = set(header)
    present = [task for task in tasks
               if set(task.label_columns()) <= columns]
    if not present:
        raise ValueError(
            f"{path}: no column for any of the model's tasks ("
            + "; ".join(f"'{t.name}' reads {t.label_columns()}"
                        for t in tasks)
            + f"); it has {header}"
        )
    return read_table(path, image_column, present, strict=strict)


def _expression_classes(tasks):
    """The class names of the tasks' `expression` task, or `EXPRESSIONS`."""
    for task in tasks:
        if task.name == "expression" and getattr(task, "classes", None):
            return list(task.classes)
    return list(EXPRESSIONS)
