from keras_dmtl.metrics.concordance_correlation import ConcordanceCorrelation
from keras_dmtl.metrics.masked_accuracy import MaskedAccuracy
from keras_dmtl.metrics.masked_mean import MaskedMean
from keras_dmtl.metrics.masked_root_mean_squared_error import (
    MaskedRootMeanSquaredError,
)
from keras_dmtl.metrics.multi_label_accuracy import MultiLabelAccuracy
from keras_dmtl.metrics.multi_label_f1 import MultiLabelF1
from keras_dmtl.metrics.ordinal_accuracy import OrdinalAccuracy
from keras_dmtl.metrics.ordinal_mean_absolute_error import (
    OrdinalMeanAbsoluteError,
)
from keras_dmtl.metrics.task_weight import TaskWeight
