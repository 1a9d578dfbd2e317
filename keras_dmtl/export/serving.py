"""The outputs every exported artifact gives: decoded answers and more.

An artifact's graph ends where a user's code begins: each task gives the
outputs its `output_names()` lists, computed in the graph by its
`graph_outputs`: for example `<task>` (the decoded answer: an ordinal
task's rank value, such as the age in years, or with
`OrdinalTask(decoding="expected")` the real-valued expected age, whose
nearest rank is the answer; a nominal task's class index;
a multi-label task's 0/1 per label; a regression task's values) and
`<task>_probabilities` (for the tasks that have them). The TensorFlow graph
below is what SavedModel, TFLite, ONNX and TensorRT artifacts compute; its
NumPy twin (each task's `numpy_outputs`) decodes the Keras model's raw
outputs the same way, so parity checks compare like with like.

This file is export code and uses TensorFlow directly (inside the tasks'
`graph_outputs`): `keras.ops.argmax` guards against negative zeros with a
`Bitcast` that ONNX has no operator for.
"""

IMAGE_INPUT = "image"
BYTES_INPUT = "image_bytes"
BYTES_SIGNATURE = "serving_bytes"


def output_names(tasks):
    """The artifact's output names: each task's `output_names()`, in order.

    Args:
        tasks: list of `Task`.

    Returns:
        A list of str, such as `["age", "age_probabilities", "affect"]`.
    """
    return [name for task in tasks for name in task.output_names()]


def decoded_outputs(tasks, raw):
    """TensorFlow: raw head outputs to the artifact's named outputs.

    Args:
        tasks: list of `Task`.
        raw: dict from task name to the head's raw output tensor.

    Returns:
        A dict from output name (`output_names(tasks)`) to a tensor.
    """
    outputs = {}
    for task in tasks:
        outputs.update(task.graph_outputs(raw[task.name]))
    return outputs


def decoded_outputs_numpy(tasks, raw):
    """NumPy twin of `decoded_outputs`, for the Keras model's outputs.

    Args:
        tasks: list of `Task`.
        raw: dict from task name to the head's raw output array.

    Returns:
        A dict from output name to a NumPy array, one row per image.
    """
    outputs = {}
    for task in tasks:
        outputs.update(task.numpy_outputs(raw[task.name]))
    return outputs


def serving_functions(model):
    """The two serving functions of a `DMTLModel`, for `tf.function` export.

    Returns:
        `(images_fn, bytes_fn, images_spec, bytes_spec)`: `images_fn` takes a
        float batch `(N, H, W, 3)` of RGB values in 0..255; `bytes_fn` takes
        a batch `(N,)` of encoded JPEG, PNG, BMP or GIF files, decodes each
        to RGB and resizes it to the model's input size in the graph.
    """
    import tensorflow as tf

    size = model.image_size
    tasks = model.tasks

    def images_fn(image):
        return decoded_outputs(tasks, model(image, training=False))

    def decode_one(data):
        image = tf.io.decode_image(data, channels=3, expand_animations=False)
        image = tf.image.resize(tf.cast(image, tf.float32), (size, size))
        return tf.ensure_shape(image, (size, size, 3))

    def bytes_fn(image_bytes):
        images = tf.map_fn(
            decode_one, image_bytes,
            fn_output_signature=tf.TensorSpec((size, size, 3), tf.float32))
        return images_fn(images)

    images_spec = tf.TensorSpec((None, size, size, 3), tf.float32,
                                name=IMAGE_INPUT)
    bytes_spec = tf.TensorSpec((None,), tf.string, name=BYTES_INPUT)
    return images_fn, bytes_fn, images_spec, bytes_spec
