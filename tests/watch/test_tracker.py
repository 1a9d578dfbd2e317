import numpy as np
import pytest

from keras_dmtl.watch.tracker import FaceTracker
from keras_dmtl.watch.tracker import box_iou

SIZE = (240, 320)


def _texture(seed, side=60):
    return np.random.default_rng(seed).integers(0, 255, (side, side),
                                                dtype=np.uint8)


def _frame(patches):
    """A dark frame with textured squares at the given top-left corners."""
    frame = np.full(SIZE, 30, np.uint8)
    for texture, (x, y) in patches:
        side = texture.shape[0]
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(SIZE[1], x + side), min(SIZE[0], y + side)
        if x1 > x0 and y1 > y0:
            frame[y0:y1, x0:x1] = texture[y0 - y:y1 - y, x0 - x:x1 - x]
    return frame


def test_box_iou_by_hand():
    assert box_iou([0, 0, 10, 10], [0, 0, 10, 10]) == 1.0
    assert box_iou([0, 0, 10, 10], [5, 0, 10, 10]) == pytest.approx(50 / 150)
    assert box_iou([0, 0, 10, 10], [20, 20, 5, 5]) == 0.0


def test_flow_follows_a_face_between_detections():
    texture = _texture(0)
    tracker = FaceTracker("cam")
    for i in range(15):
        x, y = 40 + 4 * i, 80 + i
        detections = [([x, y, 60, 60], 0.99)] if i % 5 == 0 else None
        joined, ended = tracker.update(_frame([(texture, (x, y))]), i * 0.04,
                                       detections)
        assert not ended
        assert len(tracker.tracks) == 1
        box = tracker.tracks[0].box
        # between detections the box moves with the face, to a pixel or two
        assert abs(box[0] - x) < 2.5 and abs(box[1] - y) < 2.5, (i, box)
    track = tracker.tracks[0]
    assert track.frames == 15 and track.detections == 3
    assert track.duration == pytest.approx(14 * 0.04)
    assert len(track.boxes) == 15


def test_two_faces_keep_their_own_tracks_and_a_new_one_starts():
    a, b, c = _texture(1), _texture(2), _texture(3)
    tracker = FaceTracker("cam")
    keys = None
    for i in range(0, 11, 5):
        pa, pb = (20 + 3 * i, 40), (200 - 3 * i, 150)
        patches = [(a, pa), (b, pb)]
        detections = [([*pa, 60, 60], 0.99), ([*pb, 60, 60], 0.98)]
        if i == 10:  # a third face comes in; the order of detections changes
            patches.append((c, (250, 20)))
            detections = [([250, 20, 60, 60], 0.97)] + detections[::-1]
        joined, _ = tracker.update(_frame(patches), i * 0.04, detections)
        by_detection = {index: track.key for track, index in joined}
        if keys is None:
            keys = by_detection
        elif i < 10:
            assert by_detection == keys
        else:
            assert by_detection[2] == keys[0] and by_detection[1] == keys[1]
            assert by_detection[0] not in keys.values()
    assert len(tracker.tracks) == 3


def test_a_face_not_found_again_ends_after_max_missed_detections():
    texture = _texture(4)
    tracker = FaceTracker("cam", max_missed=1)
    frame = _frame([(texture, (100, 100))])
    tracker.update(frame, 0.0, [([100, 100, 60, 60], 0.99)])
    _, ended = tracker.update(_frame([]), 0.2, [])
    assert not ended  # missed once: still allowed
    _, ended = tracker.update(_frame([]), 0.4, [])
    assert len(ended) == 1 and not tracker.tracks
    assert ended[0].detections == 1


def test_a_face_that_leaves_the_frame_ends():
    texture = _texture(5)
    tracker = FaceTracker("cam", max_missed=10)
    ended_at = None
    for i in range(30):
        x = 220 + 8 * i
        detections = [([x, 90, 60, 60], 0.99)] if i == 0 else None
        _, ended = tracker.update(_frame([(texture, (x, 90))]), i * 0.04,
                                  detections)
        if ended:
            ended_at = i
            break
    # a third of a 60 px box is left inside a 320 px frame at x = 280
    assert ended_at is not None and 220 + 8 * ended_at >= 280


def test_close_ends_every_track_and_bad_arguments_are_refused():
    tracker = FaceTracker("cam")
    tracker.update(_frame([]), 0.0, [([10, 10, 50, 50], 0.9),
                                     ([200, 100, 50, 50], 0.9)])
    assert len(tracker.close()) == 2 and not tracker.tracks
    with pytest.raises(ValueError, match="min_iou"):
        FaceTracker("cam", min_iou=0)
    with pytest.raises(ValueError, match="max_missed"):
        FaceTracker("cam", max_missed=-1)
