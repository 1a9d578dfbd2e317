"""Grad-CAM heat maps for every task head of a DMTL model."""

import keras
import numpy as np

from keras_dmtl.models.dmtl_model import mirror_images
from keras_dmtl.tasks.task import find_task


def grad_cam(model, images, task_name):
    """Where in each image a task head looks (Selvaraju et al. 2017).

    The gradient of the head's score with respect to the last feature map
    its branch pools is averaged per channel; the channels weighted by it
    and summed, with negatives set to zero, give the map. The score is the
    task's own (`Task.gradcam_score`): the logit of the predicted class
    (nominal), the sum of the threshold logits (ordinal: it grows with the
    predicted rank), the logit of the most confident label (multi-label),
    the sum of the values (regression). A model with `test_time_flip`
    answers over the face and its mirror: the score is that answer's, and
    the mirror's map, mirrored back, is added to the face's. Gradients use
    TensorFlow, like the rest of the evaluation code.

    Args:
        model: a `DMTLModel`.
        images: array `(n, size, size, 3)` of RGB values in 0..255.
        task_name: the task whose head to explain.

    Returns:
        Array `(n, size, size)` of maps scaled to 0..1 per image.

    Example:

    ```python
    maps = grad_cam(model, faces[:4], "gender")  # (4, size, size)
    ```
    """
    import tensorflow as tf

    task = find_task(model.tasks, task_name)
    pool = model.get_layer(f"{model.task_branches[task_name]}_pool")
    explainer = keras.Model(model.input, [pool.input, model.output[task_name]])
    images = tf.convert_to_tensor(np.asarray(images, "float32"))
    flip = getattr(model, "test_time_flip", False)
    with tf.GradientTape() as tape:
        features, output = explainer(images, training=False)
        if flip:  # the score of the answer the model gives: face and mirror
            mirrored, other = explainer(mirror_images(images),
                                        training=False)
            output = (output + other) / 2
        score = task.gradcam_score(output)
    if flip:
        gradients, mirrored_gradients = tape.gradient(
            score, [features, mirrored])
    else:
        gradients = tape.gradient(score, features)
    weights = tf.reduce_mean(gradients, axis=(1, 2), keepdims=True)
    maps = tf.reduce_sum(weights * features, axis=-1)
    if flip:  # the mirror's map, mirrored back onto the face
        weights = tf.reduce_mean(mirrored_gradients, axis=(1, 2),
                                 keepdims=True)
        maps += mirror_images(tf.reduce_sum(weights * mirrored, axis=-1))
    maps = tf.nn.relu(maps)[..., None]
    maps = tf.image.resize(maps, images.shape[1:3])[..., 0].numpy()
    peak = maps.max(axis=(1, 2), keepdims=True)
    return np.divide(maps, peak, out=np.zeros_like(maps), where=peak > 0)
