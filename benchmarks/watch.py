"""The whole `watch` chain on the test video: frames per second per stage.

A 640x480, 25 fps test video of UTKFace faces from the seeded test split
(faces no recipe trained on) and the shared photograph crossing a room
(`keras-dmtl test-video`) goes through `Watcher` with each artifact into a
SQLite file, as `keras-dmtl watch` runs it. Per artifact: frames per
second end to end, seconds per stage (decode, detect, track, align, infer,
write), the tracks against the true people, and the attributes of each
track against its face's labels.

    python benchmarks/watch.py --utkface ../shared/data/utkface \\
        --photo ../shared/photos/astronaut.png \\
        --artifacts runs/watch_artifacts/model_fp32.tflite \\
                    runs/watch_artifacts/model.onnx
"""

import argparse
import datetime
import json
import os
import platform

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from keras_dmtl.data import read_utkface  # noqa: E402
from keras_dmtl.data import split_examples  # noqa: E402
from keras_dmtl.data.alignment import FaceAligner  # noqa: E402
from keras_dmtl.export.runtimes import load_artifact  # noqa: E402
from keras_dmtl.store import ModelRecord  # noqa: E402
from keras_dmtl.store import TrackWriter  # noqa: E402
from keras_dmtl.watch import TestVideoTruth  # noqa: E402
from keras_dmtl.watch import Watcher  # noqa: E402
from keras_dmtl.watch import attribute_scores  # noqa: E402
from keras_dmtl.watch import make_test_video  # noqa: E402
from keras_dmtl.watch import match_tracks  # noqa: E402
from keras_dmtl.watch import open_source  # noqa: E402
from keras_dmtl.watch.track_matching import stored_tracks  # noqa: E402

STAGES = ("decode", "detect", "track", "align", "infer", "write")
START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)

parser = argparse.ArgumentParser()
parser.add_argument("--utkface", required=True)
parser.add_argument("--photo")
parser.add_argument("--artifacts", nargs="+", required=True)
parser.add_argument("--faces", type=int, default=8)
parser.add_argument("--seconds", type=float, default=20.0)
parser.add_argument("--detect-every", type=int, default=5)
parser.add_argument("--detect-side", type=int, default=320)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--out", default="runs/watch_benchmark")
parser.add_argument("--test-set",
                    help="a run's test_utkface.csv: draw the faces only "
                         "among its test faces too (for a run trained on "
                         "re-aligned faces, whose split differs)")
args = parser.parse_args()



def held_out(paths, test_csv):
    """The `paths` that are test faces of a run too: listed in its
    `test_utkface.csv` as they are, or as re-aligned crops, which
    `align_examples` names by the SHA-1 of the original file."""
    import hashlib

    import pandas as pd

    images = pd.read_csv(test_csv)["image"].astype(str)
    listed = {os.path.realpath(p) for p in images}
    digests = {os.path.basename(p).split("_")[0] for p in images}
    kept = []
    for path in paths:
        if os.path.realpath(path) in listed:
            kept.append(path)
            continue
        with open(path, "rb") as handle:
            if hashlib.sha1(handle.read()).hexdigest() in digests:
                kept.append(path)
    return kept


# The video: faces of UTKFace's test split (seed 0, as the recipes hold out).
video_folder = os.path.join(args.out, "video")
if os.path.isfile(os.path.join(video_folder, "truth.json")):
    truth = TestVideoTruth.load(video_folder)
else:
    _, test = split_examples(read_utkface(args.utkface), 0.2, 0)
    candidates = test.paths
    if args.test_set:
        candidates = held_out(candidates, args.test_set)
        print(f"{len(candidates)} faces are in both test splits")
    chosen = np.random.default_rng(0).choice(len(candidates), args.faces,
                                             replace=False)
    truth = make_test_video(video_folder, [candidates[i] for i in chosen],
                            photo=args.photo, seconds=args.seconds, seed=0)
video = os.path.join(video_folder, "video.mp4")

rows = []
for path in args.artifacts:
    runtime = load_artifact(path, num_threads=args.threads)
    database = os.path.join(args.out, f"{os.path.basename(path)}.db")
    for suffix in ("", "-wal", "-shm"):  # this script's own file, rerun
        if os.path.exists(database + suffix):
            os.remove(database + suffix)
    url = f"sqlite:///{database}"
    writer = TrackWriter(url, ModelRecord(os.path.basename(path), path, "",
                                          runtime.name or "", []))
    watcher = Watcher(runtime, [open_source(f"door={video}", log=print,
                                            start=START.timestamp())],
                      FaceAligner(runtime.image_size, cache=False,
                                  detect_side=args.detect_side),
                      sink=writer, detect_every=args.detect_every)
    stats = watcher.run()
    writer.close()
    tracks = stored_tracks(url)
    found = match_tracks(tracks, truth.people, truth.fps,
                         start=START.timestamp())
    scores = attribute_scores(found["pairs"], tracks, truth.people)
    frames = stats["frames"]
    row = {"artifact": os.path.basename(path),
           "frames/s": stats["frames_per_second"],
           **{f"{stage} ms/frame": round(1000 * stats["stages"].get(
               stage, {"seconds": 0})["seconds"] / frames, 2)
              for stage in STAGES},
           "people": truth.count, "tracks": len(tracks),
           "missed": len(found["missed"]), "split": len(found["split"]),
           "false": len(found["false_tracks"]),
           "age MAE": scores["age_mae"],
           "gender acc": scores["gender_accuracy"],
           "race acc": scores["race_accuracy"]}
    rows.append(row)
    print(json.dumps(row))

import pandas as pd  # noqa: E402

table = pd.DataFrame(rows).to_markdown(index=False, floatfmt=".2f")
machine = f"{platform.machine()}, {os.cpu_count()} CPUs"
with open(os.path.join(args.out, "watch.md"), "w") as handle:
    handle.write(f"{table}\n\n{truth.count} people, {truth.frame_count} "
                 f"frames 640x480 at {truth.fps} fps; {machine}\n")
print(table)
