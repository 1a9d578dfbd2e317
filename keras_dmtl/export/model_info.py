"""What an artifact needs beside its graph: input size, tasks and labels.

Every export writes `model_info.json` next to the artifact (and inside a
SavedModel's `assets.extra/`, and into an ONNX file's metadata), so an app
or `keras-dmtl predict` can turn output numbers into names without Keras or
keras_dmtl: the class names of nominal tasks and the rank values and names
of ordinal tasks.
"""

import json
import os

import numpy as np

from keras_dmtl.export.serving import BYTES_INPUT
from keras_dmtl.export.serving import BYTES_SIGNATURE
from keras_dmtl.export.serving import IMAGE_INPUT
from keras_dmtl.export.serving import output_names
from keras_dmtl.version import __version__

INFO_FILE = "model_info.json"
FORMAT = "keras-dmtl-artifact"


def model_info(model):
    """The JSON-ready description of a `DMTLModel`'s artifacts."""
    tasks = []
    for task in model.tasks:
        entry = {"name": task.name, "kind": task.kind}
        if task.kind == "ordinal":
            entry.update({
                "values": [float(v) for v in task.values],
                "labels": list(task.names),
                "values_are_ranks": task.ranks is not None,
                "probabilities": "P(rank > k) for each of the K-1 thresholds",
            })
        else:
            entry.update({"labels": list(task.classes),
                          "probabilities": "softmax over the classes"})
        tasks.append(entry)
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
        "tasks": tasks,
    }


def write_model_info(info, folder):
    """Writes `model_info.json` into `folder`; returns its path."""
    path = os.path.join(folder, INFO_FILE)
    with open(path, "w") as file:
        json.dump(info, file, indent=2)
    return path


def read_model_info(artifact):
    """Finds and reads the `model_info.json` of an exported artifact.

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
            with open(place) as file:
                info = json.load(file)
            if info.get("format") != FORMAT:
                raise ValueError(f"{place}: not a keras-dmtl model_info.json "
                                 f"(field 'format' is {info.get('format')!r})")
            return info
    raise FileNotFoundError(
        f"{artifact}: no {INFO_FILE} found (looked in {', '.join(places)}). "
        "Export with `keras-dmtl export`, which writes it beside the artifact.")


def describe(info, outputs, index, digits=4):
    """One image's attributes, with names, from an artifact's outputs.

    Args:
        info: the artifact's model info.
        outputs: dict of output arrays, as a runner returns them.
        index: int, which image of the batch.

    Returns:
        A dict from task name to `{"value", "label"}` (ordinal) or
        `{"label", "index", "probabilities"}` (nominal).
    """
    attributes = {}
    for task in info["tasks"]:
        name = task["name"]
        answer = float(np.asarray(outputs[name])[index])
        probabilities = np.asarray(outputs[f"{name}_probabilities"])[index]
        if task["kind"] == "ordinal":
            values = np.asarray(task["values"])
            rank = int(np.argmin(np.abs(values - answer)))
            value = task["values"][rank]
            attributes[name] = {
                "value": int(value) if float(value).is_integer() else value,
                "label": task["labels"][rank],
            }
        else:
            rank = int(answer)
            attributes[name] = {
                "label": task["labels"][rank],
                "index": rank,
                "probabilities": {
                    label: round(float(p), digits)
                    for label, p in zip(task["labels"], probabilities)
                },
            }
    return attributes
