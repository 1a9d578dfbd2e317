"""The scene of a test video: a synthetic room and the people's paths.

Used by `test_video.make_test_video`: `draw_room` paints a plausible but
synthetic indoor background, `soft_mask` the alpha a face is pasted with,
and `plan_people` where each person is in each frame, under the rules the
ground truth relies on (few people at once, no overlapping boxes).
"""

import cv2
import numpy as np

MAX_IOU = 0.1
"""Two people's boxes (face and pasted square, as seen in the frame) never
overlap more than this IoU, so the ground truth is unambiguous."""

_WALLS = [(206, 196, 178), (190, 196, 200), (200, 205, 188), (215, 205, 190),
          (185, 180, 175)]
_FLOORS = [(140, 105, 75), (120, 118, 112), (160, 140, 110), (95, 90, 88)]
_DOORS = [(150, 110, 70), (225, 222, 215), (120, 85, 60), (170, 175, 180)]


def draw_room(rng, width, height):
    """A static synthetic room: wall, floor, doors, a shelf, a picture.

    Args:
        rng: a `numpy.random.Generator`.
        width, height: ints, the frame size.

    Returns:
        `(room, doors)`: a float32 RGB array `(height, width, 3)` in 0..255,
        and the doors as a list of `(x, y, w, h)` boxes.
    """
    unit = width / 640
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    floor_y = int(height * rng.uniform(0.76, 0.82))
    wall = _jitter(rng, _WALLS[rng.integers(len(_WALLS))])
    light_x = rng.uniform(0.2, 0.8) * width
    shade = (1.08 - 0.16 * ys / floor_y) * (
        1 - 0.15 * ((xs - light_x) / width) ** 2)
    room = shade[..., None] * wall
    floor = _jitter(rng, _FLOORS[rng.integers(len(_FLOORS))])
    below = ys[floor_y:] - floor_y
    room[floor_y:] = floor * (1 - 0.25 * below / max(height - floor_y, 1)
                              )[..., None]
    plank = max(int(8 * unit), 3)
    for y in range(floor_y + plank, height, plank):
        room[y:y + 1] *= 0.85
    cv2.rectangle(room, (0, floor_y - int(6 * unit)), (width, floor_y),
                  tuple(0.9 * np.array(wall) + 20), -1)  # baseboard
    slot = width // 4
    kinds = ["door", "shelf", "picture", "door" if rng.random() < 0.5
             else "empty"]
    rng.shuffle(kinds)
    doors = []
    for index, kind in enumerate(kinds):
        left = index * slot
        if kind == "door":
            doors.append(_door(rng, room, left, slot, floor_y, unit))
        elif kind == "shelf":
            _shelf(rng, room, left, slot, floor_y, unit)
        elif kind == "picture":
            _picture(rng, room, left, slot, floor_y, unit)
    room += rng.normal(0, 3, room.shape).astype(np.float32)
    room = cv2.GaussianBlur(room, (3, 3), 0.8)
    vignette = 1 - 0.18 * (((xs - width / 2) / width) ** 2
                           + ((ys - height / 2) / height) ** 2)
    room = np.clip(room * vignette[..., None], 0, 255).astype(np.float32)
    return room, doors


def _jitter(rng, color, amount=8):
    return np.clip(np.array(color, np.float32)
                   + rng.uniform(-amount, amount, 3), 0, 255)


def _box(room, x0, y0, x1, y1, color):
    cv2.rectangle(room, (int(x0), int(y0)), (int(x1), int(y1)),
                  tuple(float(c) for c in color), -1)


def _door(rng, room, left, slot, floor_y, unit):
    w = int(slot * rng.uniform(0.62, 0.78))
    h = int(floor_y * rng.uniform(0.62, 0.72))
    x, y = left + (slot - w) // 2, floor_y - h
    trim = max(int(7 * unit), 2)
    color = _jitter(rng, _DOORS[rng.integers(len(_DOORS))])
    _box(room, x - trim, y - trim, x + w + trim, floor_y, 0.7 * color)
    _box(room, x, y, x + w, floor_y, color)
    inset = max(int(12 * unit), 3)
    for top, bottom in ((y + inset, y + 0.45 * h), (y + 0.52 * h,
                                                    floor_y - inset)):
        _box(room, x + inset, top, x + w - inset, bottom, 0.88 * color)
        _box(room, x + inset + 2, top + 2, x + w - inset - 2, bottom - 2,
             0.95 * color)
    cv2.circle(room, (int(x + w - 2 * inset), int(y + 0.55 * h)),
               max(int(5 * unit), 2), (200.0, 190.0, 120.0), -1)
    return (x, y, w, h)


