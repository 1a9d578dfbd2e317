"""Reads a folder of `labels.csv` and `images/`, one face per row."""

import collections
import os

import numpy as np

from keras_dmtl.data.csv_rows import csv_rows
from keras_dmtl.data.face_examples import FaceExamples
from keras_dmtl.data.face_examples import require_labels
from keras_dmtl.data.face_examples import typed_label
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
    "<folder>/labels.csv row N", N the line an editor shows (strict mode:
    raise `BadInputError`). An unreadable image is skipped and counted too
    (`keep_readable`), naming its path, row and column. Data that labels
    none of the tasks is a `ValueError` naming `labels.csv`. The
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
        check_images: decode every image once (cached) to catch bad files
            (False: only skip what is no regular file of at most 64 MiB).
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
    paths, task_labels, subjects, outside, names = [], [], [], [], []
    with csv_rows(table) as (header, rows):
        missing = [c for c in columns if c not in header]
        if missing:
            raise ValueError(f"{table}: missing column(s) {missing}; it has "
                             f"{header}")
        for row_number, row, problem in rows:
            where = f"{name} row {row_number}"
            image = row["file"].strip()
            if problem is not None or not image:
                report.skip(where, problem or "field file: empty")
                continue
            try:
                labels, subject, other = parse_row(row)
                labels = [typed_label(task, label, task.label_columns())
                          for task, label in zip(tasks, labels)]
            except ValueError as error:
                report.skip(where, str(error))
                continue
            paths.append(os.path.join(folder, "images", image))
            names.append(f"{paths[-1]} ({where}, field file)")
            task_labels.append(labels)
            subjects.append(subject)
            outside.append(other)
    per_task = [list(c) for c in zip(*task_labels)] or [[] for _ in tasks]
    paths, *per_task, subjects, outside, digests = keep_readable(
        paths, report, *per_task, subjects, outside, names=names,
        decode=check_images)
    if not paths:
        raise ValueError(f"No usable {source} images in {folder}")
    report.kept = len(paths)
    labels = {task.name: task.as_labels(values, len(paths), where=name)
              for task, values in zip(tasks, per_task)}
    require_labels(table, tasks, labels)
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
                        content_ids=digests if check_images else None,
                        report=report)
