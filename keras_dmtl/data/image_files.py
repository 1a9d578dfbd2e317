"""A tf.data pipeline from image files and their labels."""

import numpy as np


def image_file_dataset(
    paths, labels, image_size, batch_size=32, shuffle=False, seed=0
):
    """Builds a dataset of `(images, {task: label})` batches from files.

    JPEG, PNG, BMP and GIF are decoded to RGB (grayscale is repeated to 3
    channels) and resized to `image_size`; pixel values stay in 0..255.

    Args:
        paths: list of image paths.
        labels: dict from task name to an array with one label per path.
        image_size: int, output height and width.
        batch_size: int.
        shuffle: bool, shuffle the files every epoch.
        seed: int, the shuffle seed.
    """
    import tensorflow as tf

    for name, values in labels.items():
        if len(values) != len(paths):
            raise ValueError(
                f"labels['{name}'] has {len(values)} entries for "
                f"{len(paths)} paths"
            )
    labels = {name: np.asarray(values) for name, values in labels.items()}

    def load(path, label):
        data = tf.io.read_file(path)
        image = tf.io.decode_image(data, channels=3, expand_animations=False)
        image = tf.image.resize(image, (image_size, image_size))
        image.set_shape((image_size, image_size, 3))
        return image, label

    data = tf.data.Dataset.from_tensor_slices((list(paths), labels))
    if shuffle:
        data = data.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
    data = data.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    return data.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def split_indices(count, test_fraction, seed=0):
    """A deterministic random split of `range(count)` into train and test."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1): {test_fraction}")
    order = np.random.default_rng(seed).permutation(count)
    test = int(round(count * test_fraction))
    return np.sort(order[test:]), np.sort(order[:test])
