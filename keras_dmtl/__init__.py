"""keras-dmtl: heterogeneous multi-task face analysis for Keras 3."""

from keras_dmtl import coupling
from keras_dmtl import layers
from keras_dmtl import losses
from keras_dmtl import metrics
from keras_dmtl.models import BACKBONES
from keras_dmtl.models import DMTLModel
from keras_dmtl.labels import MISSING_LABEL
from keras_dmtl.tasks import MultiLabelTask
from keras_dmtl.tasks import NominalTask
from keras_dmtl.tasks import OrdinalTask
from keras_dmtl.tasks import RegressionTask
from keras_dmtl.tasks import Task
from keras_dmtl.version import __version__
