from keras_dmtl.layers.bounded_uncertainty_weighting import (
    BoundedUncertaintyWeighting,
)
from keras_dmtl.layers.dynamic_weight_average import DynamicWeightAverage
from keras_dmtl.layers.fixed_weighting import FixedWeighting
from keras_dmtl.layers.loss_weighting import LossWeighting
from keras_dmtl.layers.loss_weightings import LOSS_WEIGHTINGS
from keras_dmtl.layers.loss_weightings import make_loss_weighting
from keras_dmtl.layers.ordinal_head import OrdinalHead
from keras_dmtl.layers.ordinal_head import expected_rank
from keras_dmtl.layers.ordinal_head import ordinal_rank
from keras_dmtl.layers.ordinal_head import ordinal_value
from keras_dmtl.layers.random_loss_weighting import RandomLossWeighting
from keras_dmtl.layers.regression_head import RegressionHead
from keras_dmtl.layers.uncertainty_weighting import UncertaintyWeighting
