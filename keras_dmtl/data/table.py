"""Reads any table of image paths and labels: a CSV file or a DataFrame."""

import os

import numpy as np

from keras_dmtl.data.face_examples import FaceExamples
from keras_dmtl.data.image_check import keep_readable
from keras_dmtl.data.report import ReadReport
from keras_dmtl.labels import MISSING_LABEL
from keras_dmtl.tasks.nominal_task import NominalTask


def read_table(table, image_column, tasks, columns=None, image_root=None,
               source=None, strict=False, check_images=True, subject_column=None):
    """Reads a table with an image path column and any subset of tasks.

    Nominal labels may be class indices or class names; ordinal labels are
    numbers (a rank value, or a raw value for cut points). A blank or NaN
    cell means "not annotated" (-1). A row whose label is out of range or
    whose image is missing or unreadable is skipped and counted (strict
    mode: raise, naming the row, the column and the value).

    Args:
        table: a path to a CSV file, or a pandas DataFrame.
        image_column: name of the column of image paths.
        tasks: list of `Task` to read labels for.
        columns: optional dict from task name to column name; by default a
            task's column has the task's name.
        image_root: folder that relative paths start from; defaults to the
            CSV file's folder (or the working folder for a DataFrame).
        source: name for the summary; defaults to the file name.
        strict: raise on the first bad row instead of skipping it.
        check_images: decode every image once (cached) to catch bad files.
        subject_column: optional column of subject ids.

    Returns:
        `FaceExamples`.
    """
    import pandas as pd

    if isinstance(table, pd.DataFrame):
        frame, name = table, source or "table"
        root = image_root or os.getcwd()
    else:
        if not os.path.isfile(table):
            raise FileNotFoundError(f"table not found: {table}")
        frame = pd.read_csv(table, dtype=str, keep_default_na=False)
        name = source or os.path.basename(table)
        root = image_root or os.path.dirname(os.path.abspath(table))
    columns = {task.name: (columns or {}).get(task.name, task.name)
               for task in tasks}
    needed = [image_column] + list(columns.values())
    if subject_column:
        needed.append(subject_column)
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {missing}; it has "
                         f"{list(frame.columns)}")
    report = ReadReport(name, strict)
    paths, labels, subjects = [], {t.name: [] for t in tasks}, []
    for row_number, values in enumerate(frame.to_dict("records"), start=2):
        where = f"{name} row {row_number}"
        parsed = {}
        for task in tasks:
            column = columns[task.name]
            try:
                parsed[task.name] = _parse_label(task, values[column])
            except ValueError as error:
                report.skip(where, f"field {column}: {error}")
                break
        else:
            path = str(values[image_column]).strip()
            if not path:
                report.skip(where, f"field {image_column}: empty path")
                continue
            paths.append(path if os.path.isabs(path) else
                         os.path.join(root, path))
            for task_name, value in parsed.items():
                labels[task_name].append(value)
                if value == MISSING_LABEL:
                    report.unannotated[task_name] += 1
            if subject_column:
                subjects.append(str(values[subject_column]))
    digests = None
    if check_images:
        names = list(labels)
        paths, subjects, *columns, digests = keep_readable(
            paths, report, subjects, *(labels[n] for n in names))
        labels = dict(zip(names, columns))
    if not paths:
        raise ValueError(f"{name}: no usable rows")
    report.kept = len(paths)
    return FaceExamples(
        name, tasks, labels, paths=paths,
        subjects=np.array(subjects) if subject_column else None,
        content_ids=digests, report=report,
    )


def _parse_label(task, value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return MISSING_LABEL
    text = str(value).strip()
    if text == "" or text.lower() == "nan" or text == str(MISSING_LABEL):
        return MISSING_LABEL
    if isinstance(task, NominalTask):
        if text in task.classes:
            return task.classes.index(text)
        try:
            index = int(float(text))
        except ValueError:
            raise ValueError(
                f"{text!r} is not a class of '{task.name}' ({task.classes})"
            ) from None
        if not 0 <= index < task.num_classes:
            raise ValueError(f"class index {index} is outside "
                             f"0..{task.num_classes - 1}")
        return index
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if task.ranks is not None:
        if number not in task.ranks:
            raise ValueError(f"{text} is not one of the ranks "
                             f"{task.ranks[0]}..{task.ranks[-1]}")
    elif number < 0:
        raise ValueError(f"{text} is negative")
    return int(round(number))
