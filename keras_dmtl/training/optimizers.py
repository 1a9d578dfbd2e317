"""The optimizers the recipes offer."""

import keras


def make_optimizer(name="sgd", learning_rate=1e-3, momentum=0.9,
                   weight_decay=5e-4):
    """DMTL's SGD (the default), or AdamW for training from random weights.

    Args:
        name: `"sgd"` (momentum SGD with decoupled weight decay, the paper's
            recipe) or `"adam"` (AdamW, which starts faster from random
            weights; `momentum` is unused).
        learning_rate: float.
        momentum: float, for SGD.
        weight_decay: float. `DMTLModel.compile` exempts the uncertainty
            log-variances from it.
    """
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate, momentum=momentum,
                                    weight_decay=weight_decay)
    if name == "adam":
        return keras.optimizers.AdamW(learning_rate, weight_decay=weight_decay)
    raise ValueError(f"optimizer must be 'sgd' or 'adam', got {name!r}")
