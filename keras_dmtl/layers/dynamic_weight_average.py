"""Dynamic weight averaging: weights from how fast each loss falls."""

import keras
from keras import ops

from keras_dmtl.layers.loss_weighting import LossWeighting
from keras_dmtl.layers.loss_weighting import annotated


@keras.saving.register_keras_serializable(package="keras_dmtl")
class DynamicWeightAverage(LossWeighting):
    """Dynamic weight averaging (Liu, Johns and Davison 2019, MTAN).

    A task whose loss fell less over the last epoch gets more weight:

        r_t = Lbar_t(e - 1) / Lbar_t(e - 2),
        w_t(e) = K exp(r_t / T) / sum_k exp(r_k / T),
        total = sum_t w_t L_t,

    where Lbar_t(e) is task t's mean training loss over epoch e, K the
    number of tasks and T the temperature. The first two epochs use w_t = 1.
    The layer keeps each epoch's sums and the last two epochs' means as
    non-trainable variables, saved with the model, so a resumed run
    continues with the same weights; `DMTLModel.fit` closes each epoch
    (`end_epoch`). Only the ratio of a loss to itself enters, so tasks
    whose losses differ in scale (an ordinal age loss near 30, a gender
    loss near 0.7) start equal.

    Args:
        task_names: list of str, one name per task.
        temperature: float T > 0 (default 2, the paper's): larger is closer
            to equal weights.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: the task losses (see `LossWeighting`).
        training: bool; only training calls count toward an epoch's means.

    Example:

    ```python
    model = keras_dmtl.DMTLModel(tasks, loss_weighting="dwa")
    # or keras_dmtl.layers.DynamicWeightAverage(temperature=1.0)
    ```
    """

    def __init__(self, task_names=None, temperature=2.0, **kwargs):
        super().__init__(task_names, **kwargs)
        temperature = float(temperature)
        if not temperature > 0:
            raise ValueError(
                f"temperature must be positive, got {temperature!r}.")
        self.temperature = temperature

    def build(self, input_shape=None):
        k = self.num_tasks

        def state(name, shape):
            return self.add_weight(name=name, shape=shape,
                                   initializer="zeros", trainable=False,
                                   aggregation="mean")

        # This epoch's loss sums and annotated-batch counts, the last two
        # finished epochs' mean losses (older first), and how many epochs
        # have finished.
        self.epoch_sums = state("epoch_sums", (k,))
        self.epoch_counts = state("epoch_counts", (k,))
        self.previous_means = state("previous_means", (2, k))
        self.epochs_seen = state("epochs_seen", ())

    def _weights(self, dtype="float32"):
        k = self.num_tasks
        means = ops.cast(self.previous_means, dtype)
        ratio = means[1] / ops.maximum(means[0], 1e-12)
        dynamic = k * ops.softmax(ratio / self.temperature)
        ready = ops.cast(
            ops.greater_equal(ops.cast(self.epochs_seen, dtype), 2.0), dtype)
        return ready * dynamic + (1.0 - ready) * ops.ones((k,), dtype)

    def combine(self, losses, training):
        if training:
            seen = self.step_losses(losses)
            counted = annotated(seen)
            self.epoch_sums.assign_add(
                ops.cast(seen * counted, self.epoch_sums.dtype))
            self.epoch_counts.assign_add(
                ops.cast(counted, self.epoch_counts.dtype))
        return ops.sum(losses * self._weights(losses.dtype), axis=-1)

    def end_epoch(self):
        """Closes an epoch: its mean losses become the latest, the sums
        restart."""
        means = ops.convert_to_numpy(self.epoch_sums) / ops.convert_to_numpy(
            ops.maximum(self.epoch_counts, 1.0))
        previous = ops.convert_to_numpy(self.previous_means)
        # A task absent from the whole epoch keeps its last mean.
        counts = ops.convert_to_numpy(self.epoch_counts)
        means = means * (counts > 0) + previous[1] * (counts <= 0)
        self.previous_means.assign(ops.stack([previous[1], means]))
        self.epoch_sums.assign(ops.zeros_like(self.epoch_sums))
        self.epoch_counts.assign(ops.zeros_like(self.epoch_counts))
        self.epochs_seen.assign(self.epochs_seen + 1.0)

    def task_weights(self):
        return self._weights() / self.num_tasks

    def get_config(self):
        config = super().get_config()
        config.update({"temperature": self.temperature})
        return config
