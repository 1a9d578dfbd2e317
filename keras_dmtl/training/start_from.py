"""Starting a new training run from a trained model's weights."""

import numpy as np


class StartFromError(ValueError):
    """A trained model's weights do not fit the model about to train."""


def start_from(model, path, saved=None):
    """Copies a trained keras-dmtl model's weights into `model`.

    For training a finished model longer, on another mix of datasets or
    with another schedule: the network (trunk, branches and heads) takes
    the saved model's weights; the loss weighting's own variables (the
    learned log-variances) are copied too when both models weigh their
    losses the same way, and otherwise start afresh. The optimizer always
    starts afresh. The saved model's class offsets and thresholds are not
    copied: they were chosen for its decisions, not learned, and a model
    trained further needs them chosen again (`keras-dmtl calibrate`).
    The new model may copy upper stages per branch where the saved one
    shares them, or split a category's branch per task (`--shared-stages`,
    `--branch-by`): every copy starts from the saved stages its tasks used,
    so a task can get stages of its own after training shared. A compound
    head is not copied (attach it again). A quantization-aware model (`keras-dmtl quantize`) goes on training
    as one only into a model built with its `int8_ranges`
    (`start_model_settings`), as the recipes build it.

    Args:
        model: a built `DMTLModel`, the run's new model.
        path: the `.keras` file of a trained `DMTLModel` with the same
            tasks (names and kinds), backbone and image size, and the
            same stages shared or more.
        saved: the model loaded from `path` already, or None.

    Returns:
        The number of weight arrays copied.

    Raises:
        StartFromError: one line naming the file and what differs.

    Example:

    ```python
    model = DMTLModel(tasks, backbone="mobilenet_v2", image_size=96)
    start_from(model, "runs/utkface_fer/model.keras")
    ```
    """
    path = check_start_file(path)
    if saved is None:
        saved = load_start_model(path)
    _check_same_model(saved, model, path)
    try:
        pairs = _pairs(model, saved, path)
    except ValueError as error:
        if isinstance(error, StartFromError):
            raise
        raise StartFromError(f"--start-from {path}: {error}") from None

    copied = 0
    for mine, theirs in pairs:
        mine.assign(theirs.numpy())
        copied += 1
    return copied


def load_start_model(path):
    """The trained model of `--start-from`.

    Raises:
        StartFromError: one line naming the file and what is wrong.
    """
    from keras_dmtl.models.load_model import load_dmtl_model

    path = check_start_file(path)
    try:
        return load_dmtl_model(path)
    except ValueError as error:  # names the file and what is wrong
        raise StartFromError(f"--start-from {error}") from None


def start_model_settings(saved):
    """`DMTLModel` arguments a model must share with the one it starts
    from: the int8 ranges of a quantization-aware model (`{}` for a float
    one)."""
    ranges = getattr(saved, "int8_ranges", None)
    return {} if ranges is None else {"int8_ranges": ranges}


def check_start_split(path, split):
    """Refuses to test on faces the start model may have trained on.

    The run that wrote `path` recorded its test faces' fingerprint in the
    `run.json` beside it (`"split"`). When it differs from this run's, the
    start model trained on some of this run's test faces, and every figure
    of the run would count them: refused. A model without such a file
    (saved by hand, or by another tool) is not checked.

    Args:
        path: the `--start-from` file.
        split: this run's test faces' fingerprint (`RunFolder.check_split`).

    Raises:
        StartFromError: one line naming both runs' split seeds.
    """
    import json
    import os

    from keras_dmtl.training.arguments import split_seed
    from keras_dmtl.training.run_folder import RUN_FILE

    beside = os.path.join(os.path.dirname(os.path.abspath(path)), RUN_FILE)
    try:
        with open(beside) as file:
            recorded = json.load(file)
    except (OSError, ValueError):
        return
    if not isinstance(recorded, dict) or recorded.get("split") in (
            None, split):
        return
    seed = split_seed(recorded.get("settings") or {})
    raise StartFromError(
        f"--start-from {path}: its run held out other test faces "
        f"({beside}: split {recorded['split']}, this run {split}), so it "
        f"trained on some of this run's test faces; hold out its faces "
        f"(--split-seed {seed}, the same data)")


