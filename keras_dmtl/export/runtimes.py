"""Runs any keras-dmtl artifact: .keras, SavedModel, .tflite, .onnx, engine."""

import os
import statistics
import time

import numpy as np

from keras_dmtl.export.model_info import describe
from keras_dmtl.export.model_info import find_model_info
from keras_dmtl.export.model_info import info_tasks
from keras_dmtl.export.model_info import load_model_info
from keras_dmtl.export.serving import IMAGE_INPUT
from keras_dmtl.export.serving import output_names
from keras_dmtl.progress import progress

ENGINE_SUFFIXES = (".engine", ".plan", ".trt")
FILE_SUFFIXES = (".keras", ".tflite", ".onnx") + ENGINE_SUFFIXES


def error_reason(error):
    """An exception as a short line: its type and its text's first line."""
    lines = str(error).strip().splitlines()
    text = lines[0].strip() if lines else ""
    if len(text) > 300:
        text = text[:297] + "..."
    name = type(error).__name__
    return f"{name}: {text}" if text else name


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
        self.source = source or path
        self.tasks = info_tasks(info, self.source)
        self.output_names = output_names(self.tasks)
        self.image_size = int(info["image_size"])

    def run_batch(self, images):
        raise NotImplementedError

    def median_seconds(self, images, repeats=30, warmup=2):
        """Median wall seconds of `run_batch(images)` over `repeats` calls,
        after `warmup` untimed ones."""
        for _ in range(warmup):
            self.run_batch(images)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            self.run_batch(images)
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    def predict(self, images, batch_size=32, description=None):
        """Runs `images` (float `(n, size, size, 3)`, RGB 0..255) in batches.

        Args:
            images: the batch of images.
            batch_size: int, images per run of the artifact.
            description: str, to show a progress bar on a terminal
                (`keras_dmtl.progress`) with this text; None for no bar.

        Returns:
            A dict from output name to an array with one row per image.
        """
        images = np.asarray(images, "float32")
        expected = (self.image_size, self.image_size, 3)
        if images.ndim != 4 or images.shape[1:] != expected:
            raise ValueError(f"{self.path} takes images of shape (n, "
                             f"{', '.join(map(str, expected))}), got "
                             f"{images.shape}")
        starts = range(0, len(images), batch_size)
        if description is not None:
            starts = progress(starts, description=description, unit="batch")
        try:
            parts = [self.run_batch(images[i:i + batch_size])
                     for i in starts]
        except Exception as error:
            raise RuntimeError(f"{self.path}: running the model failed "
                               f"({error_reason(error)})") from error
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

    def check_graph(self, inputs, outputs):
        """Checks the artifact's graph against its model info.

        Args:
            inputs: dict from input name to its shape (a free dimension as
                None, -1 or a name).
            outputs: the names of the graph's outputs.

        Raises:
            ValueError: naming the artifact and the model info's field that
                does not match it (a `model_info.json` of another model).
        """
        if IMAGE_INPUT not in inputs:
            raise ValueError(f"{self.path}: no input named {IMAGE_INPUT!r} "
                             f"(it has {sorted(inputs)}), so not a "
                             "keras-dmtl export")
        shape = [_dimension(d) for d in inputs[IMAGE_INPUT]]
        expected = [None, self.image_size, self.image_size, 3]
        if len(shape) != 4 or any(
                d is not None and d != e for d, e in zip(shape[1:],
                                                         expected[1:])):
            shown = ", ".join("n" if d is None else str(d) for d in shape)
            raise ValueError(
                f"{self.path} takes images of shape ({shown}), but "
                f"{self.source} has field 'image_size' {self.image_size}: "
                "that model_info.json belongs to another model")
        missing = [n for n in self.output_names if n not in outputs]
        if missing:
            raise ValueError(
                f"{self.path} gives no output {missing[0]!r}, which field "
                f"'tasks' of {self.source} calls for (it gives "
                f"{sorted(outputs)}): that model_info.json belongs to "
                "another model")


