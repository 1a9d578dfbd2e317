"""Export to SavedModel, TFLite, ONNX and TensorRT, with parity checks."""

from keras_dmtl.export.bundle import Bundle
from keras_dmtl.export.export_model import FORMATS
from keras_dmtl.export.export_model import PRECISIONS
from keras_dmtl.export.export_model import ExportResult
from keras_dmtl.export.export_model import artifact_size
from keras_dmtl.export.export_model import export_model
from keras_dmtl.export.images import sample_images
from keras_dmtl.export.jetson_bundle import JetsonBundle
from keras_dmtl.export.mobile_bundle import MobileBundle
from keras_dmtl.export.model_info import describe
from keras_dmtl.export.model_info import info_tasks
from keras_dmtl.export.model_info import load_model_info
from keras_dmtl.export.model_info import model_info
from keras_dmtl.export.model_info import read_model_info
from keras_dmtl.export.onnx_model import DEFAULT_OPSET
from keras_dmtl.export.onnx_model import write_onnx
from keras_dmtl.export.parity import AGREEMENT_BARS
from keras_dmtl.export.parity import ParityError
from keras_dmtl.export.parity import parity_report
from keras_dmtl.export.predict import predict_files
from keras_dmtl.export.runtimes import load_artifact
from keras_dmtl.export.saved_model import write_conversion_folder
from keras_dmtl.export.saved_model import write_saved_model
from keras_dmtl.export.tflite import write_tflite
from keras_dmtl.export.trtexec import trtexec_command

BUNDLES = {bundle.name: bundle for bundle in (JetsonBundle(), MobileBundle())}
"""Every device bundle by its name on the command line."""
