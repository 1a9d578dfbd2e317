"""Age decodings and age heads compared on the same held-out faces.

For each trained model given, the age task's threshold logits are computed
once on the test faces and decoded both ways `OrdinalTask` offers:
`count` (the paper's 1 + number of thresholds above 0.5) and `expected`
(1 + the sum of the threshold probabilities). A model trained with
`keras-dmtl train utkface --rank-consistent` has a CORAL head (one weight
vector shared by the thresholds); without it, 116 independent classifiers
(the paper's). Scores: exact accuracy (nearest rank), age-group accuracy
(UTKFace's nine groups), MAE and CS(5) (share of faces within 5 years).

    python benchmarks/ordinal_decoding.py runs/utkface/model.keras \\
        runs/utkface_coral/model.keras --data runs/utkface/test_set.csv
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from keras_dmtl.data import face_dataset  # noqa: E402
from keras_dmtl.data.any_format import read_any  # noqa: E402
from keras_dmtl.data.utkface import UTKFACE_AGE_GROUPS  # noqa: E402
from keras_dmtl.evaluation.scores import cumulative_scores  # noqa: E402
from keras_dmtl.evaluation.scores import ordinal_scores  # noqa: E402
from keras_dmtl.models.load_model import load_dmtl_model  # noqa: E402
from keras_dmtl.progress import predict_verbose  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("models", nargs="+", help="trained DMTLModel files")
parser.add_argument("--data", required=True,
                    help="the test faces (a run's test_set.csv, a folder)")
parser.add_argument("--task", default="age")
parser.add_argument("--out", help="CSV file for the table")
args = parser.parse_args()

rows = []
for path in args.models:
    model = load_dmtl_model(path)
    task = next(t for t in model.tasks if t.name == args.task)
    examples = read_any(args.data, [task])
    raw = model.predict(face_dataset(examples, [task.name], model.image_size,
                                     64), verbose=predict_verbose())
    logits = np.asarray(raw[task.name])
    labels = np.asarray(examples.labels[task.name])
    true_value = task.label_values(labels)
    head = "CORAL" if task.rank_consistent else "independent"
    for decoding in ("count", "expected"):
        task.decoding = decoding
        outputs = task.numpy_outputs(logits)
        predicted = np.asarray(outputs[task.name], "float64")
        scores = ordinal_scores(task.label_index(labels),
                                task.output_index(outputs),
                                true_value, predicted, UTKFACE_AGE_GROUPS)
        rows.append({
            "model": path, "head": head, "decoding": decoding,
            "faces": len(labels),
            "exact accuracy": round(scores["accuracy"], 4),
            "group accuracy": round(scores["group_accuracy"], 4),
            "MAE": round(scores["mae"], 3),
            "CS(5)": round(cumulative_scores(true_value, predicted, 5)[5], 4),
        })
        print(rows[-1], flush=True)

table = pd.DataFrame(rows)
print()
print(table.to_markdown(index=False))
if args.out:
    table.to_csv(args.out, index=False)