def _dimension(value):
    """A graph's dimension as a positive int, or None where it is free."""
    try:
        value = int(value)
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


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
        try:
            loaded = tf.saved_model.load(path)
        except Exception as error:
            raise ValueError(f"{path}: not a loadable SavedModel "
                             f"({error_reason(error)})") from None
        if "serving_default" not in loaded.signatures:
            raise ValueError(f"{path}: a SavedModel without the "
                             "'serving_default' signature (it has "
                             f"{sorted(loaded.signatures)})")
        self.function = loaded.signatures["serving_default"]
        _, inputs = self.function.structured_input_signature
        self.check_graph(
            {name: spec.shape.as_list() if spec.shape.rank is not None
             else [None] * 4 for name, spec in inputs.items()},
            self.function.structured_outputs)

    def run_batch(self, images):
        import tensorflow as tf

        outputs = self.function(**{IMAGE_INPUT: tf.constant(images)})
        return {k: v.numpy() for k, v in outputs.items()}


class TFLiteRuntime(_ArtifactRuntime):
    """A `.tflite` file in the LiteRT interpreter (XNNPACK by default).

    Args:
        path: the `.tflite` file, `model_info.json` beside it.
        num_threads: CPU threads (None: LiteRT's default).
        interpreter_options: optional dict of further `Interpreter`
            arguments (`experimental_op_resolver_type`, ...), to run the
            file on other kernels.
    """

    name = "tflite"

    def __init__(self, path, num_threads=None, interpreter_options=None):
        from ai_edge_litert.interpreter import Interpreter

        super().__init__(path)
        try:
            self.interpreter = Interpreter(model_path=path,
                                           num_threads=num_threads,
                                           **(interpreter_options or {}))
            self.runner = self.interpreter.get_signature_runner(
                "serving_default")
        except Exception as error:
            raise ValueError(f"{path}: not a loadable TFLite model with a "
                             "'serving_default' signature "
                             f"({error_reason(error)})") from None
        self.check_graph(
            {name: d.get("shape_signature", d["shape"])
             for name, d in self.runner.get_input_details().items()},
            self.runner.get_output_details())

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
        try:
            self.session = onnxruntime.InferenceSession(
                path, options, providers=["CPUExecutionProvider"])
        except Exception as error:
            raise ValueError(f"{path}: not a loadable ONNX model "
                             f"({error_reason(error)})") from None
        self.session_outputs = [o.name for o in self.session.get_outputs()]
        self.check_graph({i.name: i.shape for i in self.session.get_inputs()},
                         self.session_outputs)

    def run_batch(self, images):
        values = self.session.run(None, {IMAGE_INPUT: images})
        return dict(zip(self.session_outputs, values))


class TensorRTRuntime(_ArtifactRuntime):
    name = "tensorrt"

    def __init__(self, path):
        from keras_dmtl.export.tensorrt_engine import EngineRunner

        super().__init__(path)
        try:
            self.engine = EngineRunner(path)
        except Exception as error:
            raise ValueError(f"{path}: not a loadable TensorRT engine "
                             f"({error_reason(error)})") from None

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

    Raises:
        FileNotFoundError: nothing at `path`, or no `model_info.json`.
        ValueError: naming the path and what is wrong: a folder that is not
            a SavedModel, an unknown file type, a file its runtime cannot
            load (corrupt, truncated), or a `model_info.json` that is
            malformed or describes another model.
    """
    if not os.path.exists(path):
        raise FileNotFoundError(f"model artifact not found: {path}")
    suffix = os.path.splitext(path)[1].lower()
    if os.path.isdir(path):
        if suffix in FILE_SUFFIXES:
            raise ValueError(f"{path}: a folder, not a {suffix} file")
        if not os.path.isfile(os.path.join(path, "saved_model.pb")):
            raise ValueError(f"{path}: a folder without saved_model.pb, so "
                             "not a SavedModel")
        return SavedModelRuntime(path)
    if not os.path.isfile(path):
        raise ValueError(f"{path}: not a regular file, so not a model "
                         "artifact")
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
