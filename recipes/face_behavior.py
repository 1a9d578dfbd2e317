"""Every kind of face attribute from datasets whose labels do not overlap.

One network learns action units (multi-label), expressions (nominal),
valence and arousal (regression), and age (ordinal), gender and race
(nominal), as FaceBehaviorNet and DMTL do, from four datasets that each
label a few of those tasks:

| dataset      | tasks it labels                    |
|--------------|------------------------------------|
| UTKFace      | age, gender, race                  |
| FER2013      | expression                         |
| CK+          | 17 action units, expression        |
| DiffusionFER | valence and arousal, expression    |

Each batch mixes faces of every dataset given (`--shares`); a face's
missing tasks carry the task's missing label (-1, or NaN for valence and
arousal) and drop out of those losses and metrics. Give any subset of the
datasets; with none, four slices of the built-in synthetic faces stand in
for them, so the recipe runs anywhere:

    python recipes/face_behavior.py \
        --ckplus ../shared/data/ckplus128 \
        --affect ../shared/data/diffusionfer_va \
        --utkface ../shared/data/utkface --fer2013 ../shared/data/fer2013 \
        --backbone mobilenet_v2 --image-size 96 --optimizer adam \
        --learning-rate 3e-4 --epochs 10 \
        --weights ../shared/weights/mobilenet_v2_1.0_224_no_top_imagenet.weights.h5

CK+ is split by subject, so no person is on both sides; the action-unit
decision thresholds are chosen on held-out training subjects, never on the
test subjects. The run folder gets `model.keras`, `history.csv`,
`metrics.json` (every task on every dataset's test faces, beside chance)
`run.json`, and the test faces of each dataset read from files
(`test_<dataset>.csv`), for `keras-dmtl evaluate MODEL --data CSV`.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # quiet TensorFlow start-up

import keras  # noqa: E402

import keras_dmtl  # noqa: E402
from keras_dmtl.data import face_dataset  # noqa: E402
from keras_dmtl.data import mixed_dataset  # noqa: E402
from keras_dmtl.training import add_training_arguments  # noqa: E402
from keras_dmtl.training import make_optimizer  # noqa: E402
from keras_dmtl.training import results_against_chance  # noqa: E402
from keras_dmtl.training import RunFolder  # noqa: E402
from keras_dmtl.training import calibrate_on  # noqa: E402
from keras_dmtl.training import hold_out_for_calibration  # noqa: E402
from keras_dmtl.training import read_face_behavior_data  # noqa: E402
from keras_dmtl.training import union_tasks  # noqa: E402
from keras_dmtl.training import save_run  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--utkface", help="UTKFace folder (age, gender, race)")
parser.add_argument("--fer2013", help="FER2013 folder (expression)")
parser.add_argument("--ckplus", help="CK+ folder: ckplus or ckplus128 "
                                     "(action units, expression)")
parser.add_argument("--affect", help="DiffusionFER valence/arousal folder")
parser.add_argument("--shares", default="0.35,0.25,0.2,0.2",
                    help="share of each batch from UTKFace, FER2013, CK+ "
                         "and DiffusionFER (renormalised over those given)")
parser.add_argument("--test-fraction", type=float, default=0.2)
parser.add_argument("--synthetic-size", type=int, default=2000)
add_training_arguments(parser, out="runs/face_behavior")
args = parser.parse_args()
shares = [float(s) for s in args.shares.split(",")]
if len(shares) != 4:
    parser.error(f"--shares takes 4 numbers, got {args.shares!r}")
keras.utils.set_random_seed(args.seed)
run = RunFolder.from_arguments(args)  # resumes an unfinished run

"""
## Four datasets, six tasks

Each reader returns `FaceExamples` with its own tasks; tasks of the same
name (the expression of FER2013, CK+ and DiffusionFER) are one task with
the same classes, so they share one head.
"""

given = {"utkface": args.utkface, "fer2013": args.fer2013,
         "ckplus": args.ckplus, "affect": args.affect}
datasets = read_face_behavior_data(given, args.test_fraction, args.seed,
                                   args.synthetic_size, args.image_size)
for train, _ in datasets.values():
    print(train.summary())
try:
    tasks = union_tasks(datasets)
except ValueError as error:
    raise SystemExit(f"error: {error}") from None
print("tasks:", ", ".join(f"{t.name} ({t.kind})" for t in tasks))
run.check_split([test for _, test in datasets.values()])

"""
## Decisions need faces the model did not train on

Some tasks calibrate their decisions on held-out faces (the action units
choose a threshold per unit). A fifth of the training subjects of the
dataset that labels them is held out from training for that.
"""

datasets, calibration = hold_out_for_calibration(datasets, tasks, args.seed)

share_of = dict(zip(["utkface", "fer2013", "ckplus", "affect"], shares))
train_data = mixed_dataset(
    [(train, share_of[name]) for name, (train, _) in datasets.items()],
    tasks, args.image_size, args.batch_size,
    augment=any(given.values()), seed=args.seed)
steps = sum(len(train) for train, _ in datasets.values()) // args.batch_size

"""
## One model for every task
"""

model = keras_dmtl.DMTLModel(tasks, backbone=args.backbone,
                             weights=args.weights, image_size=args.image_size)
model.compile(optimizer=make_optimizer(
    args.optimizer, args.learning_rate, args.momentum, args.weight_decay))
run.fit(model, train_data, steps_per_epoch=steps, epochs=args.epochs,
        verbose=2)

"""
## Calibration on the held-out training subjects
"""

calibrate_on(model, calibration, args.image_size, args.batch_size)

"""
## Each dataset's test faces, for the tasks it labels
"""

results = {}
for name, (train, test) in datasets.items():
    own = [task for task in tasks if task.name in test.task_names]
    metrics = model.evaluate(
        face_dataset(test, tasks, args.image_size, args.batch_size),
        return_dict=True, verbose=0)
    for key, row in results_against_chance(metrics, own, train, test).items():
        results[f"{name}:{key}"] = row
for name, (_, test) in datasets.items():
    if test.paths is not None:  # for `keras-dmtl evaluate --data`
        run.write_examples(f"test_{name}.csv", test)
save_run(model, results, run)
