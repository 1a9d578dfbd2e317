"""The optimizers the recipes offer."""

import keras


def make_optimizer(name="sgd", learning_rate=1e-3, momentum=0.9,
                   weight_decay=5e-4, decay_steps=None):
    """DMTL's SGD (the default), or AdamW for training from random weights.

    Args:
        name: `"sgd"` (momentum SGD with decoupled weight decay, the paper's
            recipe) or `"adam"` (AdamW, which starts faster from random
            weights; `momentum` is unused).
        learning_rate: float.
        momentum: float, for SGD.
        weight_decay: float. `DMTLModel.compile` exempts the uncertainty
            log-variances from it.
        decay_steps: optional int. With it, the learning rate follows a
            cosine from `learning_rate` down to zero over that many steps
            (Loshchilov and Hutter 2017, without restarts); without it, it
            stays constant (the paper's recipe).
    """
    if decay_steps is not None:
        if int(decay_steps) < 1:
            raise ValueError(f"decay_steps must be at least 1, got "
                             f"{decay_steps!r}")
        learning_rate = keras.optimizers.schedules.CosineDecay(
            learning_rate, int(decay_steps))
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate, momentum=momentum,
                                    weight_decay=weight_decay)
    if name == "adam":
        return keras.optimizers.AdamW(learning_rate, weight_decay=weight_decay)
    raise ValueError(f"optimizer must be 'sgd' or 'adam', got {name!r}")
