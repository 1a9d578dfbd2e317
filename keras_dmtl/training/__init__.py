from keras_dmtl.training.optimizers import make_optimizer
from keras_dmtl.training.results import format_results
from keras_dmtl.training.results import results_against_chance
