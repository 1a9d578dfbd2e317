from keras_dmtl.metrics.masked_accuracy import MaskedAccuracy
from keras_dmtl.metrics.masked_mean import MaskedMean
from keras_dmtl.metrics.ordinal_accuracy import OrdinalAccuracy
from keras_dmtl.metrics.ordinal_mean_absolute_error import (
    OrdinalMeanAbsoluteError,
)
from keras_dmtl.metrics.task_weight import TaskWeight
