"""A KerasTuner HyperModel that searches fixed loss weights per task."""

import keras_tuner

from keras_dmtl.models.dmtl_model import DMTLModel
from keras_dmtl.training.optimizers import make_optimizer
from keras_dmtl.tuning.combined_score import CombinedScore


class ManualWeightHyperModel(keras_tuner.HyperModel):
    """The manual-weight baseline of DMTL, for any KerasTuner tuner.

    Each trial draws one weight per task (`weight_<task>`, 0.05..1) and,
    optionally, the learning rate; the weights are normalised to sum to 1
    and fixed (`loss_weighting="fixed"`), so the search explores what a
    person tuning weights by hand would. `fit` adds `val_combined_score`
    (see `combined_score`) to the logs: the default objective is
    `keras_tuner.Objective("val_combined_score", "max")`.

    Args:
        tasks: list of `Task`.
        chance: chance levels for the combined score (`chance_levels`).
        tune_learning_rate: bool, also search the learning rate (1e-4..1e-1,
            log scale).
        learning_rate: float, used when it is not searched.
        optimizer: `"sgd"` or `"adam"`.
        momentum, weight_decay: optimizer settings.
        **model_kwargs: `DMTLModel` arguments (`backbone`, `weights`,
            `image_size`, ...).

    Example:

    ```python
    hypermodel = ManualWeightHyperModel(tasks, chance, backbone="mobilenet_v2",
                                        image_size=128)
    tuner = keras_tuner.BayesianOptimization(
        hypermodel, objective=keras_tuner.Objective("val_combined_score", "max"),
        max_trials=20, directory="runs", project_name="weights")
    tuner.search(train_data, validation_data=val_data, epochs=5)
    ```
    """

    def __init__(self, tasks, chance, tune_learning_rate=False,
                 learning_rate=1e-3, optimizer="sgd", momentum=0.9,
                 weight_decay=5e-4, **model_kwargs):
        super().__init__(name="manual_weights")
        self.tasks = list(tasks)
        self.chance = dict(chance)
        self.tune_learning_rate = tune_learning_rate
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.model_kwargs = model_kwargs

    def task_weights(self, hp):
        """The normalised weights of a trial's hyperparameters."""
        raw = [hp.Float(f"weight_{t.name}", 0.05, 1.0) for t in self.tasks]
        return [w / sum(raw) for w in raw]

    def build(self, hp):
        weights = self.task_weights(hp)
        learning_rate = self.learning_rate
        if self.tune_learning_rate:
            learning_rate = hp.Float("learning_rate", 1e-4, 1e-1,
                                     sampling="log")
        model = DMTLModel(self.tasks, loss_weighting="fixed",
                          task_weights=weights, **self.model_kwargs)
        model.compile(optimizer=make_optimizer(
            self.optimizer, learning_rate, self.momentum, self.weight_decay))
        return model

    def fit(self, hp, model, *args, callbacks=None, **kwargs):
        callbacks = [CombinedScore(self.tasks, self.chance)] + list(
            callbacks or [])
        return model.fit(*args, callbacks=callbacks, **kwargs)
