"""keras-dmtl: heterogeneous multi-task face analysis for Keras 3.

Every documented name is importable from one place: the top level holds the
model and the task kinds; each subpackage, reachable after `import
keras_dmtl`, holds one area:

- `keras_dmtl.data`: reading face datasets, splits, `tf.data` pipelines;
- `keras_dmtl.layers`, `keras_dmtl.losses`, `keras_dmtl.metrics`;
- `keras_dmtl.coupling`: task relatedness, compound expressions;
- `keras_dmtl.models`: `DMTLModel`, backbones, `load_dmtl_model`;
- `keras_dmtl.training`: run folders, optimizers, tf.distribute strategies;
- `keras_dmtl.recipes`: the training recipes `keras-dmtl train` runs;
- `keras_dmtl.evaluation`: reports, scores, comparisons;
- `keras_dmtl.tuning`: KerasTuner hypermodels and objectives;
- `keras_dmtl.export`: SavedModel, TFLite, ONNX, TensorRT, device bundles;
- `keras_dmtl.watch`: video sources, face tracks, `Watcher`, the test video;
- `keras_dmtl.store`: the watcher's database (SQLite or PostgreSQL).
"""

from keras_dmtl import coupling
from keras_dmtl import data
from keras_dmtl import evaluation
from keras_dmtl import export
from keras_dmtl import layers
from keras_dmtl import losses
from keras_dmtl import metrics
from keras_dmtl import models
from keras_dmtl import recipes
from keras_dmtl import serve
from keras_dmtl import store
from keras_dmtl import tasks
from keras_dmtl import training
from keras_dmtl import tuning
from keras_dmtl import watch
from keras_dmtl.labels import MISSING_LABEL
from keras_dmtl.models import BACKBONES
from keras_dmtl.models import DMTLModel
from keras_dmtl.models import load_dmtl_model
from keras_dmtl.tasks import MultiLabelTask
from keras_dmtl.tasks import NominalTask
from keras_dmtl.tasks import OrdinalTask
from keras_dmtl.tasks import RegressionTask
from keras_dmtl.tasks import Task
from keras_dmtl.version import __version__
