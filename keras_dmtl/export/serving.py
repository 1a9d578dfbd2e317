"""The outputs every exported artifact gives: decoded answers and probabilities.

An artifact's graph ends where a user's code begins: for each task it gives
`<task>` (the decoded answer: the rank value, such as the age in years, for
an ordinal task; the class index for a nominal task) and
`<task>_probabilities` (the K-1 "above rank k" probabilities of an ordinal
task; the class probabilities of a nominal task). The TensorFlow graph below
is what SavedModel, TFLite, ONNX and TensorRT artifacts compute; its NumPy
twin decodes the Keras model's raw outputs the same way, so parity checks
compare like with like.

This file is export code and uses TensorFlow directly: `keras.ops.argmax`
guards against negative zeros with a `Bitcast` that ONNX has no operator
for.
"""

import numpy as np

IMAGE_INPUT = "image"
BYTES_INPUT = "image_bytes"
BYTES_SIGNATURE = "serving_bytes"


def output_names(tasks):
    """The artifact's output names, two per task, in task order."""
    names = []
    for task in tasks:
        names += [task.name, f"{task.name}_probabilities"]
    return names


def decoded_outputs(tasks, raw):
    """TensorFlow: raw head outputs to the artifact's named outputs."""
    import tensorflow as tf

    outputs = {}
    for task in tasks:
        logits = tf.cast(raw[task.name], tf.float32)
        if task.kind == "ordinal":
            # Counted in int32: a full-integer TFLite model quantizes a
            # float count to int8 steps of about 116/255, which moved ages
            # (age agreement 59 % -> 51 % on the UTKFace model).
            rank = tf.reduce_sum(tf.cast(logits > 0, tf.int32), axis=-1)
            values = tf.constant(np.asarray(task.values, "float32"))
            outputs[task.name] = tf.gather(values, rank)
            outputs[f"{task.name}_probabilities"] = tf.sigmoid(logits)
        else:
            outputs[task.name] = tf.argmax(logits, axis=-1,
                                           output_type=tf.int32)
            outputs[f"{task.name}_probabilities"] = tf.nn.softmax(logits)
    return outputs


def decoded_outputs_numpy(tasks, raw):
    """NumPy twin of `decoded_outputs`, for the Keras model's outputs.

    The answers come from each task's own `predict_index`, the rule the
    rest of the library decodes with.
    """
    outputs = {}
    for task in tasks:
        logits = np.asarray(raw[task.name], "float32")
        index = task.predict_index(logits)
        if task.kind == "ordinal":
            outputs[task.name] = np.asarray(task.values, "float32")[index]
            outputs[f"{task.name}_probabilities"] = 1 / (1 + np.exp(-logits))
        else:
            outputs[task.name] = index.astype("int32")
            shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
            outputs[f"{task.name}_probabilities"] = (
                shifted / shifted.sum(axis=-1, keepdims=True))
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
