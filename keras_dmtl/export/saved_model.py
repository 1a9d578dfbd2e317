"""A SavedModel with serving signatures, for TensorFlow Serving and tf2onnx."""

import os

from keras_dmtl.export.model_info import model_info
from keras_dmtl.export.model_info import write_model_info
from keras_dmtl.export.serving import BYTES_SIGNATURE
from keras_dmtl.export.serving import serving_functions


def write_saved_model(model, path, bytes_signature=True):
    """Writes a `DMTLModel` as a SavedModel folder with two signatures.

    - `serving_default`: `image`, float32 `(N, H, W, 3)` RGB in 0..255.
    - `serving_bytes`: `image_bytes`, string `(N,)` of encoded JPEG or PNG
      files (aligned face crops), decoded and resized in the graph.

    Both give `<task>` (decoded answer) and `<task>_probabilities` for every
    task. The model info goes into `assets.extra/model_info.json`. Loading
    needs TensorFlow only: `tf.saved_model.load(path)`.

    Args:
        model: a `DMTLModel`.
        path: the folder to create.
        bytes_signature: bool, add `serving_bytes`. The other exports,
            which convert `serving_default` only, leave it out.

    Returns:
        `path`.
    """
    import keras

    images_fn, bytes_fn, images_spec, bytes_spec = serving_functions(model)
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serving_default", images_fn,
                         input_signature=[images_spec])
    if bytes_signature:
        archive.add_endpoint(BYTES_SIGNATURE, bytes_fn,
                             input_signature=[bytes_spec])
    archive.write_out(path, verbose=False)
    extra = os.path.join(path, "assets.extra")
    os.makedirs(extra, exist_ok=True)
    write_model_info(model_info(model), extra)
    return path


def write_conversion_folder(model, folder, bytes_signature=False):
    """A SavedModel with `model_info.json` beside it, to convert from.

    TFLite, ONNX and other files converted from `folder/saved_model` and
    written into `folder` find the model info there, so `load_artifact`
    runs them.

    Args:
        model: a `DMTLModel`.
        folder: the folder (created if missing).
        bytes_signature: bool, as in `write_saved_model`.

    Returns:
        The SavedModel's path, `folder/saved_model`.

    Example:

    ```python
    saved = write_conversion_folder(model, "/tmp/int8")
    write_tflite(saved, "/tmp/int8/model_int8.tflite", "int8", faces)
    load_artifact("/tmp/int8/model_int8.tflite").predict(faces)
    ```
    """
    os.makedirs(folder, exist_ok=True)
    write_model_info(model_info(model), folder)
    return write_saved_model(model, os.path.join(folder, "saved_model"),
                             bytes_signature)
