from keras_dmtl.models.backbones import BACKBONES
from keras_dmtl.models.dmtl_model import DMTLModel
