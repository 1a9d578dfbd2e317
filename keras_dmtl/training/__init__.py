from keras_dmtl.training.arguments import add_training_arguments
from keras_dmtl.training.optimizers import make_optimizer
from keras_dmtl.training.results import format_results
from keras_dmtl.training.results import results_against_chance
from keras_dmtl.training.results import save_run
from keras_dmtl.training.history_file import HistoryFile
from keras_dmtl.training.run_folder import RunFolder
