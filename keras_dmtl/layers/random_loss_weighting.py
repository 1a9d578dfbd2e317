"""Random loss weighting: fresh random weights at every step."""

import keras
from keras import ops

from keras_dmtl.layers.loss_weighting import LossWeighting


@keras.saving.register_keras_serializable(package="keras_dmtl")
class RandomLossWeighting(LossWeighting):
    """Random loss weighting (Lin et al. 2022, "Reasonable effectiveness of
    random weighting").

    At every training step the weights are drawn afresh,

        w = softmax(z),  z ~ N(0, I_K),   total = sum_t w_t L_t,

    which in expectation weighs every task 1/K and costs nothing; the
    authors find it as good as most learned weightings. Evaluation uses the
    expected weights 1/K. The random generator's state is a variable of the
    layer, so a reloaded or resumed model continues the same sequence.

    Args:
        task_names: list of str, one name per task.
        seed: optional int, the generator's seed.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: the task losses (see `LossWeighting`).
        training: bool; only training calls draw weights.

    Example:

    ```python
    model = keras_dmtl.DMTLModel(tasks, loss_weighting="random")
    ```
    """

    def __init__(self, task_names=None, seed=None, **kwargs):
        super().__init__(task_names, **kwargs)
        self.seed = None if seed is None else int(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)

    def build(self, input_shape=None):
        # The last weights drawn, for the logs' beta.
        self.last_weights = self.add_weight(
            name="last_weights", shape=(self.num_tasks,),
            initializer=keras.initializers.Constant(1.0 / self.num_tasks),
            trainable=False, aggregation="mean")

    def combine(self, losses, training):
        if training:
            z = keras.random.normal((self.num_tasks,),
                                    seed=self.seed_generator)
            weights = ops.softmax(z)
            self.last_weights.assign(ops.cast(weights,
                                              self.last_weights.dtype))
            weights = ops.cast(weights, losses.dtype)
        else:
            weights = ops.full((self.num_tasks,), 1.0 / self.num_tasks,
                               losses.dtype)
        return ops.sum(losses * weights, axis=-1)

    def save_own_variables(self, store):
        super().save_own_variables(store)
        # Keras saves a layer's own variables only; the generator's state
        # goes with them so a reloaded model draws what it would have.
        store["seed_state"] = self.seed_generator.state

    def load_own_variables(self, store):
        keys = list(store.keys())
        if "seed_state" in keys:
            self.seed_generator.state.assign(store["seed_state"])
        super().load_own_variables(
            {key: store[key] for key in keys if key != "seed_state"})

    def task_weights(self):
        return ops.convert_to_tensor(self.last_weights)

    def get_config(self):
        config = super().get_config()
        config.update({"seed": self.seed})
        return config
