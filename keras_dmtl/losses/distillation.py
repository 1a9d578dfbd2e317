"""How far a student's raw task outputs are from a teacher's, per face."""

from keras import ops


def softmax_distillation(teacher_logits, student_logits, temperature=1.0):
    """Hinton's distillation term for class logits, one value per face.

    T^2 KL(softmax(t / T) || softmax(s / T)) over the last axis: zero when
    the student's classes have the teacher's probabilities, and scaled by
    T^2 so that its gradients keep their size as T changes.

    Args:
        teacher_logits: tensor (..., classes), the teacher's logits.
        student_logits: tensor of the same shape, the student's.
        temperature: float T > 0; above 1 softens both distributions.

    Returns:
        A tensor of the leading shape.
    """
    t = ops.cast(teacher_logits, "float32") / temperature
    s = ops.cast(student_logits, "float32") / temperature
    teacher_log = ops.log_softmax(t, axis=-1)
    student_log = ops.log_softmax(s, axis=-1)
    return temperature ** 2 * ops.sum(
        ops.exp(teacher_log) * (teacher_log - student_log), axis=-1)


def sigmoid_distillation(teacher_logits, student_logits, temperature=1.0):
    """The same for independent binary logits, one value per logit.

    T^2 KL(Bernoulli(sigmoid(t / T)) || Bernoulli(sigmoid(s / T))) for each
    entry; ordinal thresholds and action units reduce it as their own
    losses reduce their binary cross-entropies.

    Args:
        teacher_logits: tensor, the teacher's logits.
        student_logits: tensor of the same shape, the student's.
        temperature: float T > 0.

    Returns:
        A tensor of the same shape.
    """
    t = ops.cast(teacher_logits, "float32") / temperature
    s = ops.cast(student_logits, "float32") / temperature
    p = ops.sigmoid(t)
    kl = (p * (ops.log_sigmoid(t) - ops.log_sigmoid(s))
          + (1 - p) * (ops.log_sigmoid(-t) - ops.log_sigmoid(-s)))
    return temperature ** 2 * kl
