"""Faces followed between detections: optical flow, then IoU matching."""

import numpy as np

from keras_dmtl.watch.track import Track


def box_iou(a, b):
    """Intersection over union of two `[x, y, width, height]` boxes."""
    ax2, ay2 = a[0] + a[2], a[1] + a[3]
    bx2, by2 = b[0] + b[2], b[1] + b[3]
    width = min(ax2, bx2) - max(a[0], b[0])
    height = min(ay2, by2) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    return float(inter / (a[2] * a[3] + b[2] * b[3] - inter))


class FaceTracker:
    """Keeps the faces of one video source as tracks.

    The detector runs on some frames only (every N-th, see `Watcher`). On
    the frames between, each face's box follows the image: corner points
    inside the box are followed with pyramidal Lucas-Kanade optical flow
    and the box moves by their median motion (scaled by the change of
    their spread). On a frame with detections, boxes are joined to tracks
    by the largest total overlap (Hungarian assignment on IoU, at least
    `min_iou`); a detection joined to no track starts one; a track not
    found by `max_missed` detections in a row, or whose box has left the
    frame, ends and is handed back by `update`.

    Args:
        source: str, the source's name, given to its tracks.
        min_iou: float, the overlap below which a detection is not the
            same face as a track. Defaults to 0.3.
        max_missed: int, detections in a row a track may go unseen before
            it ends. Defaults to 2.

    Example:

    ```python
    tracker = FaceTracker("door")
    joined, ended = tracker.update(gray, 0.0,
                                   detections=[([10, 10, 80, 80], 0.99)])
    joined[0][0]  # the Track of the first detection
    ```
    """

    def __init__(self, source, min_iou=0.3, max_missed=2):
        if not 0 < min_iou <= 1:
            raise ValueError(f"min_iou must be in (0, 1], got {min_iou}")
        if max_missed < 0:
            raise ValueError(f"max_missed must be at least 0, got "
                             f"{max_missed}")
        self.source = source
        self.min_iou = float(min_iou)
        self.max_missed = int(max_missed)
        self.tracks = []
        self._gray = None
        self._points = {}  # track key -> (n, 1, 2) float32 points

    def update(self, gray, time, detections=None):
        """Moves the tracks to a new frame, joining detections if any.

        Args:
            gray: the frame in grayscale, `uint8 (height, width)`.
            time: float, its time in seconds.
            detections: None on a frame the detector did not run on; else a
                list of `(box, confidence)` (possibly empty).

        Returns:
            `(joined, ended)`: `joined` lists `(track, index)` for each
            detection (its index in `detections`); `ended` the tracks that
            ended on this frame.
        """
        self._follow(gray, time, moved=detections is None)
        joined, ended = [], []
        if detections is not None:
            joined = self._join(gray, time, detections)
            for track in self.tracks:
                if all(track is not t for t, _ in joined):
                    track.move(time, track.box)
                    track.missed += 1
        height, width = gray.shape[:2]
        for track in list(self.tracks):
            if (track.missed > self.max_missed
                    or not _inside(track.box, width, height)):
                ended.append(track)
                self.tracks.remove(track)
                self._points.pop(track.key, None)
        self._gray = gray
        return joined, ended

    def close(self):
        """Ends every track (the video ended); returns them."""
        ended, self.tracks, self._points = self.tracks, [], {}
        return ended

    def _follow(self, gray, time, moved):
        """Moves every track's box by the optical flow of its points."""
        import cv2

        if self._gray is None or self._gray.shape != gray.shape:
            return
        for track in self.tracks:
            points = self._points.get(track.key)
            box = track.box
            if points is not None and len(points) >= 3:
                new, status, _ = cv2.calcOpticalFlowPyrLK(
                    self._gray, gray, points, None, winSize=(15, 15),
                    maxLevel=2)
                good = status.reshape(-1) == 1
                if good.sum() >= 3:
                    old_p = points.reshape(-1, 2)[good]
                    new_p = new.reshape(-1, 2)[good]
                    shift = np.median(new_p - old_p, axis=0)
                    # a face changes size slowly: at most 5 % a frame, and
                    # within 0.7-1.4 times its last detected size
                    scale = _spread(new_p) / max(_spread(old_p), 1e-6)
                    scale = float(np.clip(scale, 0.95, 1.05))
                    scale = float(np.clip(box[2] * scale,
                                          0.7 * track.detected_width,
                                          1.4 * track.detected_width)
                                  / box[2])
                    cx = box[0] + box[2] / 2 + shift[0]
                    cy = box[1] + box[3] / 2 + shift[1]
                    w, h = box[2] * scale, box[3] * scale
                    box = [cx - w / 2, cy - h / 2, w, h]
                    self._points[track.key] = new_p.reshape(-1, 1, 2)
                else:
                    self._points.pop(track.key, None)
            if moved:
                track.move(time, box)
            else:
                track.box = box

    def _join(self, gray, time, detections):
        """Joins detections to tracks; new tracks for the others."""
        from scipy.optimize import linear_sum_assignment

        joined = []
        free = set(range(len(detections)))
        if self.tracks and detections:
            overlap = np.array([[box_iou(t.box, box) for box, _ in detections]
                                for t in self.tracks])
            rows, cols = linear_sum_assignment(-overlap)
            for row, col in zip(rows, cols):
                if overlap[row, col] >= self.min_iou:
                    track = self.tracks[row]
                    box, confidence = detections[col]
                    track.detected(time, box, confidence)
                    joined.append((track, col))
                    free.discard(col)
        for col in sorted(free):
            box, confidence = detections[col]
            track = Track(self.source, time, box, confidence)
            self.tracks.append(track)
            joined.append((track, col))
        for track, _ in joined:
            self._points[track.key] = _corners(gray, track.box)
        joined.sort(key=lambda pair: pair[1])
        return joined


def _corners(gray, box):
    """Corner points to follow inside the central part of a face box."""
    import cv2

    height, width = gray.shape[:2]
    x, y, w, h = box
    x0, y0 = int(max(0, x + 0.15 * w)), int(max(0, y + 0.15 * h))
    x1, y1 = int(min(width, x + 0.85 * w)), int(min(height, y + 0.85 * h))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    mask = np.zeros_like(gray)
    mask[y0:y1, x0:x1] = 255
    return cv2.goodFeaturesToTrack(gray, maxCorners=40, qualityLevel=0.01,
                                   minDistance=3, mask=mask)


def _spread(points):
    """The points' spread: their mean distance from their centre."""
    return float(np.mean(np.linalg.norm(points - points.mean(0), axis=1)))


def _inside(box, width, height):
    """Whether at least a third of the box is inside the frame."""
    x, y, w, h = box
    if w <= 0 or h <= 0:
        return False
    inside_w = min(x + w, width) - max(x, 0)
    inside_h = min(y + h, height) - max(y, 0)
    if inside_w <= 0 or inside_h <= 0:
        return False
    return inside_w * inside_h >= (w * h) / 3
