"""Losses across the replicas of a `tf.distribute` strategy.

Under `tf.distribute` each replica computes the loss of its share of the
global batch, and the gradients of the replicas are summed. Keras therefore
divides every `keras.losses.Loss` with a mean reduction by the number of
replicas. These helpers let a model undo that division, work on the true
loss of its share, and apply the division once to its total. With another
backend than TensorFlow, or with one replica, they change nothing.
"""

import keras

MEAN_REDUCTIONS = ("sum_over_batch_size", "mean", "mean_with_sample_weight")


def replica_count():
    """The number of replicas training in sync: 1 but under `tf.distribute`.

    Returns:
        int.
    """
    if keras.backend.backend() != "tensorflow":
        return 1
    import tensorflow as tf

    return tf.distribute.get_strategy().num_replicas_in_sync


def divides_by_replicas(loss):
    """Whether a loss divides its value by `replica_count()`, as Keras does.

    A `keras.losses.Loss` with a mean reduction does; a plain callable (such
    as a coupling loss) and `ConcordanceLoss` (a scalar of the batch,
    without Keras's reduction) do not.

    Args:
        loss: a callable loss.

    Returns:
        bool.
    """
    from keras_dmtl.losses.concordance_loss import ConcordanceLoss

    if not isinstance(loss, keras.losses.Loss):
        return False
    if isinstance(loss, ConcordanceLoss):
        return False
    return loss.reduction in MEAN_REDUCTIONS


def replica_shares(counts):
    """How a replica's examples weigh in the mean over the global batch.

    A loss that is a mean over the annotated examples of a replica's share
    (a task's loss, when some examples lack its label) must weigh
    `count / global_count` in the mean over the global batch, not
    `1 / replica_count()`. This gives that weight times `replica_count()`,
    per task: 1 when the annotated examples are spread evenly, 0 for a
    task no example of the global batch annotates.

    Args:
        counts: float tensor `(num_tasks,)`, the annotated examples of each
            task in this replica's share of the batch.

    Returns:
        A float tensor like `counts`, or None when there is nothing to
        correct: one replica, or outside a replica's step.
    """
    if replica_count() == 1:
        return None
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    if context is None:
        return None
    totals = context.all_reduce(tf.distribute.ReduceOp.SUM, counts)
    replicas = float(context.num_replicas_in_sync)
    return tf.math.divide_no_nan(counts * replicas, totals)
