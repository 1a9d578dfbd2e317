"""Expression alone: what sharing the trunk with UTKFace costs FER2013.

Trains a model of the expression task only, on FER2013's training faces,
with everything else as the UTKFace + FER2013 recipe trains: the same
backbone and ImageNet weights, image size, AdamW with cosine decay,
batch size, augmentation and seed. The number of epochs is the number of
passes over FER2013's training faces (the 10-epoch recipe at
`--fer-share 0.6` makes about 9.2). Reports accuracy and macro-F1 on
FER2013's PublicTest faces (`test/`) and the wall time, and saves the
model for `keras-dmtl evaluate`.

    python benchmarks/expression_alone.py --fer2013 ../shared/data/fer2013 \\
        --weights ../shared/weights/mobilenet_v2_1.0_224_no_top_imagenet.weights.h5 \\
        --epochs 8 --out runs/expression_alone
"""

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_dmtl.data import face_dataset  # noqa: E402
from keras_dmtl.data import read_fer2013  # noqa: E402
from keras_dmtl.evaluation import collect_predictions  # noqa: E402
from keras_dmtl.evaluation.report import metrics_table  # noqa: E402
from keras_dmtl.models import DMTLModel  # noqa: E402
from keras_dmtl.recipes.recipe import epoch_steps  # noqa: E402
from keras_dmtl.training.optimizers import make_optimizer  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--fer2013", required=True,
                    help="FER2013 folder with train/ and test/")
parser.add_argument("--weights", required=True,
                    help="MobileNetV2 ImageNet weights file (no top)")
parser.add_argument("--image-size", type=int, default=96)
parser.add_argument("--epochs", type=int, default=8)
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--learning-rate", type=float, default=1e-3)
parser.add_argument("--weight-decay", type=float, default=5e-4)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--out", required=True, help="a new folder")
args = parser.parse_args()
if os.path.exists(args.out):
    raise SystemExit(f"{args.out}: exists already; give a new folder")

keras.utils.set_random_seed(args.seed)
train = read_fer2013(args.fer2013, "train")
test = read_fer2013(args.fer2013, "test")
print(train.summary())
print(test.summary())

steps = epoch_steps(len(train), args.batch_size)
model = DMTLModel(train.tasks, backbone="mobilenet_v2", weights=args.weights,
                  image_size=args.image_size)
model.compile(optimizer=make_optimizer(
    "adam", args.learning_rate, weight_decay=args.weight_decay,
    decay_steps=steps * args.epochs))
start = time.time()
history = model.fit(
    face_dataset(train, model.tasks, args.image_size, args.batch_size,
                 shuffle=True, augment=True, seed=args.seed),
    epochs=args.epochs, shuffle=False, verbose=2)  # the data shuffle
seconds = time.time() - start

# The task scores its own answers, as `keras-dmtl evaluate` does.
scores = metrics_table(collect_predictions(
    model, face_dataset(test, model.tasks, args.image_size,
                        args.batch_size))).iloc[0]
result = {
    "test_faces": len(test),
    "accuracy": float(scores["accuracy"]),
    "macro_f1": float(scores["macro_f1"]),
    "training_accuracy": [float(v) for v in
                          history.history["expression_accuracy"]],
    "training_seconds": round(seconds),
    "settings": vars(args),
}
os.makedirs(args.out)
model.save(os.path.join(args.out, "model.keras"))
with open(os.path.join(args.out, "metrics.json"), "w") as f:
    json.dump(result, f, indent=2)
print(f"expression alone, {args.epochs} epochs at {args.image_size} px: "
      f"PublicTest accuracy {result['accuracy']:.4f}, macro-F1 "
      f"{result['macro_f1']:.4f}, training {seconds / 60:.1f} min; "
      f"training accuracy by epoch "
      f"{np.round(result['training_accuracy'], 3).tolist()}")