def check_start_file(path, out=None):
    """The path as a string, checked before a run reads its data.

    Args:
        path: the `--start-from` file.
        out: the run folder, or None; a start file inside it is refused
            (the run, or its `--overwrite`, would replace it).

    Raises:
        StartFromError: nothing there, a folder, not a `.keras` file, or a
            file inside `out`.
    """
    from keras_dmtl.models.load_model import check_model_option

    try:
        return check_model_option(path, "--start-from", out)
    except ValueError as error:
        raise StartFromError(str(error)) from None


def _check_same_model(saved, model, path):
    """Tasks, network and quantization must be the same."""
    def kinds(m):
        return [(t.name, type(t).__name__) for t in getattr(m, "tasks", [])]

    if kinds(saved) != kinds(model):
        raise StartFromError(
            f"--start-from {path}: its tasks {_names(saved)} differ from "
            f"this run's {_names(model)}")
    for theirs, mine in zip(saved.tasks, model.tasks):
        if not theirs.labels_match(mine):
            raise StartFromError(
                f"--start-from {path}: its task '{theirs.name}' reads other "
                f"labels than this run's ({theirs.describe().get('labels')} "
                f"against {mine.describe().get('labels')})")
    if saved.int8_ranges != model.int8_ranges:
        if saved.int8_ranges is None or model.int8_ranges is None:
            what = ("quantization-aware" if saved.int8_ranges is not None
                    else "a float model")
            raise StartFromError(
                f"--start-from {path}: it is {what}, this run's model is not "
                "(build it with the saved model's int8_ranges)")
        raise StartFromError(f"--start-from {path}: its int8_ranges differ "
                             "from this run's model's")
    # Stages and branches may differ: `_pairs` copies what fits by name.
    for field in ("backbone", "image_size"):
        theirs, mine = getattr(saved, field), getattr(model, field)
        if theirs != mine:
            option = "--" + field.replace("_", "-")
            raise StartFromError(
                f"--start-from {path}: its {field} is {theirs!r}, this run's "
                f"{option} is {mine!r}")


def _names(model):
    return "[" + ", ".join(t.name for t in model.tasks) + "]"


def _pairs(model, saved, path):
    """The (new, saved) variable pairs to copy, network first.

    Each network variable of the new model takes the saved model's
    variable of the same layer and name (`named_variables`) from the part
    of the saved network that served all the tasks the new layer serves:
    its shared stages, or the branch whose tasks include them. So a model
    whose upper stages are copied per category or per task (`--shared-
    stages`, `--branch-by`) starts every copy from a model that shares
    them, or from the category branch its tasks belonged to. A layer that
    would merge branches the saved model kept apart, or that the saved
    model lacks, is refused. The loss weighting's variables are paired
    only when they all match in number and shape.
    """
    from keras_dmtl.models.named_variables import named_variables

    def served(m, branch):  # the tasks a part of the network serves
        return frozenset(name for name, group in m.task_branches.items()
                         if branch is None or group == branch)

    places = {}
    for (branch, layer, name), variable in named_variables(saved).items():
        places.setdefault((layer, name), []).append(
            (branch, served(saved, branch), variable))
    pairs = []
    for (branch, layer, name), mine in named_variables(model).items():
        found = places.get((layer, name), [])
        if not found:
            raise StartFromError(
                f"--start-from {path}: it has no weight '{name}' of layer "
                f"'{layer}', which this run's model has")
        tasks = served(model, branch)
        theirs = [v for _, covered, v in found if tasks <= covered]
        if not theirs:
            where = f"branch '{branch}'" if branch else "its shared stages"
            raise StartFromError(
                f"--start-from {path}: its layer '{layer}' is in its branches "
                f"{sorted(b or 'shared' for b, _, _ in found)}, which this "
                f"run's model would merge in {where}; give --shared-stages "
                "and --branch-by as it was trained, or share fewer stages")
        theirs = theirs[0]
        if tuple(mine.shape) != tuple(theirs.shape):
            raise StartFromError(
                f"--start-from {path}: weight {theirs.path} has shape "
                f"{tuple(theirs.shape)}, this run's {mine.path} "
                f"{tuple(mine.shape)}")
        pairs.append((mine, theirs))
    weighting, saved_weighting = (list(model.weighting.weights),
                                  list(saved.weighting.weights))
    if (type(model.weighting) is type(saved.weighting)
            and len(weighting) == len(saved_weighting)
            and all(tuple(a.shape) == tuple(b.shape)
                    for a, b in zip(weighting, saved_weighting))
            and all(np.all(np.isfinite(b.numpy())) for b in saved_weighting)):
        pairs += list(zip(weighting, saved_weighting))
    return pairs
