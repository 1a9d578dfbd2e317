"""Training-time augmentation of face batches."""

import keras


def face_augmentation(flip=True, rotation=0.03, zoom=0.1, contrast=0.2,
                      seed=None):
    """Random flips, small rotations and zooms, and contrast changes.

    Built from Keras preprocessing layers, for training data only. The
    defaults are mild because faces are already aligned: a rotation factor
    of 0.03 is about +-11 degrees.

    Args:
        flip: bool, random horizontal flips.
        rotation: float, rotation range as a fraction of a full turn.
        zoom: float, zoom range as a fraction.
        contrast: float, contrast range.
        seed: optional int.

    Returns:
        A `keras.Sequential` to call on a batch with `training=True`.
    """
    layers = []
    if flip:
        layers.append(keras.layers.RandomFlip("horizontal", seed=seed))
    if rotation:
        layers.append(keras.layers.RandomRotation(rotation, fill_mode="reflect",
                                                  seed=seed))
    if zoom:
        layers.append(keras.layers.RandomZoom(zoom, fill_mode="reflect",
                                              seed=seed))
    if contrast:
        layers.append(keras.layers.RandomContrast(contrast, value_range=(0, 255),
                                                  seed=seed))
    if not layers:
        layers.append(keras.layers.Identity())
    return keras.Sequential(layers, name="face_augmentation")
