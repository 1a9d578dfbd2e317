"""A labelled set of face images, as the readers return it."""

import os

import numpy as np

from keras_dmtl.labels import MISSING_LABEL


class FaceExamples:
    """Face images with labels for some tasks, from one dataset.

    Images are either files (`paths`) or an in-memory `uint8` array
    (`images`, for datasets shipped as pixel tables such as `fer2013.csv`).
    Labels are integer arrays keyed by task name, `-1` where an image is not
    annotated. `tasks` are the task specifications of those labels.

    Args:
        source: str, the dataset's name.
        tasks: list of `Task`, one per label array.
        labels: dict from task name to an int array.
        paths: list of str, image files; or None.
        images: array `(n, h, w, 3)` or `(n, h, w)` of uint8; or None.
        subjects: optional array of subject ids (one person's images share
            one), for subject-exclusive splits.
        content_ids: optional array of content fingerprints (byte-identical
            images share one), so that splits keep copies together.
        report: the `ReadReport` of the reader.
    """

    def __init__(self, source, tasks, labels, paths=None, images=None,
                 subjects=None, content_ids=None, report=None):
        if (paths is None) == (images is None):
            raise ValueError("Give exactly one of `paths` or `images`.")
        count = len(paths) if paths is not None else len(images)
        names = [task.name for task in tasks]
        if sorted(names) != sorted(labels):
            raise ValueError(f"tasks {names} do not match labels {list(labels)}")
        labels = {n: np.asarray(labels[n], dtype="int32") for n in names}
        for name, values in labels.items():
            if len(values) != count:
                raise ValueError(
                    f"labels['{name}'] has {len(values)} entries for {count} "
                    "images"
                )
        self.source = source
        self.tasks = list(tasks)
        self.labels = labels
        self.paths = None if paths is None else list(paths)
        self.images = None if images is None else np.asarray(images)
        self.subjects = None if subjects is None else np.asarray(subjects)
        self.content_ids = (
            None if content_ids is None else np.asarray(content_ids)
        )
        self.report = report

    def __len__(self):
        return len(self.paths) if self.paths is not None else len(self.images)

    @property
    def task_names(self):
        return [task.name for task in self.tasks]

    def subset(self, indices):
        """The examples at `indices`, as a new `FaceExamples`."""
        indices = np.asarray(indices, dtype="int64")
        return FaceExamples(
            self.source,
            self.tasks,
            {n: v[indices] for n, v in self.labels.items()},
            paths=None if self.paths is None else [self.paths[i] for i in indices],
            images=None if self.images is None else self.images[indices],
            subjects=None if self.subjects is None else self.subjects[indices],
            content_ids=(None if self.content_ids is None
                         else self.content_ids[indices]),
            report=self.report,
        )

    def labels_for(self, task_names):
        """Labels for `task_names`, `-1` for tasks this dataset lacks."""
        return {
            name: self.labels.get(
                name, np.full(len(self), MISSING_LABEL, dtype="int32")
            )
            for name in task_names
        }

    def to_csv(self, path, image_column="image"):
        """Writes the image paths and labels as a CSV `read_table` reads.

        Labels are written as indices (-1 left blank), rank values for
        ordinal tasks with `ranks`.
        """
        import pandas as pd

        if self.paths is None:
            raise ValueError(f"{self.source}: in-memory images have no paths "
                             "to write")
        frame = pd.DataFrame({image_column: [os.path.abspath(p)
                                             for p in self.paths]})
        for name, values in self.labels.items():
            frame[name] = [None if v == MISSING_LABEL else int(v)
                           for v in values]
            frame[name] = frame[name].astype("Int64")
        frame.to_csv(path, index=False)

    def summary(self):
        return self.report.summary() if self.report else (
            f"{self.source}: {len(self)} examples"
        )
