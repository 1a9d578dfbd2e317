"""What an artifact needs beside its graph: input size, tasks and labels.

Every export writes `model_info.json` next to the artifact (and inside a
SavedModel's `assets.extra/`, and into an ONNX file's metadata), so an app
or `keras-dmtl predict` can turn output numbers into names. Its `tasks`
list holds each task's own description (`Task.describe()`: `name`, `kind`,
the `config` that rebuilds the task, its `outputs` and, for apps that do
not use Python, the labels and what each output holds); `info_tasks` reads
the tasks back with `Task.from_description`, from files of this version
and of earlier ones, whose entries had no `config`.
"""

import json
import os

from keras_dmtl.export.serving import BYTES_INPUT
from keras_dmtl.export.serving import BYTES_SIGNATURE
from keras_dmtl.export.serving import IMAGE_INPUT
from keras_dmtl.export.serving import output_names
from keras_dmtl.tasks.task import Task
from keras_dmtl.version import __version__

INFO_FILE = "model_info.json"
FORMAT = "keras-dmtl-artifact"


def model_info(model):
    """The JSON-ready description of a `DMTLModel`'s artifacts.

    Args:
        model: a `DMTLModel`.

    Returns:
        A dict with the input (`image_size`, `input`), the artifact's
        `outputs` and `tasks`, one `task.describe()` entry per task.

    Example:

    ```python
    info = keras_dmtl.export.model_info(model)
    info["tasks"][0]
    # {'name': 'age', 'kind': 'ordinal', 'config': {...},
    #  'outputs': ['age', 'age_probabilities'], 'values': [...], ...}
    ```
    """
    size = model.image_size
    return {
        "format": FORMAT,
        "keras_dmtl": __version__,
        "backbone": model.backbone,
        "image_size": size,
        "input": {
            "name": IMAGE_INPUT,
            "shape": [None, size, size, 3],
            "dtype": "float32",
            "values": "RGB in 0..255 (no scaling: the graph scales), a face "
                      "aligned on five landmarks as in training",
        },
        "bytes_signature": {"name": BYTES_SIGNATURE, "input": BYTES_INPUT,
                            "note": "SavedModel only: encoded JPEG/PNG "
                                    "files, decoded and resized in the graph"},
        "outputs": output_names(model.tasks),
        "tasks": [task.describe() for task in model.tasks],
        # In the graph: each answer is the mean over the face and its mirror.
        "test_time_flip": bool(getattr(model, "test_time_flip", False)),
    }


def info_tasks(info, source="model info"):
    """The tasks of a model info, rebuilt with `Task.from_description`.

    Reads the entries of this version and of earlier ones (written before
    entries held a `config`).

    Args:
        info: a model info dict (`model_info`, or a read `model_info.json`).
        source: str, what to name in errors, such as the file's path.

    Returns:
        A list of `Task`, in the artifact's output order.

    Raises:
        ValueError: naming `source` and the field at fault, for a missing
            or malformed entry or an unknown task kind.

    Example:

    ```python
    info = keras_dmtl.export.read_model_info("export/model.onnx")
    tasks = keras_dmtl.export.info_tasks(info)
    [task.name for task in tasks]  # ['age', 'gender', 'race']
    ```
    """
    if not isinstance(info, dict):
        raise ValueError(f"{source}: not a JSON object but a "
                         f"{type(info).__name__}")
    entries = info.get("tasks")
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{source}: field 'tasks' is "
                         f"{'missing' if entries is None else repr(entries)};"
                         " expected a list of task entries")
    tasks = []
    for position, entry in enumerate(entries):
        field = f"tasks[{position}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{source}: field '{field}' is {entry!r}, not an "
                             "object")
        for key in ("name", "kind"):
            if not isinstance(entry.get(key), str):
                raise ValueError(
                    f"{source}: field '{field}.{key}' is "
                    f"{'missing' if key not in entry else repr(entry[key])}"
                    "; expected a string")
        name = entry["name"]
        if entry["kind"] not in Task.KINDS:
            raise ValueError(
                f"{source}: field '{field}.kind' of task '{name}' is "
                f"{entry['kind']!r}; this version of keras-dmtl knows "
                f"{sorted(Task.KINDS)}")
        where = f"{field}.config" if "config" in entry else field
        try:
            tasks.append(Task.from_description(entry))
        except KeyError as error:
            raise ValueError(f"{source}: field '{where}.{error.args[0]}' of "
                             f"task '{name}' is missing") from None
        except (TypeError, ValueError, AttributeError) as error:
            raise ValueError(f"{source}: field '{where}' of task '{name}': "
                             f"{error}") from None
    return tasks


