"""One process of a small distributed training run, for the distribution tests.

    python -m tests.training.two_worker_script OUT WEIGHTS [--steps N]
        [--batch-size B] [--epochs E] [--float64] [--eager] [--cpus N]
        [--quantization-aware]

With `TF_CONFIG` set, the process is one worker of a
`MultiWorkerMirroredStrategy` run; with `--cpus N`, it trains with a
`MirroredStrategy` over N logical CPUs; otherwise it trains alone, on the
same global batches. A DMTLModel on MobileNetV2 (alpha 0.35, 32 x 32 faces) with
an ordinal and a nominal task trains through `RunFolder` on synthetic faces,
with momentum SGD, no dropout and no shuffling, so that two workers must end
with the weights one process reaches; then it evaluates and predicts the
same faces. With `--quantization-aware`, the model trained is the
quantization-aware copy of that model (`quantization_aware_model`), made
inside the strategy's scope as `--start-from` makes one. The weights before and after training and the predictions go
to the `WEIGHTS` .npz file; one JSON line on stdout says what the process
was, where it wrote, and its last epoch's logs and evaluation.
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# The strategy comes first: MultiWorkerMirroredStrategy must be made before
# any other TensorFlow operation.
from keras_dmtl.training.distribution import distribution_strategy  # noqa
from keras_dmtl.training.distribution import is_chief  # noqa: E402
from keras_dmtl.training.distribution import per_replica_batch_size  # noqa

if "--cpus" in sys.argv:  # MirroredStrategy over logical CPUs
    import tensorflow as tf

    CPUS = int(sys.argv[sys.argv.index("--cpus") + 1])
    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices("CPU")[0],
        [tf.config.LogicalDeviceConfiguration()] * CPUS)
    NAME = "mirrored"
    strategy = tf.distribute.MirroredStrategy(
        [f"/cpu:{i}" for i in range(CPUS)])
else:
    NAME = "multi_worker" if os.environ.get("TF_CONFIG") else "default"
    strategy = distribution_strategy(NAME)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_dmtl import DMTLModel  # noqa: E402
from keras_dmtl.data import SyntheticFaces  # noqa: E402
from keras_dmtl.data import face_dataset  # noqa: E402
from keras_dmtl.data import synthetic_tasks  # noqa: E402
from keras_dmtl.training import RunFolder  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("weights")
parser.add_argument("--steps", type=int, default=1, help="per epoch")
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--batch-size", type=int, default=8, help="global")
parser.add_argument("--float64", action="store_true")
parser.add_argument("--eager", action="store_true")
parser.add_argument("--cpus", type=int, help="mirrored over as many CPUs")
parser.add_argument("--quantization-aware", action="store_true")
args = parser.parse_args()

if args.float64:
    keras.config.set_floatx("float64")
per_replica_batch_size(args.batch_size, strategy)
settings = {key: value for key, value in vars(args).items()
            if key != "weights"}
run = RunFolder(args.out, settings, chief=is_chief(strategy))
if run.finished:
    sys.exit(0)

names = ["age_group", "gender"]
faces = SyntheticFaces(args.batch_size * args.steps, image_size=32, seed=0)
data = face_dataset(faces.examples(names), names, image_size=32,
                    batch_size=args.batch_size, shuffle=False)
with strategy.scope():
    keras.utils.set_random_seed(0)
    model = DMTLModel(synthetic_tasks(names), backbone="mobilenet_v2_0.35",
                      image_size=32, dropout=0.0)
    if args.quantization_aware:
        from keras_dmtl.models import quantization_aware_model

        model = quantization_aware_model(model, faces.images)
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
                  run_eagerly=args.eager)
initial = [np.array(v.numpy()) for v in model.weights]
history = run.fit(model, data, epochs=args.epochs, verbose=0)
# Evaluating and predicting spread the faces over the workers too.
evaluated = model.evaluate(data, verbose=0, return_dict=True)
predicted = model.predict(data, verbose=0)
np.savez(args.weights, names=np.array([v.path for v in model.weights]),
         **{f"initial_{i}": value for i, value in enumerate(initial)},
         **{f"final_{i}": np.array(v.numpy())
            for i, v in enumerate(model.weights)},
         **{f"predicted_{name}": value for name, value in predicted.items()})
run.save_model(model)
private = run.path
run.commit()
print(json.dumps({"strategy": NAME, "chief": run.chief,
                  "replicas": strategy.num_replicas_in_sync,
                  "quantization_aware": model.int8_ranges is not None,
                  "folder": private,
                  "logs": {key: float(values[-1]) for key, values
                           in history.history.items()},
                  "evaluated": {key: float(value)
                                for key, value in evaluated.items()}}),
      flush=True)
