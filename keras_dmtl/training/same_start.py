"""A check that the workers of a multi-worker run start from one state."""

import keras
import numpy as np

from keras_dmtl.training.distribution import is_multi_worker


class WorkersDisagree(ValueError):
    """The workers of a multi-worker run would start from different states."""


class SameStart(keras.callbacks.Callback):
    """Refuses to train when the workers would start from different states.

    Each worker of a multi-worker run restores its own backup (`RunFolder`
    gives the workers that are not the chief a copy of the chief's). Placed
    after `keras.callbacks.BackupAndRestore`, this compares, over all the
    workers, the epoch each starts from and a fingerprint of its weights;
    if they differ, every worker raises the same `WorkersDisagree`, rather
    than train models that drift apart. With any other strategy it does
    nothing.

    Args:
        out: the run folder, named in the error.

    Example:

    ```python
    model.fit(data, epochs=10, callbacks=[
        keras.callbacks.BackupAndRestore("run/.backup"),
        SameStart("run")])
    ```
    """

    def __init__(self, out):
        super().__init__()
        self.out = out

    def on_train_begin(self, logs=None):
        strategy = getattr(self.model, "_distribute_strategy", None)
        if strategy is None or not is_multi_worker(strategy):
            return
        import tensorflow as tf

        epoch = float(getattr(self.model, "_initial_epoch", None) or 0)
        fingerprint = sum(float(np.sum(np.asarray(v.numpy(), "float64")))
                          for v in self.model.trainable_weights)
        mine = tf.constant([[epoch, fingerprint]], tf.float64)
        every = strategy.gather(mine, axis=0).numpy()
        if not (every == every[:1]).all():
            epochs = sorted({int(e) for e in every[:, 0]})
            raise WorkersDisagree(
                f"the workers would start from different states (epochs "
                f"{epochs}, or other weights): each resumes from the backup "
                f"it reads in {self.out}; make it one folder that every "
                "machine sees (shared storage), or remove it on the "
                "machines that are not the chief's")
