"""Reads any table of image paths and labels: a CSV file or a DataFrame."""

import os

import numpy as np

from keras_dmtl.data.csv_rows import csv_rows
from keras_dmtl.data.face_examples import FaceExamples
from keras_dmtl.data.face_examples import require_labels
from keras_dmtl.data.face_examples import typed_label
from keras_dmtl.data.image_check import keep_readable
from keras_dmtl.data.report import ReadReport


def read_table(table, image_column, tasks, columns=None, image_root=None,
               source=None, strict=False, check_images=True,
               subject_column=None, converters=None):
    """Reads a table with an image path column and any subset of tasks.

    Each task reads its own columns (`task.label_columns`) and turns their
    cells into a label (`task.parse_cells`): a nominal label is a class
    index or a class name, an ordinal one a number (a rank value, or a raw
    value for cut points), a multi-label task reads one column of 1/0 per
    label and a regression task one number per output. A blank or NaN cell
    means "not annotated". A row with a bad cell (out of range, not a
    number, "inf", a fraction where a class or rank is asked for) is
    skipped and counted as "<table> row N: field COLUMN: reason", N being
    the line an editor shows (the header is line 1; blank lines count). A
    row whose image is missing, unreadable, no regular file or one the
    training stream cannot decode is skipped and counted as
    "<path> (<table> row N, field IMAGE_COLUMN): reason". Strict mode
    raises `BadInputError` with that message instead.

    Args:
        table: a path to a CSV file, or a pandas DataFrame.
        image_column: name of the column of image paths.
        tasks: list of `Task` to read labels for.
        columns: optional dict from task name to the column it reads (a
            str), or for a task reading several, the list of columns in the
            task's label order; by default a task reads
            `task.label_columns()` (its name, or its label or output names).
        image_root: folder that relative paths start from; defaults to the
            CSV file's folder (or the working folder for a DataFrame).
        source: name for the summary; defaults to the file name.
        strict: raise on the first bad row instead of skipping it.
        check_images: decode every image once (cached) to catch bad files
            (False: only skip what is no regular file of at most 64 MiB).
        subject_column: optional column of subject ids.
        converters: optional dict from column to a function applied to
            each of its cells (as text) before the tasks parse them, such
            as FairFace's age group names to rank indices.

    Returns:
        `FaceExamples`.

    Raises:
        ValueError: when the table lacks a column, listing every missing
            one and the columns it has; when no row is usable; when no
            usable row labels any of the `tasks` (all their cells blank).

    Example:

    ```python
    aus = keras_dmtl.MultiLabelTask("aus", labels=["AU1", "AU12"])
    affect = keras_dmtl.RegressionTask("affect", ["valence", "arousal"],
                                       bounds=(-1, 1))
    # columns: image, AU1, AU12, v, a
    examples = keras_dmtl.data.read_table(
        "labels.csv", "image", [aus, affect],
        columns={"affect": ["v", "a"]})
    ```
    """
    import pandas as pd

    if isinstance(table, pd.DataFrame):
        name = source or "table"
        root = image_root or os.getcwd()
        header = list(table.columns)
        rows = [(number, values, None) for number, values in
                enumerate(table.to_dict("records"), start=2)]
    else:
        if not os.path.isfile(table):
            raise FileNotFoundError(f"table not found: {table}")
        with csv_rows(table) as (header, rows):
            rows = list(rows)
        name = source or os.path.basename(table)
        root = image_root or os.path.dirname(os.path.abspath(table))
    columns = columns or {}
    task_columns = {task.name: task.label_columns(columns.get(task.name))
                    for task in tasks}
    _check_columns(name, header, image_column, task_columns, subject_column)
    report = ReadReport(name, strict)
    paths, labels, subjects, names = [], {t.name: [] for t in tasks}, [], []
    for row_number, values, problem in rows:
        where = f"{name} row {row_number}"
        if problem is not None:
            report.skip(where, problem)
            continue
        parsed = {}
        for task in tasks:
            cells = {c: _convert(converters, c, values[c])
                     for c in task_columns[task.name]}
            try:
                parsed[task.name] = typed_label(
                    task, task.parse_cells(cells), task_columns[task.name])
            except ValueError as error:
                report.skip(where, str(error))
                break
        else:
            path = _cell_text(values[image_column])
            if not path:
                report.skip(where, f"field {image_column}: empty path")
                continue
            paths.append(path if os.path.isabs(path) else
                         os.path.join(root, path))
            names.append(f"{paths[-1]} ({where}, field {image_column})")
            for task_name, value in parsed.items():
                labels[task_name].append(value)
            if subject_column:
                subjects.append(str(values[subject_column]))
    order = list(labels)
    paths, subjects, *kept, digests = keep_readable(
        paths, report, subjects, *(labels[n] for n in order), names=names,
        decode=check_images)
    labels = dict(zip(order, kept))
    if not paths:
        raise ValueError(f"{name}: no usable rows")
    report.kept = len(paths)
    labels = {task.name: task.as_labels(labels[task.name], len(paths),
                                        where=name)
              for task in tasks}
    require_labels(name, tasks, labels, task_columns)
    for task in tasks:
        unannotated = int(np.sum(~task.annotated(labels[task.name])))
        if unannotated:
            report.unannotated[task.name] += unannotated
    return FaceExamples(
        name, tasks, labels, paths=paths,
        subjects=np.array(subjects) if subject_column else None,
        content_ids=digests if check_images else None, report=report,
    )


def _convert(converters, column, value):
    """`value`, or what the column's converter makes of its text."""
    if not converters or column not in converters:
        return value
    return converters[column](_cell_text(value))


def _cell_text(value):
    """A cell as stripped text ("" for a blank, None or NaN cell)."""
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).strip()


def _check_columns(name, present, image_column, task_columns,
                   subject_column):
    """Raises a `ValueError` listing every column the table lacks."""
    order, present = list(present), set(present)
    missing, readers = [], []
    for column in [image_column] + ([subject_column] if subject_column
                                    else []):
        if column not in present and column not in missing:
            missing.append(column)
    for task_name, needed in task_columns.items():
        lacking = [c for c in needed if c not in present]
        if lacking:
            readers.append(f"task '{task_name}' reads {needed}")
        missing += [c for c in lacking if c not in missing]
    if missing:
        needs = f" ({'; '.join(readers)})" if readers else ""
        raise ValueError(f"{name}: missing column(s) {missing}{needs}; it "
                         f"has {order}")
