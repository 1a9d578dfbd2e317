"""A small training run through `RunFolder`, for the kill tests.

    python -m tests.training.tiny_run OUT EPOCHS [--pause SECONDS]

A dense model with 8 million weights (so that saving it takes long enough
to be killed in the middle) learns a fixed regression on fixed data, with
no shuffling, so an interrupted and resumed run must end with exactly the
weights of an uninterrupted one. `--pause` sleeps after each batch, to give
a test time to send a signal during an epoch.
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_dmtl.training import RunFolder  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("epochs", type=int)
parser.add_argument("--pause", type=float, default=0.0)
parser.add_argument("--overwrite", action="store_true")
args = parser.parse_args()

run = RunFolder(args.out, {"epochs": args.epochs}, overwrite=args.overwrite)
print(run.status, flush=True)
if run.finished:
    sys.exit(0)

keras.utils.set_random_seed(0)
x = np.random.default_rng(0).normal(size=(64, 2048)).astype("float32")
y = x[:, :4] * 0.5
model = keras.Sequential([keras.Input((2048,)), keras.layers.Dense(4096),
                          keras.layers.Dense(4)])
model.compile(optimizer=keras.optimizers.SGD(1e-3, momentum=0.9),
              loss="mse")


class Pause(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        time.sleep(args.pause)


class Announce(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        print(f"training epoch {epoch}", flush=True)


run.fit(model, x, y=y, batch_size=16, shuffle=False, epochs=args.epochs,
        verbose=0, callbacks=[Announce(), Pause()])
run.write_json("metrics.json", {"loss": float(model.evaluate(x, y,
                                                              verbose=0))})
run.save_model(model)
run.commit()
print("committed", flush=True)
