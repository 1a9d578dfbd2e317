"""Runs any keras-dmtl artifact: .keras, SavedModel, .tflite, .onnx, engine."""

import os

import numpy as np

from keras_dmtl.export.model_info import read_model_info
from keras_dmtl.export.serving import IMAGE_INPUT

ENGINE_SUFFIXES = (".engine", ".plan", ".trt")


class Runtime:
    """A loaded artifact that maps image batches to the named outputs.

    Subclasses implement `run_batch`. `info` is the artifact's model info
    (see `model_info`), `image_size` its input side. `load_artifact` picks
    the subclass from the file.

    Args:
        path: the artifact.
        info: its model info.

    Example:

    ```python
    runtime = keras_dmtl.export.load_artifact("export/model_fp16.tflite")
    outputs = runtime.predict(faces)  # float (n, 224, 224, 3), RGB 0..255
    outputs["age"], outputs["gender_probabilities"]
    keras_dmtl.export.describe(runtime.info, outputs, 0)
    # {'age': {'value': 31, 'label': '31'}, 'gender': {'label': ...}, ...}
    ```
    """

    name = None

    def __init__(self, path, info):
        self.path = path
        self.info = info
        self.image_size = int(info["image_size"])

    def run_batch(self, images):
        raise NotImplementedError

    def predict(self, images, batch_size=32):
        """Runs `images` (float `(n, size, size, 3)`, RGB 0..255) in batches.

        Returns:
            A dict from output name to an array with one row per image.
        """
        images = np.asarray(images, "float32")
        expected = (self.image_size, self.image_size, 3)
        if images.ndim != 4 or images.shape[1:] != expected:
            raise ValueError(f"{self.path} takes images of shape (n, "
                             f"{', '.join(map(str, expected))}), got "
                             f"{images.shape}")
        parts = [self.run_batch(images[i:i + batch_size])
                 for i in range(0, len(images), batch_size)]
        return {name: np.concatenate([np.asarray(p[name]) for p in parts])
                for name in self.info["outputs"]}


class KerasRuntime(Runtime):
    name = "keras"

    def __init__(self, path, model=None):
        from keras_dmtl.evaluation.report import load_dmtl_model
        from keras_dmtl.export.model_info import model_info

        self.model = model if model is not None else load_dmtl_model(path)
        super().__init__(path, model_info(self.model))

    def run_batch(self, images):
        from keras_dmtl.export.serving import decoded_outputs_numpy

        raw = self.model.predict_on_batch(images)
        return decoded_outputs_numpy(self.model.tasks, raw)


class SavedModelRuntime(Runtime):
    name = "savedmodel"

    def __init__(self, path):
        import tensorflow as tf

        super().__init__(path, read_model_info(path))
        self.function = tf.saved_model.load(path).signatures["serving_default"]

    def run_batch(self, images):
        import tensorflow as tf

        outputs = self.function(**{IMAGE_INPUT: tf.constant(images)})
        return {k: v.numpy() for k, v in outputs.items()}


class TFLiteRuntime(Runtime):
    name = "tflite"

    def __init__(self, path, num_threads=None):
        from ai_edge_litert.interpreter import Interpreter

        super().__init__(path, read_model_info(path))
        self.interpreter = Interpreter(model_path=path, num_threads=num_threads)
        self.runner = self.interpreter.get_signature_runner("serving_default")

    def run_batch(self, images):
        return self.runner(**{IMAGE_INPUT: images})


class ONNXRuntime(Runtime):
    name = "onnxruntime"

    def __init__(self, path, num_threads=None):
        import onnxruntime

        super().__init__(path, read_model_info(path))
        options = onnxruntime.SessionOptions()
        if num_threads:
            options.intra_op_num_threads = num_threads
        self.session = onnxruntime.InferenceSession(
            path, options, providers=["CPUExecutionProvider"])
        self.output_names = [o.name for o in self.session.get_outputs()]

    def run_batch(self, images):
        values = self.session.run(None, {IMAGE_INPUT: images})
        return dict(zip(self.output_names, values))


class TensorRTRuntime(Runtime):
    name = "tensorrt"

    def __init__(self, path):
        from keras_dmtl.export.tensorrt_engine import EngineRunner

        super().__init__(path, read_model_info(path))
        self.engine = EngineRunner(path)

    def run_batch(self, images):
        return self.engine.run(images)


def load_artifact(path, num_threads=None):
    """Loads an artifact with the runtime its file calls for.

    Args:
        path: a `.keras` model file, a SavedModel folder, a `.tflite`,
            `.onnx` or TensorRT engine (`.engine`, `.plan`) file, with the
            `model_info.json` the export wrote beside it.
        num_threads: CPU threads for TFLite and ONNX Runtime (None: their
            default).

    Returns:
        A `Runtime`.
    """
    if not os.path.exists(path):
        raise FileNotFoundError(f"model artifact not found: {path}")
    if os.path.isdir(path):
        if not os.path.isfile(os.path.join(path, "saved_model.pb")):
            raise ValueError(f"{path}: a folder without saved_model.pb, so "
                             "not a SavedModel")
        return SavedModelRuntime(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".keras":
        return KerasRuntime(path)
    if suffix == ".tflite":
        return TFLiteRuntime(path, num_threads)
    if suffix == ".onnx":
        return ONNXRuntime(path, num_threads)
    if suffix in ENGINE_SUFFIXES:
        return TensorRTRuntime(path)
    raise ValueError(f"{path}: unknown artifact type {suffix!r}; give a "
                     ".keras, .tflite, .onnx or engine file or a SavedModel "
                     "folder")
