"""Training images/s: the multi-task model against the bare backbone.

Both models see the same input batches from memory (no input pipeline):

- `single`: the Keras application trunk, global pooling and one dense head,
  trained with softmax cross-entropy.
- `dmtl`: `DMTLModel` with age (ordinal, 116 thresholds), gender and race
  (nominal), uncertainty weighting, every stage shared (the default).
- `dmtl_split6`: the same with stages 7-8 duplicated per task category
  (ordinal, nominal), as in DMTL's Figure 2 (reported, not held to 5 %).

Each training step is timed on its own (a callback around the batch) and
the median step is reported: the fixed cost of starting and ending
`fit` is the same for every model and would hide the difference. The
models alternate over several rounds, so a noisy neighbour affects all
of them alike. Usage:

    python benchmarks/train_step.py --backbone efficientnet_b0 --image-size 224
"""

import argparse
import json
import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_dmtl  # noqa: E402
from keras_dmtl.data import synthetic_tasks  # noqa: E402
from keras_dmtl.models.backbones import build_backbone  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--backbone", default="efficientnet_b0")
parser.add_argument("--image-size", type=int, default=224)
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--steps", type=int, default=8)
parser.add_argument("--rounds", type=int, default=3)
parser.add_argument("--json", help="write the figures here")
args = parser.parse_args()

size, batch = args.image_size, args.batch_size
rng = np.random.default_rng(0)
images = rng.integers(0, 256, (batch, size, size, 3)).astype("float32")
labels = {
    "age": rng.integers(0, 117, batch),
    "gender": rng.integers(0, 2, batch),
    "race": rng.integers(0, 5, batch),
}


def optimizer():
    return keras.optimizers.SGD(1e-3, momentum=0.9, weight_decay=5e-4)


def single_head():
    trunk = build_backbone(args.backbone, size)
    inputs = keras.Input((size, size, 3))
    x = keras.layers.GlobalAveragePooling2D()(trunk(inputs))
    model = keras.Model(inputs, keras.layers.Dense(2)(x))
    model.compile(optimizer(), keras.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    data = tf.data.Dataset.from_tensors((images, labels["gender"])).repeat()
    return model, data


def dmtl(shared_stages=None):
    model = keras_dmtl.DMTLModel(synthetic_tasks(), backbone=args.backbone,
                                 image_size=size, shared_stages=shared_stages)
    model.compile(optimizer())
    data = tf.data.Dataset.from_tensors((images, labels)).repeat()
    return model, data


class StepTimer(keras.callbacks.Callback):
    def __init__(self, times):
        super().__init__()
        self.times = times

    def on_train_batch_begin(self, batch, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.times.append(time.perf_counter() - self.start)


candidates = {
    "single": single_head(),
    "dmtl": dmtl(),
    "dmtl_split6": dmtl(shared_stages=6),
}
for model, data in candidates.values():
    model.fit(data, steps_per_epoch=2, epochs=1, verbose=0)  # trace, warm up

step_times = {name: [] for name in candidates}
for _ in range(args.rounds):
    for name, (model, data) in candidates.items():
        model.fit(data, steps_per_epoch=args.steps, epochs=1, verbose=0,
                  callbacks=[StepTimer(step_times[name])])

result = {
    "backbone": args.backbone,
    "image_size": size,
    "batch_size": batch,
    "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
               f"TensorFlow {tf.__version__}, Keras {keras.__version__}",
    "steps_timed": len(step_times["single"]),
    "images_per_second": {n: round(batch / statistics.median(t), 2)
                          for n, t in step_times.items()},
}
base = result["images_per_second"]["single"]
result["overhead_percent"] = {
    n: round(100 * (base / r - 1), 1)
    for n, r in result["images_per_second"].items() if n != "single"
}
print(json.dumps(result, indent=2))
if args.json:
    with open(args.json, "w") as file:
        json.dump(result, file, indent=2)
