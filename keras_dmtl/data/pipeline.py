"""tf.data pipelines from `FaceExamples`."""

import numpy as np

from keras_dmtl.data.augmentation import face_augmentation


def example_dataset(examples, tasks, image_size):
    """An unbatched dataset of `(image, {task: label})` pairs.

    Files are decoded in the graph by `decode_image` (JPEG, PNG, BMP, GIF,
    WebP; grayscale becomes RGB) and in-memory images are taken as they
    are; both are resized to `image_size` with values kept in 0..255. The
    readers' image check decodes with the same `decode_image`, so a file
    they keep is one this stream decodes. The labels are
    `examples.labels_for(tasks)`: tasks the examples do not annotate get
    their missing labels (see `FaceExamples.labels_for`).

    Args:
        examples: `FaceExamples`.
        tasks: list of `Task` objects or task names.
        image_size: int, output height and width.
    """
    import tensorflow as tf

    labels = examples.labels_for(tasks)
    if examples.paths is not None:
        def load(path, label):
            image = decode_image(tf.io.read_file(path))
            return _resize(image, image_size), label

        data = tf.data.Dataset.from_tensor_slices((examples.paths, labels))
        return data.map(load, num_parallel_calls=tf.data.AUTOTUNE)

    images = examples.images
    if images.ndim == 3:
        images = images[..., None]

    def prepare(image, label):
        if image.shape[-1] == 1:
            image = tf.image.grayscale_to_rgb(image)
        return _resize(image, image_size), label

    data = tf.data.Dataset.from_tensor_slices((images, labels))
    return data.map(prepare, num_parallel_calls=tf.data.AUTOTUNE)


def decode_image(data):
    """Decodes image file bytes as the training stream does.

    One decoder for the stream and for the check readers make before it
    (`keras_dmtl.data.image_check.check_image_bytes`), so that a file the
    check keeps is one the stream decodes.

    Args:
        data: a string tensor (or bytes) holding a JPEG, PNG, GIF, BMP or
            WebP file; the first frame of an animation is taken.

    Returns:
        A `(height, width, 3)` uint8 tensor.

    Raises:
        tf.errors.InvalidArgumentError: in eager mode, for data it cannot
            decode.
    """
    import tensorflow as tf

    return tf.io.decode_image(data, channels=3, expand_animations=False)


def _resize(image, image_size):
    import tensorflow as tf

    image = tf.image.resize(image, (image_size, image_size))
    image.set_shape((image_size, image_size, 3))
    return image


def batch_and_augment(data, batch_size, augment=False, seed=0):
    """Batches a dataset and applies `face_augmentation` to the batches."""
    import tensorflow as tf

    data = data.batch(batch_size)
    if augment:
        layer = augment if callable(augment) else face_augmentation(seed=seed)
        data = data.map(lambda x, y: (layer(x, training=True), y),
                        num_parallel_calls=tf.data.AUTOTUNE)
    return data.prefetch(tf.data.AUTOTUNE)


def face_dataset(examples, tasks=None, image_size=224, batch_size=32,
                 shuffle=False, augment=False, seed=0):
    """A dataset of `(images, {task: label})` batches for `model.fit`.

    Each label has the shape and dtype its task declares: `(batch,)` int32
    for ordinal and nominal tasks, `(batch, L)` int32 for a multi-label
    task, `(batch, K)` float32 for a regression task.

    Args:
        examples: `FaceExamples` from a reader.
        tasks: the model's tasks (`model.tasks`), or their names. A task the
            examples lack gets its missing labels (`task.missing_labels`,
            -1 or NaN of the task's shape); a *name* the examples lack gets
            -1 int32 labels, right only for ordinal and nominal tasks.
            Defaults to the examples' own tasks.
        image_size: int, output height and width.
        batch_size: int.
        shuffle: reshuffle every epoch.
        augment: False, True (`face_augmentation()`), or a layer to apply.
        seed: int.
    """
    data = example_dataset(examples, tasks or examples.tasks, image_size)
    if shuffle:
        data = data.shuffle(min(len(examples), 20000), seed=seed,
                            reshuffle_each_iteration=True)
    return batch_and_augment(data, batch_size, augment, seed)


def mixed_dataset(sources, tasks, image_size=224, batch_size=32,
                  augment=False, seed=0):
    """Mixes datasets whose labels do not overlap into one endless stream.

    Each example comes from source i with probability `weights[i]` (after
    normalising), so one batch may hold UTKFace faces labelled for age,
    gender and race next to FER2013 faces labelled for expression, CK+
    faces labelled for action units and DiffusionFER faces labelled for
    valence and arousal; the tasks a source does not annotate get their
    missing labels (-1, or NaN for regression) and drop out of those
    losses. Pass `steps_per_epoch` to `fit`.

    Args:
        sources: list of `(FaceExamples, weight)` pairs.
        tasks: the model's tasks (`model.tasks`). Task names are accepted
            too, but a name that a source lacks gets -1 int32 labels, so
            pass `Task` objects whenever a multi-label or regression task
            is missing from a source.
        image_size, batch_size, augment, seed: as in `face_dataset`.

    Example:

    ```python
    data = keras_dmtl.data.mixed_dataset(
        [(utkface, 3), (fer2013, 1), (ckplus, 1), (diffusionfer, 1)],
        model.tasks, image_size=128, batch_size=64)
    model.fit(data, steps_per_epoch=500, epochs=10)
    ```
    """
    import tensorflow as tf

    weights = np.array([w for _, w in sources], dtype="float64")
    if weights.min() < 0 or weights.sum() <= 0:
        raise ValueError(f"sampling weights must be >= 0, not all 0: {weights}")
    streams = []
    for index, (examples, _) in enumerate(sources):
        data = example_dataset(examples, tasks, image_size)
        data = data.shuffle(min(len(examples), 20000), seed=seed + index,
                            reshuffle_each_iteration=True).repeat()
        streams.append(data)
    _check_same_labels(sources, streams)
    mixed = tf.data.Dataset.sample_from_datasets(
        streams, weights=list(weights / weights.sum()), seed=seed
    )
    return batch_and_augment(mixed, batch_size, augment, seed)


def _check_same_labels(sources, streams):
    """Raises a `ValueError` naming a task whose labels differ by source."""
    first = streams[0].element_spec[1]
    for index, stream in enumerate(streams[1:], start=1):
        for name, spec in stream.element_spec[1].items():
            if spec != first[name]:
                raise ValueError(
                    f"mixed_dataset: labels of '{name}' are "
                    f"{first[name].dtype.name} {tuple(first[name].shape)} in "
                    f"source 0 ({sources[0][0].source}) but "
                    f"{spec.dtype.name} {tuple(spec.shape)} in source "
                    f"{index} ({sources[index][0].source}); pass the "
                    "model's Task objects, not names, so that missing "
                    "labels take the task's shape and dtype")