def write_model_info(info, folder):
    """Writes `model_info.json` into `folder`; returns its path."""
    path = os.path.join(folder, INFO_FILE)
    with open(path, "w") as file:
        json.dump(info, file, indent=2)
    return path


def find_model_info(artifact):
    """The path of an artifact's `model_info.json`.

    Looks inside a SavedModel folder (`assets.extra/`), then beside the
    artifact.

    Raises:
        FileNotFoundError: naming the places looked in.
    """
    artifact = os.path.abspath(artifact)
    places = []
    if os.path.isdir(artifact):
        places.append(os.path.join(artifact, "assets.extra", INFO_FILE))
    places.append(os.path.join(os.path.dirname(artifact), INFO_FILE))
    for place in places:
        if os.path.isfile(place):
            return place
    raise FileNotFoundError(
        f"{artifact}: no {INFO_FILE} found (looked in {', '.join(places)}). "
        "Export with `keras-dmtl export`, which writes it beside the artifact.")


def load_model_info(path):
    """Reads and checks one `model_info.json` file.

    Raises:
        ValueError: naming the file and the field at fault: not JSON, not a
            keras-dmtl model info, no usable image size or tasks.
    """
    try:
        with open(path, encoding="utf-8") as file:
            info = json.load(file)
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError
        raise ValueError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        found = info.get("format") if isinstance(info, dict) else info
        raise ValueError(f"{path}: not a keras-dmtl model_info.json "
                         f"(field 'format' is {found!r}, expected "
                         f"{FORMAT!r})")
    size = info.get("image_size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ValueError(f"{path}: field 'image_size' is "
                         f"{'missing' if size is None else repr(size)}; "
                         "expected a positive whole number")
    info_tasks(info, path)
    return info


def read_model_info(artifact):
    """Finds, reads and checks the `model_info.json` of an exported artifact.

    Looks inside a SavedModel folder (`assets.extra/`), then beside the
    artifact.

    Raises:
        FileNotFoundError: naming the places looked in.
        ValueError: naming the file and field, for a malformed file.
    """
    return load_model_info(find_model_info(artifact))


def describe(info, outputs, index):
    """One image's answers, with names, from an artifact's outputs.

    Each task answers with `task.answer`: the same record that
    `DMTLModel.predict_attributes` gives and every artifact gives.

    Args:
        info: the artifact's model info, or its tasks (`info_tasks`).
        outputs: dict of output arrays, as a runtime returns them.
        index: int, which image of the batch.

    Returns:
        A dict from task name to its answer, such as `{"value", "label",
        "index"}` (ordinal), `{"label", "index", "probabilities"}`
        (nominal), `{"active", "probabilities"}` (multi-label) or one value
        per output (regression).

    Example:

    ```python
    runtime = keras_dmtl.export.load_artifact("export/model.onnx")
    outputs = runtime.predict(faces)
    keras_dmtl.export.describe(runtime.info, outputs, 0)
    # {'age': {'value': 31, 'label': '31', 'index': 31}, 'gender': {...}}
    ```
    """
    tasks = info_tasks(info) if isinstance(info, dict) else info
    return {task.name: task.answer(outputs, index) for task in tasks}
