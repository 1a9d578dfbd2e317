"""Class offsets for rare classes, chosen on one half of a test split.

A trained model's test faces (a run's `test_utkface.csv`) are split in two
halves, duplicate-safe and seeded (`split_examples(faces, 0.5, seed)`):
the calibration half chooses the strength of the prior correction
(`NominalTask.choose_offsets`, the same as `keras-dmtl calibrate`), the
evaluation half, never looked at for the choice, reports accuracy,
macro-F1 and every class's recall with and without the offsets. The
strength sweep is printed for both halves so the trade-off is visible.
The halves are written as CSV files for `keras-dmtl calibrate` and
`keras-dmtl evaluate`.

    python benchmarks/class_offsets.py runs/utkface_fer/model.keras \\
        --data runs/utkface_fer/test_utkface.csv --tasks race \\
        --out runs/utkface_fer/offsets
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from keras_dmtl import NominalTask  # noqa: E402
from keras_dmtl.data import face_dataset  # noqa: E402
from keras_dmtl.data import split_examples  # noqa: E402
from keras_dmtl.data.any_format import read_any  # noqa: E402
from keras_dmtl.evaluation import collect_predictions  # noqa: E402
from keras_dmtl.evaluation.scores import confusion_matrix  # noqa: E402
from keras_dmtl.evaluation.scores import nominal_scores  # noqa: E402
from keras_dmtl.evaluation.scores import per_class_scores  # noqa: E402
from keras_dmtl.models.load_model import load_dmtl_model  # noqa: E402
from keras_dmtl.tasks import find_task  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("model", help="a trained DMTLModel file")
parser.add_argument("--data", required=True, help="the run's test faces")
parser.add_argument("--tasks", nargs="+", default=["race"])
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--min-recall", type=float,
                    help="as `keras-dmtl calibrate --min-recall`")
parser.add_argument("--test-time-flip", action=argparse.BooleanOptionalAction,
                    help="answers as the mean over each face and its mirror, "
                         "or not (default: as the model does), as "
                         "`keras-dmtl calibrate --test-time-flip`")
parser.add_argument("--out", required=True, help="folder for the halves")
args = parser.parse_args()
os.makedirs(args.out, exist_ok=True)

model = load_dmtl_model(args.model, args.test_time_flip)
tasks = [find_task(model.tasks, name) for name in args.tasks]
for task in tasks:
    if not isinstance(task, NominalTask):
        raise SystemExit(f"{args.model}: '{task.name}' is not a nominal task "
                         "(class offsets are for nominal tasks only)")
    if task.class_offsets is not None:
        raise SystemExit(f"{args.model}: '{task.name}' has class offsets "
                         "already; give the model as trained")
examples = read_any(args.data, model.tasks)
calibration, evaluation = split_examples(examples, 0.5, args.seed)
print(f"{len(examples)} test faces: {len(calibration)} to calibrate on, "
      f"{len(evaluation)} to report on (seed {args.seed})")
for name, half in (("calibration", calibration), ("evaluation", evaluation)):
    half.to_csv(os.path.join(args.out, f"{name}.csv"))


def predictions(half):
    data = face_dataset(half, tasks, model.image_size, 64)
    return collect_predictions(model, data, tasks)


def scores(task, labels, probabilities, offsets):
    """Scores of the answers the task gives with `offsets`."""
    mask = labels >= 0
    adjusted = NominalTask(task.name, task.classes, offsets)
    predicted = adjusted.predict_index(
        np.log(np.clip(probabilities[mask], 1e-12, None)))
    true = labels[mask]
    _, recall, _ = per_class_scores(
        confusion_matrix(true, predicted, task.num_classes))
    overall = nominal_scores(true, predicted, task.num_classes)
    return {"accuracy": round(overall["accuracy"], 4),
            "macro-F1": round(overall["macro_f1"], 4),
            **{f"recall {c}": round(float(r), 3)
               for c, r in zip(task.classes, recall)}}


held_out = predictions(calibration)
reported = predictions(evaluation)
for task in tasks:
    chosen = task.choose_offsets(
        held_out[task.name].labels,
        held_out[task.name].outputs[f"{task.name}_probabilities"],
        min_recall=args.min_recall)
    sweep = pd.DataFrame(chosen["by_strength"])
    print(f"\n{task.name}: strengths on the calibration half "
          f"(chosen: {chosen['strength']})")
    print(sweep.to_markdown(index=False, floatfmt=".4f"))
    labels = reported[task.name].labels
    probabilities = reported[task.name].outputs[f"{task.name}_probabilities"]
    unit = task.prior_offsets(held_out[task.name].labels)
    rows = [{"strength": s, **scores(task, labels, probabilities, s * unit)}
            for s in sweep["strength"]]
    print(f"\n{task.name}: the same strengths on the evaluation half "
          "(for the record; the choice used only the calibration half)")
    print(pd.DataFrame(rows).to_markdown(index=False, floatfmt=".4f"))
    table = pd.DataFrame([
        {"model": "as trained", **scores(task, labels, probabilities, None)},
        {"model": f"offsets, strength {chosen['strength']}",
         **scores(task, labels, probabilities, task.class_offsets)}])
    print(f"\n{task.name} on the evaluation half ({int(np.sum(labels >= 0))}"
          " faces)")
    print(table.to_markdown(index=False, floatfmt=".4f"))
    table.to_csv(os.path.join(args.out, f"{task.name}_offsets.csv"),
                 index=False)
