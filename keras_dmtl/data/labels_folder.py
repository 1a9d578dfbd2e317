"""Reads a folder of `labels.csv` and `images/`, one face per row."""

import collections
import csv
import os

import numpy as np

from keras_dmtl.data.face_examples import FaceExamples
from keras_dmtl.data.image_check import duplicate_groups
from keras_dmtl.data.image_check import keep_readable
from keras_dmtl.data.report import ReadReport


def read_labels_folder(folder, source, tasks, columns, parse_row,
                       strict=False, check_images=True,
                       outside_field="expression", kept="labels"):
    """Reads `labels.csv` (a `file` column naming a file in `images/`).

    Checks that `labels.csv` has every one of `columns`, then reads it row
    by row: a row with an empty `file`, or one whose `parse_row` raises a
    `ValueError` ("field <column>: ..."), is skipped and counted as
    "<folder>/labels.csv row N" (strict mode: raise `BadInputError`). An
    unreadable image is skipped and counted too (`keep_readable`). The
    report counts each task's unannotated faces, the faces whose
    expression is not one of the classes (per name), and the groups of
    byte-identical files.

    Args:
        folder: the folder holding `labels.csv` and `images/`.
        source: the dataset's name, such as `"CK+"`, for messages and
            `FaceExamples.source`.
        tasks: the tasks, in the order of the labels `parse_row` returns.
        columns: the columns `labels.csv` must have, `file` included.
        parse_row: a function of one row (a dict of column -> cell)
            returning `(labels, subject, outside)`: a tuple with one label
            per task, the subject (None for a dataset without subjects),
            and the name of an expression that is not one of the classes
            (or None). It raises a `ValueError` starting "field <column>: "
            for a bad cell.
        strict: raise on the first bad row instead of skipping it.
        check_images: decode every image once (cached) to catch bad files.
        outside_field: the column holding the expression, for the note on
            faces outside the classes ("emotion" names it so in CK+).
        kept: what those faces keep, for the same note, such as
            `"action units"`.

    Returns:
        `FaceExamples` with one label array per task, and `subjects` when
        `parse_row` gives them.
    """
    table = os.path.join(folder, "labels.csv")
    if not os.path.isfile(table):
        raise FileNotFoundError(f"{source} labels not found: {table}")
    name = os.path.join(os.path.basename(os.path.normpath(folder)),
                        "labels.csv")
    report = ReadReport(f"{source} {name}", strict)
    paths, task_labels, subjects, outside = [], [], [], []
    with open(table, newline="") as file:
        rows = csv.DictReader(file)
        missing = [c for c in columns if c not in (rows.fieldnames or [])]
        if missing:
            raise ValueError(f"{table}: missing column(s) {missing}; it has "
                             f"{rows.fieldnames}")
        for row_number, row in enumerate(rows, start=2):
            where = f"{name} row {row_number}"
            image = (row["file"] or "").strip()
            if not image:
                report.skip(where, "field file: empty")
                continue
            try:
                labels, subject, other = parse_row(row)
            except ValueError as error:
                report.skip(where, str(error))
                continue
            paths.append(os.path.join(folder, "images", image))
            task_labels.append(labels)
            subjects.append(subject)
            outside.append(other)
    per_task = [list(c) for c in zip(*task_labels)] or [[] for _ in tasks]
    digests = None
    if check_images:
        paths, *per_task, subjects, outside, digests = keep_readable(
            paths, report, *per_task, subjects, outside)
    if not paths:
        raise ValueError(f"No usable {source} images in {folder}")
    report.kept = len(paths)
    labels = {task.name: task.as_labels(values, len(paths), where=name)
              for task, values in zip(tasks, per_task)}
    for task in tasks:
        count = int(np.sum(~task.annotated(labels[task.name])))
        if count:
            report.unannotated[task.name] += count
    for emotion, count in sorted(collections.Counter(
            e for e in outside if e is not None).items()):
        report.note(f"{count} faces with {outside_field} '{emotion}', not "
                    "one of the expression classes: not annotated for "
                    f"'expression', their {kept} kept")
    if check_images:
        groups = duplicate_groups(digests)
        if groups:
            report.note(f"{len(groups)} groups of byte-identical files: "
                        "splits keep each group on one side")
    has_subjects = any(s is not None for s in subjects)
    return FaceExamples(source, tasks, labels, paths=paths,
                        subjects=np.array(subjects) if has_subjects else None,
                        content_ids=digests, report=report)
