"""One person followed through a video, and what is known about them."""

import uuid

import numpy as np


class Track:
    """A face followed from frame to frame, with its answers per sighting.

    The watcher creates a track for a face it cannot join to one it knows,
    moves its box every frame (`move`), joins new detections to it
    (`detected`), and adds the model's answers for the faces it aligned
    (`add_answers`). `summary` turns the answers of all sightings into one
    per task, each task kind in its own way (`Task.summarize`: age as the
    median of the frames, classes by their summed probability, action
    units and valence/arousal as means, with their series kept).

    Args:
        source: str, the name of the video source.
        time: float, seconds (a POSIX time stamp) of the first sighting.
        box: `[x, y, width, height]` of the face, in pixels.
        confidence: float, the detector's confidence.

    Example:

    ```python
    track = Track("door", 0.0, [10, 10, 80, 80], 0.99)
    track.move(0.04, [12, 10, 80, 80])
    track.duration  # 0.04
    ```
    """

    def __init__(self, source, time, box, confidence):
        self.source = source
        self.key = uuid.uuid4().hex
        self.first_time = float(time)
        self.last_time = float(time)
        self.box = [float(v) for v in box]
        self.detected_width = self.box[2]
        self.boxes = [[round(float(time), 3)] + [round(v, 1)
                                                 for v in self.box]]
        self.frames = 1
        self.missed = 0
        self.confidences = [float(confidence)]
        self.answers = []  # (time, {task: answer}) per aligned sighting
        self.face = None  # (confidence, aligned RGB crop) of the best sighting

    @property
    def duration(self):
        """Seconds between the first and the last sighting."""
        return self.last_time - self.first_time

    @property
    def detections(self):
        """How many times the detector found this face."""
        return len(self.confidences)

    @property
    def confidence(self):
        """The detector's mean confidence over the track."""
        return float(np.mean(self.confidences))

    def move(self, time, box):
        """The face's box on a frame without detection (followed by flow)."""
        self.box = [float(v) for v in box]
        self.last_time = float(time)
        self.frames += 1
        self.boxes.append([round(float(time), 3)]
                          + [round(v, 1) for v in self.box])

    def detected(self, time, box, confidence):
        """The detector found the face again: its box replaces the moved one.

        Call it instead of `move` on a frame the detector ran on.
        """
        self.move(time, box)
        self.detected_width = self.box[2]
        self.missed = 0
        self.confidences.append(float(confidence))

    def add_answers(self, time, answers, face=None, confidence=0.0):
        """The model's answers for one aligned sighting of the face.

        Args:
            time: float, when.
            answers: `{task name: answer}` (`Runtime.describe`).
            face: the aligned crop, kept if it is the most confident one.
            confidence: float, the detector's confidence for this crop.
        """
        self.answers.append((float(time), answers))
        if face is not None and (self.face is None
                                 or confidence > self.face[0]):
            self.face = (float(confidence), face)

    def summary(self, tasks):
        """`{task name: summary}` over the sightings with answers."""
        summary = {}
        for task in tasks:
            answers = [a[task.name] for _, a in self.answers
                       if task.name in a]
            if answers:
                summary[task.name] = task.summarize(answers)
        return summary

    def series(self, tasks):
        """`[(time, {task: answer})]` of the tasks kept as time series."""
        names = [task.name for task in tasks if task.time_series]
        if not names:
            return []
        return [(time, {n: a[n] for n in names if n in a})
                for time, a in self.answers]

    def __repr__(self):
        return (f"Track({self.source!r}, {self.key[:8]}, "
                f"{self.first_time:.2f}-{self.last_time:.2f} s, "
                f"{self.detections} detections)")
