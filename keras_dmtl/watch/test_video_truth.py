"""The ground truth of a test video: who is where, in which frame."""

import csv
import dataclasses
import io
import json
import os

from keras_dmtl.atomic_files import write_json
from keras_dmtl.atomic_files import write_text

VIDEO, TRUTH_JSON, TRUTH_CSV = "video.mp4", "truth.json", "truth.csv"

_CSV_COLUMNS = ["id", "file", "age", "gender", "race", "first_frame",
                "last_frame", "first_seconds", "last_seconds"]


@dataclasses.dataclass
class TestVideoTruth:
    """Who is where in a test video.

    Args:
        fps: frames per second.
        size: `(width, height)` of the frames.
        frame_count: the number of frames in the video.
        people: list of dicts, one a person: `id` (1, 2, ... by first
            appearance), `file` (the image pasted), `age`, `gender`, `race`
            (ints, None when unknown), `first_frame`, `last_frame` and
            `boxes`, a list of `[frame, x, y, w, h]`: the face box in
            pixels, clipped to the frame, for each frame in which at least
            half of the face is in view.

    Example:

    ```python
    truth = TestVideoTruth.load("runs/test_video")
    truth.people_in_frame(100)  # [{"id": 2, "box": [...], ...}, ...]
    ```
    """

    __test__ = False  # a library class, not a pytest test class

    fps: float
    size: tuple
    frame_count: int
    people: list = dataclasses.field(default_factory=list)

    @property
    def count(self):
        """The number of people in the video."""
        return len(self.people)

    def people_in_frame(self, frame):
        """The people in view in one frame.

        Args:
            frame: int, a frame index.

        Returns:
            A list of dicts `{id, file, age, gender, race, box}`, `box`
            being `[x, y, w, h]`.
        """
        found = []
        for person in self.people:
            if not person["first_frame"] <= frame <= person["last_frame"]:
                continue
            for row in person["boxes"]:
                if row[0] == frame:
                    found.append({key: person[key] for key in (
                        "id", "file", "age", "gender", "race")})
                    found[-1]["box"] = list(row[1:])
        return found

    def save(self, folder):
        """Writes `truth.json` (everything) and `truth.csv` (a row a person).

        Args:
            folder: str, an existing folder.
        """
        write_json(os.path.join(folder, TRUTH_JSON), dataclasses.asdict(self))
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(_CSV_COLUMNS)
        for p in self.people:
            writer.writerow(
                ["" if p[key] is None else p[key] for key in _CSV_COLUMNS[:7]]
                + [round(p["first_frame"] / self.fps, 3),
                   round(p["last_frame"] / self.fps, 3)])
        write_text(os.path.join(folder, TRUTH_CSV), text.getvalue())

    @classmethod
    def load(cls, folder):
        """Reads the `truth.json` that `save` wrote in `folder`."""
        path = os.path.join(folder, TRUTH_JSON)
        if not os.path.isfile(path):
            raise ValueError(f"no test video truth in {folder!r}: "
                             f"{path} is absent")
        with open(path) as file:
            value = json.load(file)
        value["size"] = tuple(value["size"])
        return cls(**value)
