"""Runs any keras-dmtl artifact: .keras, SavedModel, .tflite, .onnx, engine."""

import os

import numpy as np

from keras_dmtl.export.model_info import describe
from keras_dmtl.export.model_info import find_model_info
from keras_dmtl.export.model_info import info_tasks
from keras_dmtl.export.model_info import load_model_info
from keras_dmtl.export.serving import IMAGE_INPUT
from keras_dmtl.export.serving import output_names

ENGINE_SUFFIXES = (".engine", ".plan", ".trt")


class Runtime:
    """A loaded artifact that maps image batches to the named outputs.

    Subclasses implement `run_batch`. `info` is the artifact's model info
    (see `model_info`), `tasks` its tasks (`info_tasks`), `image_size` its
    input side. `load_artifact` picks the subclass from the file. Every
    runtime, the Keras model's included, gives the same outputs, and
    `describe` the same answer records.

    Args:
        path: the artifact.
        info: its model info.
        source: where the model info came from, named in errors.

    Example:

    ```python
    runtime = keras_dmtl.export.load_artifact("export/model_fp16.tflite")
    outputs = runtime.predict(faces)  # float (n, 224, 224, 3), RGB 0..255
    outputs["age"], outputs["gender_probabilities"]
    runtime.describe(outputs, 0)
    # {'age': {'value': 31, 'label': '31', 'index': 31}, 'gender': {...}}
    ```
    """

    name = None

    def __init__(self, path, info, source=None):
        self.path = path
        self.info = info
        self.tasks = info_tasks(info, source or path)
        self.output_names = output_names(self.tasks)
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
        missing = [n for n in self.output_names if parts and n not in parts[0]]
        if missing:
            raise ValueError(
                f"{self.path} gives no output {missing[0]!r}, which its "
                f"model_info.json lists (it gives {sorted(parts[0])})")
        return {name: np.concatenate([np.asarray(p[name]) for p in parts])
                for name in self.output_names}

    def describe(self, outputs, index):
        """The answer record of image `index`: `{task: task.answer(...)}`."""
        return describe(self.tasks, outputs, index)


class KerasRuntime(Runtime):
    name = "keras"

    def __init__(self, path, model=None):
        from keras_dmtl.export.model_info import model_info
        from keras_dmtl.models.load_model import load_dmtl_model

        self.model = model if model is not None else load_dmtl_model(path)
        super().__init__(path, model_info(self.model))
        self.tasks = list(self.model.tasks)

    def run_batch(self, images):
        from keras_dmtl.export.serving import decoded_outputs_numpy

        raw = self.model.predict_on_batch(images)
        return decoded_outputs_numpy(self.tasks, raw)


class _ArtifactRuntime(Runtime):
    """A runtime whose model info is the `model_info.json` of its file."""

    def __init__(self, path):
        place = find_model_info(path)
        super().__init__(path, load_model_info(place), place)


class SavedModelRuntime(_ArtifactRuntime):
    name = "savedmodel"

    def __init__(self, path):
        import tensorflow as tf

        super().__init__(path)
        self.function = tf.saved_model.load(path).signatures["serving_default"]

    def run_batch(self, images):
        import tensorflow as tf

        outputs = self.function(**{IMAGE_INPUT: tf.constant(images)})
        return {k: v.numpy() for k, v in outputs.items()}


class TFLiteRuntime(_ArtifactRuntime):
    name = "tflite"

    def __init__(self, path, num_threads=None):
        from ai_edge_litert.interpreter import Interpreter

        super().__init__(path)
        self.interpreter = Interpreter(model_path=path, num_threads=num_threads)
        self.runner = self.interpreter.get_signature_runner("serving_default")

    def run_batch(self, images):
        return self.runner(**{IMAGE_INPUT: images})


class ONNXRuntime(_ArtifactRuntime):
    name = "onnxruntime"

    def __init__(self, path, num_threads=None):
        import onnxruntime

        super().__init__(path)
        options = onnxruntime.SessionOptions()
        if num_threads:
            options.intra_op_num_threads = num_threads
        self.session = onnxruntime.InferenceSession(
            path, options, providers=["CPUExecutionProvider"])
        self.session_outputs = [o.name for o in self.session.get_outputs()]

    def run_batch(self, images):
        values = self.session.run(None, {IMAGE_INPUT: images})
        return dict(zip(self.session_outputs, values))


class TensorRTRuntime(_ArtifactRuntime):
    name = "tensorrt"

    def __init__(self, path):
        from keras_dmtl.export.tensorrt_engine import EngineRunner

        super().__init__(path)
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
