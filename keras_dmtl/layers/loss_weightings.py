"""The loss weightings by the names `DMTLModel(loss_weighting=...)` takes."""

import keras

from keras_dmtl.layers.bounded_uncertainty_weighting import (
    BoundedUncertaintyWeighting,
)
from keras_dmtl.layers.dynamic_weight_average import DynamicWeightAverage
from keras_dmtl.layers.fixed_weighting import FixedWeighting
from keras_dmtl.layers.loss_weighting import LossWeighting
from keras_dmtl.layers.random_loss_weighting import RandomLossWeighting
from keras_dmtl.layers.uncertainty_weighting import FIRST_LOSS
from keras_dmtl.layers.uncertainty_weighting import UncertaintyWeighting

# name -> (class, options)
LOSS_WEIGHTINGS = {
    "learned": (UncertaintyWeighting, {}),
    "learned_first_loss": (UncertaintyWeighting,
                           {"initial_log_variance": FIRST_LOSS}),
    "bounded": (BoundedUncertaintyWeighting, {}),
    "bounded_first_loss": (BoundedUncertaintyWeighting,
                           {"initial_log_variance": FIRST_LOSS}),
    "dwa": (DynamicWeightAverage, {}),
    "random": (RandomLossWeighting, {}),
    "fixed": (FixedWeighting, {}),
}


def make_loss_weighting(loss_weighting, task_names, task_weights=None,
                        log_variance_bounds=None):
    """The `LossWeighting` layer `DMTLModel` uses for `task_names`.

    Args:
        loss_weighting: a name in `LOSS_WEIGHTINGS`, a `LossWeighting`
            layer (not yet built; its task names, if any, must be the
            model's), or such a layer's serialised config.
        task_names: the model's task (and coupling) names, in order.
        task_weights: list of float, for `"fixed"`.
        log_variance_bounds: optional `(min, max)`, for the learned
            weightings.

    Returns:
        A `LossWeighting`, built.
    """
    if isinstance(loss_weighting, dict):
        loss_weighting = keras.saving.deserialize_keras_object(
            loss_weighting)
    if isinstance(loss_weighting, LossWeighting):
        if task_weights is not None or log_variance_bounds is not None:
            raise ValueError(
                "Give task_weights and log_variance_bounds to the "
                f"{type(loss_weighting).__name__} layer itself, not to the "
                "model, when loss_weighting is a layer.")
        layer = loss_weighting.bind(task_names)
    elif loss_weighting in LOSS_WEIGHTINGS:
        cls, options = LOSS_WEIGHTINGS[loss_weighting]
        layer = cls.for_tasks(task_names, task_weights, log_variance_bounds,
                              name="loss_weighting", **options)
    else:
        raise ValueError(
            f"loss_weighting must be one of {sorted(LOSS_WEIGHTINGS)} or a "
            f"keras_dmtl.layers.LossWeighting, got {loss_weighting!r}.")
    if not layer.built:
        layer.build()
    return layer
