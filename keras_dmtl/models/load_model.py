"""Loads a saved keras-dmtl model, and only that."""

import os


def load_dmtl_model(path):
    """Loads a `.keras` file, insisting that it holds a keras-dmtl model.

    Args:
        path: the `.keras` file.

    Returns:
        The `DMTLModel`.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: naming the file, when it is not a loadable Keras model
            or holds another kind of model.

    Example:

    ```python
    model = keras_dmtl.models.load_dmtl_model("runs/utkface/model.keras")
    model.predict_attributes(faces)
    ```
    """
    import keras

    from keras_dmtl.models.dmtl_model import DMTLModel

    if not os.path.isfile(path):
        raise FileNotFoundError(f"model file not found: {path}")
    try:
        model = keras.models.load_model(path)
    except Exception as error:
        raise ValueError(
            f"{path}: not a loadable Keras model file ({error})") from None
    if not isinstance(model, DMTLModel):
        raise ValueError(
            f"{path}: a {type(model).__name__}, not a keras-dmtl model "
            "(DMTLModel)")
    return model
