from keras_dmtl.models.backbones import BACKBONES
from keras_dmtl.models.dmtl_model import DMTLModel
from keras_dmtl.models.load_model import load_dmtl_model
from keras_dmtl.models.quantization_aware import quantization_aware_model
from keras_dmtl.models.teacher import Teacher