def _shelf(rng, room, left, slot, floor_y, unit):
    w, h = int(slot * 0.8), int(floor_y * rng.uniform(0.42, 0.55))
    x, y = left + (slot - w) // 2, floor_y - h
    wood = _jitter(rng, (110, 80, 55))
    _box(room, x, y, x + w, floor_y, wood)
    rows, board = 4, max(int(6 * unit), 2)
    height = (h - board) / rows
    for row in range(rows):
        top, bottom = y + board + row * height, y + (row + 1) * height
        _box(room, x + board, top, x + w - board, bottom, 0.6 * wood)
        book_x = x + board + 1
        while book_x < x + w - board - 4 * unit:
            book_w = int(rng.uniform(4, 11) * unit) + 1
            book_h = (bottom - top) * rng.uniform(0.6, 0.92)
            color = rng.uniform(40, 200, 3) * rng.uniform(0.6, 1.0)
            _box(room, book_x, bottom - book_h,
                 min(book_x + book_w, x + w - board - 1), bottom, color)
            book_x += book_w + int(rng.integers(0, 3))


def _picture(rng, room, left, slot, floor_y, unit):
    w, h = int(slot * rng.uniform(0.5, 0.7)), int(floor_y * 0.25)
    x, y = left + (slot - w) // 2, int(floor_y * rng.uniform(0.15, 0.3))
    frame = max(int(6 * unit), 2)
    _box(room, x, y, x + w, y + h, _jitter(rng, (60, 50, 40)))
    sky, land = rng.uniform(120, 210, 3), rng.uniform(50, 150, 3)
    _box(room, x + frame, y + frame, x + w - frame, y + h // 2, sky)
    _box(room, x + frame, y + h // 2, x + w - frame, y + h - frame, land)
    cv2.circle(room, (int(x + w * 0.7), int(y + h * 0.3)),
               max(int(h * 0.1), 2), (230.0, 210.0, 150.0), -1)


def soft_mask(side):
    """Alpha (0..1, float32, `side` x `side`) of a soft ellipse in a square.

    The ellipse keeps the face and a little hair; it fades out over the
    outer fifth and towards the square's border, so no hard edge shows.
    """
    ys, xs = (np.mgrid[0:side, 0:side].astype(np.float32) + 0.5) / side
    r = np.sqrt(((xs - 0.5) / 0.52) ** 2 + ((ys - 0.52) / 0.56) ** 2)
    alpha = np.clip((1.0 - r) / 0.18, 0, 1)
    border = np.minimum(np.minimum(xs, 1 - xs), np.minimum(ys, 1 - ys))
    alpha *= np.clip(border / 0.06, 0, 1)
    return (alpha * alpha * (3 - 2 * alpha)).astype(np.float32)


def plan_people(rng, people, frame_count, fps, width, height, max_in_view,
                doors):
    """Where each person is in each frame.

    Args:
        rng: a `numpy.random.Generator`.
        people: list of `(side, face)`: the pasted square's side in pixels
            and the face box in it as fractions `(x, y, w, h)`.
        frame_count, fps, width, height: the video.
        max_in_view: int, the most people drawn in one frame.
        doors: list of `(x, y, w, h)`, where a person may appear.

    Returns:
        A list (in the order of `people`) of dicts: `tops`, a list of
        `(frame, x, y)`, the square's top left in each frame it is drawn;
        `boxes`, a list of `[frame, x, y, w, h]`, the face box clipped to
        the frame where at least half of it is in view.

    Raises:
        ValueError: when a person finds no room in the video.
    """
    occupied, plans = {}, []
    first = start = int(rng.uniform(0.3, 0.8) * fps)  # nobody at first
    step = max(1, int(fps // 5))
    for index, (side, face) in enumerate(people):
        plan = None
        starts = list(range(start, frame_count, step)) + list(
            range(first, min(start, frame_count), step))
        for candidate in starts:
            for _ in range(6):
                plan = _sample(rng, candidate, side, face, frame_count, fps,
                               width, height, doors)
                if plan is not None and _fits(plan, occupied, max_in_view):
                    break
                plan = None
            if plan is not None:
                break
        if plan is None:
            raise ValueError(
                f"{len(people)} people do not fit in {frame_count} frames "
                f"({frame_count / fps:.1f} s) with max_in_view={max_in_view}:"
                f" person {index + 1} found no room; give fewer faces or "
                "more seconds")
        for frame, square, box in plan.pop("shapes"):
            occupied.setdefault(frame, []).append((square, box))
        plans.append(plan)
        if rng.random() < 0.35:  # a quiet moment once everyone has left
            start = max(max(occupied) + 1, plan["tops"][0][0])
            start += int(rng.uniform(0.4, 1.2) * fps)
        else:
            start = plan["tops"][0][0] + int(rng.uniform(0.4, 1.6) * fps)
    return plans


_EXITS = {"left": {"right": 0.8, "bottom": 0.2},
          "right": {"left": 0.8, "bottom": 0.2},
          "bottom": {"left": 0.5, "right": 0.5},
          "door": {"left": 0.4, "right": 0.4, "bottom": 0.2}}


def _sample(rng, start, side, face, frame_count, fps, width, height, doors):
    """One random path starting at `start`, or None if it cannot be."""
    longest = (frame_count - start) / fps - 0.6
    if longest < 2:
        return None
    count = int(round(rng.uniform(2, min(6, longest)) * fps))
    ox, oy = (face[0] + face[2] / 2) * side, (face[1] + face[3] / 2) * side
    y_low, y_high = max(oy + 2, 0.2 * height), min(height - side + oy - 2,
                                                    0.65 * height)
    y_high = max(y_low, y_high)

    def point(edge):
        if edge == "left":
            return np.array([0.0, rng.uniform(y_low, y_high)])
        if edge == "right":
            return np.array([float(width), rng.uniform(y_low, y_high)])
        return np.array([rng.uniform(0.2, 0.8) * width, float(height)])

    entries = ["left", "right", "bottom"] + (["door"] if doors else [])
    weights = np.array([0.35, 0.35, 0.1, 0.2][:len(entries)])
    entry = entries[rng.choice(len(entries), p=weights / weights.sum())]
    exits = _EXITS[entry]
    exit_ = list(exits)[rng.choice(len(exits), p=list(exits.values()))]
    if entry == "door":
        x, y, w, h = doors[rng.integers(len(doors))]
        p0 = np.array([np.clip(x + w / 2, ox + 2, width - side + ox - 2),
                       np.clip(y + 0.3 * h, y_low, y_high)])
    else:
        p0 = point(entry)
    p1 = point(exit_)
    normal = np.array([p0[1] - p1[1], p1[0] - p0[0]])
    control = (p0 + p1) / 2 + normal * rng.uniform(-0.15, 0.15)
    last = count - 1

    def top(k):
        u = k / last
        if u < 0:
            center = p0 + u * 2 * (control - p0)
        elif u > 1:
            center = p1 + (u - 1) * 2 * (p1 - control)
        else:
            center = (1 - u) ** 2 * p0 + 2 * u * (1 - u) * control + u * u * p1
        return int(round(center[0] - ox)), int(round(center[1] - oy))

    def drawn(k):
        x, y = top(k)
        return x < width and x + side > 0 and y < height and y + side > 0

    before = after = 0
    while entry != "door" and before < count and drawn(-before - 1):
        before += 1
    while after < count and drawn(last + after + 1):
        after += 1
    if start + before + count + after > frame_count:
        return None
    fx, fy = int(round(face[0] * side)), int(round(face[1] * side))
    fw, fh = int(round(face[2] * side)), int(round(face[3] * side))
    tops, boxes, shapes = [], [], []
    for frame, k in enumerate(range(-before, last + after + 1), start):
        x, y = top(k)
        if y < 0 or ("bottom" not in (entry, exit_) and y + side > height):
            return None  # a head cut off at the top, or a floating one
        box = _clip((x + fx, y + fy, fw, fh), width, height)
        if box[2] * box[3] >= 0.5 * fw * fh:
            boxes.append([frame, *box])
        tops.append((frame, x, y))
        shapes.append((frame, _clip((x, y, side, side), width, height), box))
    if not boxes:
        return None
    return {"tops": tops, "boxes": boxes, "shapes": shapes}


def _clip(box, width, height):
    x0, y0 = max(box[0], 0), max(box[1], 0)
    x1, y1 = min(box[0] + box[2], width), min(box[1] + box[3], height)
    return (x0, y0, max(x1 - x0, 0), max(y1 - y0, 0))


def _iou(a, b):
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = max(w, 0) * max(h, 0)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def _fits(plan, occupied, max_in_view):
    for frame, square, box in plan["shapes"]:
        others = occupied.get(frame, [])
        if len(others) >= max_in_view:
            return False
        for other_square, other_box in others:
            if (_iou(square, other_square) >= MAX_IOU
                    or _iou(box, other_box) >= MAX_IOU):
                return False
    return True
