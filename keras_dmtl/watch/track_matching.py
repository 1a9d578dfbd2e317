"""Stored tracks against the true people of a test video."""

import numpy as np

from keras_dmtl.watch.tracker import box_iou

GENDERS = ("male", "female")
RACES = ("white", "black", "asian", "indian", "others")
"""UTKFace's label names, in the order of its file names' numbers."""


def match_tracks(tracks, people, fps, start=0.0, min_iou=0.3):
    """Joins each stored track to the true person it followed.

    A track follows a person on a frame where their boxes overlap by at
    least `min_iou`; it is joined to the person it followed on most frames,
    if that is at least half of its boxes (else it is a false track).

    Args:
        tracks: list of dicts with `key` and `boxes` (`[seconds, x, y, w,
            h]` per frame, as the watcher stores them), and any attributes.
        people: list of dicts with `id` and `boxes` (`[frame, x, y, w, h]`),
            as `TestVideoTruth.people` gives them.
        fps: float, the video's frame rate.
        start: float, the time the watcher gave the first frame.
        min_iou: float, the overlap that counts as following.

    Returns:
        A dict: `pairs` (`[(person id, track key)]`), `missed` (ids of
        people no track followed), `split` (ids followed by several tracks),
        `false_tracks` (keys joined to nobody).
    """
    truth = {}
    for person in people:
        for frame, *box in person["boxes"]:
            truth.setdefault(int(frame), []).append((person["id"], box))
    pairs, false_tracks = [], []
    for track in tracks:
        votes = {}
        for seconds, *box in track["boxes"]:
            frame = int(round((seconds - start) * fps))
            for person, true_box in truth.get(frame, ()):
                if box_iou(box, true_box) >= min_iou:
                    votes[person] = votes.get(person, 0) + 1
        best = max(votes, key=votes.get) if votes else None
        if best is not None and votes[best] >= len(track["boxes"]) / 2:
            pairs.append((best, track["key"]))
        else:
            false_tracks.append(track["key"])
    followed = [person for person, _ in pairs]
    return {"pairs": pairs,
            "missed": [p["id"] for p in people if p["id"] not in followed],
            "split": sorted({p for p in followed if followed.count(p) > 1}),
            "false_tracks": false_tracks}


def attribute_scores(pairs, tracks, people):
    """Each joined track's attributes against its person's labels.

    Args:
        pairs: `match_tracks(...)["pairs"]`.
        tracks: dicts with `key`, `age`, `gender`, `race` (stored values).
        people: dicts with `id`, `age`, `gender`, `race` (UTKFace numbers,
            None where unknown).

    Returns:
        A dict: `age_mae` and the `gender_accuracy` / `race_accuracy` over
        the joined tracks whose person has that label (None if none), and
        how many were scored (`age_count`, ...).
    """
    by_key = {t["key"]: t for t in tracks}
    by_id = {p["id"]: p for p in people}
    errors, right = [], {"gender": [], "race": []}
    for person_id, key in pairs:
        track, person = by_key[key], by_id[person_id]
        if person.get("age") is not None and track.get("age") is not None:
            errors.append(abs(float(track["age"]) - float(person["age"])))
        for name, names in (("gender", GENDERS), ("race", RACES)):
            if person.get(name) is not None and track.get(name):
                right[name].append(track[name] == names[int(person[name])])
    scores = {"age_mae": float(np.mean(errors)) if errors else None,
              "age_count": len(errors)}
    for name, hits in right.items():
        scores[f"{name}_accuracy"] = float(np.mean(hits)) if hits else None
        scores[f"{name}_count"] = len(hits)
    return scores


def stored_tracks(database):
    """The tracks of a database as the dicts `match_tracks` takes.

    Args:
        database: a `keras_dmtl.store.Database` (or its URL).

    Returns:
        A list of dicts: key, source, boxes, age, gender, race, expression,
        detections, in the order they were first seen.
    """
    from sqlalchemy import select

    from keras_dmtl.store import Track
    from keras_dmtl.store import open_database

    if isinstance(database, str):
        database = open_database(database)
    with database.read_only_session() as session:
        rows = session.scalars(select(Track).order_by(Track.first_seen))
        return [{"key": t.key, "source": t.source.name, "boxes": t.boxes,
                 "age": t.age, "gender": t.gender, "race": t.race,
                 "expression": t.expression, "detections": t.detections}
                for t in rows]
