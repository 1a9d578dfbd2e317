"""A DMTLModel's loss and metrics on one device and on two, for the tests.

    python tests/training/replica_loss_script.py

Splits the CPU into two logical devices and takes `compute_loss` and the
metrics of one global batch twice: in one process, and under a
`MirroredStrategy` over the two devices, each replica given half the batch.
The labels of every kind of task are missing unevenly between the halves.
Prints one JSON line: the total, its gradient for the log-variances and
every logged value, for both.
"""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402

tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0],
    [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_dmtl import DMTLModel  # noqa: E402
from keras_dmtl.coupling import ExpressionToActionUnits  # noqa: E402
from keras_dmtl.coupling import TaskRelatedness  # noqa: E402
from keras_dmtl.data import synthetic_tasks  # noqa: E402
from keras_dmtl.losses.concordance_loss import ConcordanceLoss  # noqa: E402
from keras_dmtl.tasks import RegressionTask  # noqa: E402

BATCH = 8
tasks = synthetic_tasks(["age", "expression", "action_units", "affect"]) + [
    RegressionTask("affect_mse", ["valence", "arousal"], bounds=(-1, 1),
                   objective="mse")]
coupling = ExpressionToActionUnits(
    TaskRelatedness.du2014(source="expression", target="action_units"))


def build():
    keras.utils.set_random_seed(0)
    model = DMTLModel(tasks, backbone="mobilenet_v2_0.35", image_size=32,
                      coupling=[coupling])
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    return model


rng = np.random.default_rng(1)
y = {"age": rng.integers(0, 117, BATCH),
     "expression": rng.integers(0, 7, BATCH),
     "action_units": rng.integers(0, 2, (BATCH, 8)),
     "affect": rng.uniform(-1, 1, (BATCH, 2)),
     "affect_mse": rng.uniform(-1, 1, (BATCH, 2))}
# Uneven gaps: the first replica has the rows 0-3, the second 4-7.
y["age"][[0, 1, 2, 5]] = -1
y["expression"][[4, 5, 6, 7]] = -1
y["action_units"][[1, 2, 3]] = -1
y["affect"][6] = np.nan
y["affect_mse"][[0, 4, 5]] = np.nan
y = {name: value.astype("float32" if name.startswith("affect") else "int32")
     for name, value in y.items()}
widths = {"age": 116, "expression": 7, "action_units": 8, "affect": 2,
          "affect_mse": 2}
y_pred = {name: rng.normal(size=(BATCH, width)).astype("float32")
          for name, width in widths.items()}


def step(model, labels, outputs):
    with tf.GradientTape() as tape:
        total = model.compute_loss(y=labels, y_pred=outputs)
    gradient = tape.gradient(total, model.weighting.log_variance)
    model.compute_metrics(None, labels, outputs)
    return total, gradient


def logged(model):
    return {name: float(value)
            for name, value in model.get_metrics_result().items()
            if name != "loss"}


alone = build()
total, gradient = step(alone, y, y_pred)
result = {"alone": {"total": float(total),
                    "gradient": gradient.numpy().tolist(),
                    "metrics": logged(alone)}}

strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    mirrored = build()


def halves(context):
    rows = slice(context.replica_id_in_sync_group * BATCH // 2,
                 (context.replica_id_in_sync_group + 1) * BATCH // 2)
    return ({name: tf.constant(value[rows]) for name, value in y.items()},
            {name: tf.constant(value[rows]) for name, value in y_pred.items()})


@tf.function
def distributed_step(data):
    def replica_step(data):
        total, gradient = step(mirrored, *data)
        context = tf.distribute.get_replica_context()
        return total, context.all_reduce("sum", gradient)

    total, gradient = strategy.run(replica_step, args=(data,))
    return (strategy.reduce("sum", total, axis=None),
            strategy.experimental_local_results(gradient)[0])


total, gradient = distributed_step(
    strategy.experimental_distribute_values_from_function(halves))
result["mirrored"] = {"total": float(total),
                      "gradient": gradient.numpy().tolist(),
                      "metrics": logged(mirrored),
                      "replicas": strategy.num_replicas_in_sync}
concordance = ConcordanceLoss()
result["affect_halves"] = [
    {"loss": float(concordance(y["affect"][rows], y_pred["affect"][rows])),
     "annotated": int(np.sum(~np.isnan(y["affect"][rows]).all(axis=-1)))}
    for rows in (slice(0, BATCH // 2), slice(BATCH // 2, BATCH))]
print(json.dumps(result), flush=True)
