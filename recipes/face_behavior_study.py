"""FaceBehaviorNet's study: do related tasks teach each other here?

FaceBehaviorNet couples expressions and action units through what is known
of how they relate (Du et al. 2014's P(action unit | expression)), so that
datasets labelled for one of them also teach the other. This recipe tests
that claim on four datasets whose labels never overlap (UTKFace: age,
gender, race; FER2013: expression; CK+: action units and expression, split
by subject; DiffusionFER: valence/arousal), under one budget:

- (a) each task alone, on the datasets that label it;
- (b) all tasks in one model, no coupling;
- (c) with distribution matching, expression -> AUs and AUs -> expression;
- (d) with soft co-annotation;
- (e) with both.

Each configuration trains with `--seeds` seeds; every task is scored on the
test faces of each dataset that labels it (CK+ on unseen subjects, its AU
thresholds chosen on held-out training subjects). `study.md` and
`study.csv` give the mean and standard deviation per configuration, in the
shape of the paper's tables, and the differences that exceed the seeds'
spread. With no folder, four slices of the synthetic faces stand in (their
action units follow their expression with Du et al.'s probabilities); that
default run, a check that the study runs rather than a result, takes
minutes on a 2-core CPU:

    python recipes/face_behavior_study.py \
        --ckplus ../shared/data/ckplus128 \
        --affect ../shared/data/diffusionfer_va \
        --utkface ../shared/data/utkface --fer2013 ../shared/data/fer2013 \
        --backbone mobilenet_v2 --image-size 64 --epochs 4 --seeds 2 \
        --weights ../shared/weights/mobilenet_v2_1.0_224_no_top_imagenet.weights.h5

A rerun of the same command resumes: finished runs (`runs/<config>_seed<k>/
metrics.json`) are kept.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # quiet TensorFlow start-up

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import keras_dmtl  # noqa: E402
from keras_dmtl.coupling import ActionUnitsToExpression  # noqa: E402
from keras_dmtl.coupling import ExpressionToActionUnits  # noqa: E402
from keras_dmtl.coupling import SoftCoAnnotation  # noqa: E402
from keras_dmtl.coupling import TaskRelatedness  # noqa: E402
from keras_dmtl.data import mixed_dataset  # noqa: E402
from keras_dmtl.evaluation import compare_runs  # noqa: E402
from keras_dmtl.evaluation import write_run_metrics  # noqa: E402
from keras_dmtl.training import RunFolder  # noqa: E402
from keras_dmtl.training import add_training_arguments  # noqa: E402
from keras_dmtl.training import calibrate_on  # noqa: E402
from keras_dmtl.training import held_out_scores  # noqa: E402
from keras_dmtl.training import hold_out_for_calibration  # noqa: E402
from keras_dmtl.training import make_optimizer  # noqa: E402
from keras_dmtl.training import read_face_behavior_data  # noqa: E402
from keras_dmtl.training import union_tasks  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--utkface", help="UTKFace folder (age, gender, race)")
parser.add_argument("--fer2013", help="FER2013 folder (expression)")
parser.add_argument("--ckplus", help="CK+ folder (action units, expression)")
parser.add_argument("--affect", help="DiffusionFER valence/arousal folder")
parser.add_argument("--shares", default="0.35,0.25,0.2,0.2",
                    help="share of each batch from UTKFace, FER2013, CK+ "
                         "and DiffusionFER")
parser.add_argument("--configs", default="a,b,c,d,e",
                    help="which of the configurations a-e to run")
parser.add_argument("--seeds", type=int, default=2)
parser.add_argument("--test-fraction", type=float, default=0.2)
parser.add_argument("--synthetic-size", type=int, default=600)
add_training_arguments(parser, out="runs/face_behavior_study")
# A study trains many models: small ones by default.
parser.set_defaults(backbone="mobilenet_v2_0.35", image_size=48, epochs=3,
                    optimizer="adam", learning_rate=1e-3)
args = parser.parse_args()
run = RunFolder.from_arguments(args)  # resumes an unfinished study
run.record("runs")

"""
## The data: one split for every configuration
"""

given = {"utkface": args.utkface, "fer2013": args.fer2013,
         "ckplus": args.ckplus, "affect": args.affect}
datasets = read_face_behavior_data(given, args.test_fraction, seed=0,
                                   synthetic_size=args.synthetic_size,
                                   image_size=args.image_size)
tasks = union_tasks(datasets)
datasets, calibration = hold_out_for_calibration(datasets, tasks, seed=0)
for train, test in datasets.values():
    print(f"{train.source}: {len(train)} training, {len(test)} test faces, "
          f"tasks {train.task_names}")
share_of = dict(zip(["utkface", "fer2013", "ckplus", "affect"],
                    [float(s) for s in args.shares.split(",")]))

"""
## The couplings

