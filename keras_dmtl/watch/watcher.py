"""Video to tracks to records: the loop of `keras-dmtl watch`."""

import datetime
import time as clock

import numpy as np

from keras_dmtl.watch.sources import SourceEnded
from keras_dmtl.watch.stage_times import StageTimes
from keras_dmtl.watch.tracker import FaceTracker

STORED_LABELS = ("gender", "race", "expression")
"""Tasks whose winning class is a column of the stored track, when the
model has them (and `age`, whose median value is one)."""


class Watcher:
    """Follows the faces of video sources and hands finished tracks on.

    Every frame of every source is read in turn. The detector (MTCNN, the
    one `predict` uses) runs on every `detect_every`-th frame of a source;
    between, `FaceTracker` follows the faces by optical flow. Each detected
    face is aligned on its five landmarks as in training and queued; the
    queue goes through the model artifact (any `Runtime`) in batches of up
    to `batch_size` faces from all sources at once. A track that ends is a
    visitor when it lasted `min_seconds` and the detector's mean confidence
    reached `min_confidence`: its answers are summarised per task and it is
    handed to `sink.put` as a `keras_dmtl.store.TrackRecord`; shorter ones
    are counted, not stored.

    Args:
        runtime: a loaded artifact (`keras_dmtl.export.load_artifact`).
        sources: list of `FrameSource`.
        aligner: a `keras_dmtl.data.FaceAligner` (its `size` must be the
            artifact's image size).
        sink: an object with `put(record)` (a `keras_dmtl.store.TrackWriter`),
            or None to keep the records in `records`.
        detect_every: int, run the detector on one frame in this many.
        batch_size: int, the most faces per run of the model.
        min_seconds: float, the shortest track that is stored.
        min_confidence: float, the lowest mean detection confidence stored.
        save_faces: bool, store the best aligned crop of each track (JPEG).
        live: an object with `update(source_name, rows)` (a
            `keras_dmtl.store.LiveWriter`) that is given the tracks in
            view (`live_row`) every `live_every` seconds, or None.
        live_every: float, seconds between live updates.
        log: a callable taking one line of text.

    Example:

    ```python
    from keras_dmtl.data import FaceAligner
    from keras_dmtl.export import load_artifact
    from keras_dmtl.watch import Watcher, open_source

    runtime = load_artifact("export/model.tflite")
    watcher = Watcher(runtime, [open_source("door=video.mp4")],
                      FaceAligner(runtime.image_size, cache=False))
    stats = watcher.run()
    watcher.records[0].age
    ```
    """

    def __init__(self, runtime, sources, aligner, sink=None, detect_every=5,
                 batch_size=16, min_seconds=1.0, min_confidence=0.9,
                 save_faces=False, live=None, live_every=1.0, log=print):
        if detect_every < 1:
            raise ValueError(f"detect_every must be at least 1, got "
                             f"{detect_every}")
        if aligner.size != runtime.image_size:
            raise ValueError(f"the aligner crops {aligner.size} px faces but "
                             f"{runtime.path} takes {runtime.image_size} px")
        self.runtime = runtime
        self.sources = list(sources)
        self.aligner = aligner
        self.sink = sink
        self.detect_every = int(detect_every)
        self.batch_size = int(batch_size)
        self.min_seconds = float(min_seconds)
        self.min_confidence = float(min_confidence)
        self.save_faces = bool(save_faces)
        self.live = live
        self.live_every = float(live_every)
        self.log = log
        self._live_at = -float("inf")
        self.records = []
        self.times = StageTimes()
        self.counts = {"frames": 0, "faces": 0, "tracks_stored": 0,
                       "tracks_too_short": 0}
        self._trackers = {s.name: FaceTracker(s.name) for s in self.sources}
        self._uris = {s.name: str(s.uri) for s in self.sources}
        self._frame_index = {s.name: 0 for s in self.sources}
        self._queue = []  # (track, time, crop, confidence)
        self._ended = []  # tracks ended, to finish once their faces ran

    def run(self, max_frames=None, stop=None, every_round=None):
        """Reads the sources until they end (or `max_frames`, or `stop()`).

        Ctrl-C stops it too: the tracks in view are finished and stored
        before it returns.

        Args:
            max_frames: int, stop after this many frames of all sources.
            stop: a callable; the watcher stops when it returns True.
            every_round: a callable run once per round of the sources
                (housekeeping such as `Retention.tick`).

        Returns:
            A dict: frames, faces, tracks stored and too short, frames per
            second, whether it was interrupted, and the seconds spent per
            stage (`StageTimes`).
        """
        import cv2

        active = list(self.sources)
        start = clock.perf_counter()
        interrupted = False
        try:
            while active and not (stop and stop()):
                if every_round is not None:
                    every_round()
                if max_frames and self.counts["frames"] >= max_frames:
                    break
                for source in list(active):
                    with self.times("decode"):
                        try:
                            frame = source.read()
                        except SourceEnded:
                            active.remove(source)
                            self._ended += self._trackers[source.name].close()
                            continue
                    if frame is None:
                        continue
                    seconds, image = frame
                    self.counts["frames"] += 1
                    with self.times("track"):
                        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
                    self._ended += self._frame(source.name, seconds, image,
                                                gray)
                if len(self._queue) >= self.batch_size or self._ended:
                    self._infer()
                while self._ended:
                    self._finish(self._ended.pop(0))
                self._show_live()
        except KeyboardInterrupt:
            interrupted = True
            self.log("interrupted: storing the tracks in view")
        try:
            self._infer()
            for tracker in self._trackers.values():
                self._ended += tracker.close()
            while self._ended:
                self._finish(self._ended.pop(0))
        finally:
            for source in self.sources:
                source.close()
        wall = clock.perf_counter() - start
        return dict(self.counts, seconds=round(wall, 3),
                    interrupted=interrupted,
                    frames_per_second=round(self.counts["frames"] / wall, 2)
                    if wall else 0.0,
                    stages=self.times.as_dict())

    def _show_live(self):
        """Hands the tracks in view to `live`, every `live_every` s."""
        if self.live is None:
            return
        now = clock.perf_counter()
        if now - self._live_at < self.live_every:
            return
        self._live_at = now
        for name, tracker in self._trackers.items():
            self.live.update(name, [self.live_row(track)
                                    for track in tracker.tracks
                                    if track.answers])

    def live_row(self, track):
        """What the live page shows of a track in view (a dict)."""
        _, x, y, w, h = track.boxes[-1]
        return dict(key=track.key, first_seen=_utc(track.first_time),
                    last_seen=_utc(track.last_time),
                    box=[round(float(v), 1) for v in (x, y, w, h)],
                    confidence=round(float(track.confidence), 4),
                    **_columns(track.summary(self.runtime.tasks)))

    def _frame(self, name, seconds, image, gray):
        """Tracks one frame; queues the faces detected on it."""
        from keras_dmtl.data.alignment import align_face

        index = self._frame_index[name]
        self._frame_index[name] += 1
        detections, faces = None, []
        if index % self.detect_every == 0:
            with self.times("detect"):
                faces = self.aligner.detect(image)
            detections = [(f["box"], f["confidence"]) for f in faces]
        with self.times("track"):
            joined, ended = self._trackers[name].update(gray, seconds,
                                                        detections)
        with self.times("align"):
            for track, index in joined:
                face = faces[index]
                crop = align_face(image, face["landmarks"], self.aligner.size,
                                  self.aligner.scale)
                self._queue.append((track, seconds, crop, face["confidence"]))
        self.counts["faces"] += len(joined)
        return ended

    def _infer(self):
        """Runs the queued faces through the model; answers to their tracks."""
        while self._queue:
            batch = self._queue[:self.batch_size]
            self._queue = self._queue[self.batch_size:]
            with self.times("infer"):
                outputs = self.runtime.predict(
                    np.stack([crop for _, _, crop, _ in batch]),
                    batch_size=self.batch_size)
                for i, (track, seconds, crop, confidence) in enumerate(batch):
                    track.add_answers(seconds, self.runtime.describe(outputs,
                                                                     i),
                                      crop if self.save_faces else None,
                                      confidence)

    def _finish(self, track):
        """Stores a track that lasted, counts one that did not."""
        if (track.duration < self.min_seconds or not track.answers
                or track.confidence < self.min_confidence):
            self.counts["tracks_too_short"] += 1
            return
        with self.times("write"):
            record = self.record(track)
            if self.sink is not None:
                self.sink.put(record)
            else:
                self.records.append(record)
        self.counts["tracks_stored"] += 1

    def record(self, track):
        """The `TrackRecord` of a finished track."""
        from keras_dmtl.store import TrackRecord

        tasks = self.runtime.tasks
        summary = track.summary(tasks)
        return TrackRecord(
            key=track.key, source=track.source,
            source_uri=self._uris.get(track.source, track.source),
            first_seen=_utc(track.first_time),
            last_seen=_utc(track.last_time), frames=track.frames,
            detections=track.detections,
            confidence=round(track.confidence, 4), attributes=summary,
            boxes=track.boxes,
            face_jpeg=_jpeg(track.face[1]) if track.face else None,
            observations=[(_utc(t), values)
                          for t, values in track.series(tasks)],
            **_columns(summary))


def _columns(summary):
    """The stored columns of a track's summary: the age and the winning
    class of each task in `STORED_LABELS`."""
    age = summary.get("age", {}).get("value")
    return dict(age=None if age is None else float(age),
                **{name: summary.get(name, {}).get("label")
                   for name in STORED_LABELS})


def _utc(seconds):
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)


def _jpeg(rgb):
    """An RGB crop as JPEG bytes."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.asarray(rgb, "uint8")).save(buffer, "JPEG",
                                                   quality=90)
    return buffer.getvalue()
