from keras_dmtl.tasks.nominal_task import NominalTask
from keras_dmtl.tasks.ordinal_task import OrdinalTask
from keras_dmtl.tasks.task import Task
from keras_dmtl.tasks.task import deserialize_tasks
from keras_dmtl.tasks.task import serialize_tasks
