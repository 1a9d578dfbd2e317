"""Loads a saved keras-dmtl model, and only that."""

import os
import zipfile


def load_dmtl_model(path, test_time_flip=None):
    """Loads a `.keras` file, insisting that it holds a keras-dmtl model.

    Args:
        path: the `.keras` file.
        test_time_flip: optional bool: the loaded model answers over each
            face and its mirror image (True) or not (False); None keeps
            the file's setting.

    Returns:
        The `DMTLModel`.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: naming the path and what is wrong with it: a folder, a
            file that is not a `.keras` archive (corrupt, truncated, another
            format), one Keras cannot load, or one holding another kind of
            model.

    Example:

    ```python
    model = keras_dmtl.models.load_dmtl_model("runs/utkface/model.keras")
    model.predict_attributes(faces)
    ```
    """
    import keras

    from keras_dmtl.models.dmtl_model import DMTLModel

    check_model_file(path)
    try:
        model = keras.models.load_model(path)
    except Exception as error:
        raise ValueError(
            f"{path}: not a loadable Keras model file "
            f"({type(error).__name__}: {error})") from None
    if not isinstance(model, DMTLModel):
        raise ValueError(
            f"{path}: a {type(model).__name__}, not a keras-dmtl model "
            "(DMTLModel)")
    if test_time_flip is not None:
        model.test_time_flip = test_time_flip
    return model


def check_model_file(path):
    """Says what is wrong with a path given as a `.keras` model file.

    Raises:
        FileNotFoundError: nothing at `path`.
        ValueError: naming the path: a folder (a SavedModel, or another
            folder), or a file that is not a `.keras` zip archive.
    """
    if not os.path.exists(path):
        raise FileNotFoundError(f"model file not found: {path}")
    if os.path.isdir(path):
        what = ("a SavedModel folder" if os.path.isfile(
            os.path.join(path, "saved_model.pb")) else "a folder")
        raise ValueError(f"{path}: {what}, not a .keras model file; give the "
                         "run's model.keras")
    if not os.path.isfile(path):
        raise ValueError(f"{path}: not a regular file, so not a .keras model "
                         "file")
    try:
        with open(path, "rb") as file:
            start = file.read(4)
    except OSError as error:
        raise ValueError(f"{path}: cannot be read ({error.strerror or error})"
                         ) from None
    if not start:
        raise ValueError(f"{path}: empty file (0 bytes), not a .keras model")
    if path.lower().endswith(".keras") and not zipfile.is_zipfile(path):
        raise ValueError(f"{path}: not a .keras model file (a .keras file is "
                         "a zip archive; this one is not: corrupt, truncated "
                         "or of another format)")


def check_model_option(path, option, out=None):
    """A command-line option's `.keras` file, checked before a run reads
    its data.

    Args:
        path: the file.
        option: the option's name, for the messages (`--start-from`).
        out: the run folder, or None; a file inside it is refused (the
            run, or its `--overwrite`, would replace it).

    Returns:
        The path as a string.

    Raises:
        ValueError: one line naming the option and the file: nothing
            there, a folder, not a `.keras` file, or a file inside `out`.
    """
    path = os.fspath(path)
    if out is not None:
        inside = os.path.realpath(path)
        folder = os.path.realpath(os.fspath(out))
        if os.path.commonpath([inside, folder]) == folder:
            raise ValueError(
                f"{option} {path} lies in --out {out}, the folder this "
                "run writes; give the new run another --out")
    if not os.path.exists(path):
        raise ValueError(f"{option} {path}: no such file")
    try:
        check_model_file(path)
    except ValueError as error:
        raise ValueError(f"{option} {error}") from None
    return path