Du et al.'s table, between the expression and the action units CK+ labels.
"""

aus = next((t for t in datasets["ckplus"][0].tasks if t.name != "expression"),
           None) if "ckplus" in datasets else None
expression = next((t for t in tasks if t.name == "expression"), None)
couplings = {"b": []}
if aus is not None and expression is not None:
    table = TaskRelatedness.du2014(source="expression", target=aus.name)
    matching = [ExpressionToActionUnits(table), ActionUnitsToExpression(table)]
    co_annotation = [SoftCoAnnotation(table)]
    couplings.update(c=matching, d=co_annotation, e=matching + co_annotation)
else:
    print("No action unit or no expression task: configurations c-e need "
          "both and are skipped.")
configs = {}
for letter in args.configs.split(","):
    if letter == "a":
        configs.update({f"a_alone_{t.name}": ([t], []) for t in tasks})
    elif letter in couplings:
        name = {"b": "b_all_tasks", "c": "c_matching",
                "d": "d_co_annotation", "e": "e_both"}[letter]
        configs[name] = (tasks, couplings[letter])

"""
## Every configuration, every seed
"""


def train_and_score(config_tasks, coupling, seed):
    names = {t.name for t in config_tasks}
    own = {name: parts for name, parts in datasets.items()
           if names & set(parts[0].task_names)}
    keras.utils.set_random_seed(seed)
    data = mixed_dataset([(train, share_of[name])
                          for name, (train, _) in own.items()],
                         config_tasks, args.image_size, args.batch_size,
                         augment=any(given.values()), seed=seed)
    steps = max(1, sum(len(train) for train, _ in own.values())
                // args.batch_size)
    model = keras_dmtl.DMTLModel(
        config_tasks, backbone=args.backbone, weights=args.weights,
        image_size=args.image_size, coupling=coupling or None)
    model.compile(optimizer=make_optimizer(
        args.optimizer, args.learning_rate, args.momentum, args.weight_decay))
    model.fit(data, steps_per_epoch=steps, epochs=args.epochs, verbose=0)
    calibrate_on(model, {n: v for n, v in calibration.items() if n in own},
                 args.image_size, args.batch_size)
    return held_out_scores(model, own, args.image_size, args.batch_size)


run_dirs = []
for config, (config_tasks, coupling) in configs.items():
    for seed in range(args.seeds):
        run_dir = os.path.join(args.out, "runs", f"{config}_seed{seed}")
        run_dirs.append(run_dir)
        if os.path.isfile(os.path.join(run_dir, "metrics.json")):
            print(f"{run_dir}: finished before, skipped")
            continue
        print(f"Training {config}, seed {seed}", flush=True)
        write_run_metrics(run_dir,
                          train_and_score(config_tasks, coupling, seed))

"""
## The table

One row per configuration; (a) gathers each task's own single-task model.
A difference from (b) is marked when it exceeds the spread of both rows
(the sum of their standard deviations); the last row is what guessing
gets, since models at that level differ by noise alone.
"""

COLUMNS = {
    "utkface:age_mae": "age MAE", "utkface:gender_accuracy": "gender acc",
    "utkface:race_accuracy": "race acc",
    "fer2013:expression_accuracy": "FER expr acc",
    "fer2013:expression_macro_f1": "FER expr F1",
    "ckplus:expression_accuracy": "CK+ expr acc",
    f"ckplus:{aus.name if aus else 'aus'}_mean_f1": "CK+ AU mean F1",
    "affect:affect_ccc": "VA CCC",
}
_, settings = compare_runs(run_dirs)
settings = settings.set_index("setting")
rows = {}
for setting, row in settings.iterrows():
    label = "a_alone" if setting.startswith("a_alone_") else setting
    cells = rows.setdefault(label, {})
    for column in COLUMNS:
        mean = row.get(f"{column}_mean")
        if mean is not None and not np.isnan(mean):
            cells[column] = (mean, row.get(f"{column}_std"), int(row["runs"]))
table, notes = [], []
for label, cells in rows.items():
    line = {"configuration": label}
    for column, title in COLUMNS.items():
        if column in cells:
            mean, std, _ = cells[column]
            line[title] = f"{mean:.4f} ± {0 if np.isnan(std) else std:.4f}"
            base = rows.get("b_all_tasks", {}).get(column)
            if base and label != "b_all_tasks":
                spread = np.nan_to_num(std) + np.nan_to_num(base[1])
                better = -1 if column.endswith("_mae") else 1
                change = (mean - base[0]) * better
                if abs(change) > max(spread, 5e-3):  # not rounding noise
                    notes.append(f"{label} vs b_all_tasks, {title}: "
                                 f"{mean:.4f} vs {base[0]:.4f} "
                                 f"({'better' if change > 0 else 'worse'}, "
                                 f"beyond the seeds' spread {spread:.4f})")
    table.append(line)
# What guessing gets (the most frequent training class, the training
# median or mean): a difference between models at this level means nothing.
guess = {"configuration": "chance"}
for column, title in COLUMNS.items():
    dataset, key = column.split(":")
    for task in tasks:
        if (dataset in datasets and key.startswith(f"{task.name}_")
                and task.name in datasets[dataset][1].task_names):
            train, test = datasets[dataset]
            chance = task.chance_metrics(train.labels[task.name],
                                         test.labels[task.name])
            metric = key[len(task.name) + 1:]
            if metric in chance:
                guess[title] = f"{chance[metric]:.4f}"
table.append(guess)
table = pd.DataFrame(table).fillna("")
markdown = table.to_markdown(index=False)
findings = "\n".join(f"- {note}" for note in notes) or (
    "- No configuration differs from b_all_tasks by more than the seeds' "
    "spread.")
findings += ("\n\nA difference counts only where both rows are clearly "
             "above the chance row.")
run.write_table("study.csv", table, index=False)
run.write_text("study.md", f"{markdown}\n\nMean ± standard deviation over "
               f"{args.seeds} seed(s). Differences from b_all_tasks beyond "
               f"the seeds' spread:\n\n{findings}\n")
run.commit()
print(markdown)
print(findings)
print(f"Saved study.csv and study.md in {args.out}")
