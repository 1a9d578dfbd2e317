"""Tunes a trained model's decisions on held-out faces, weights unchanged."""

from keras_dmtl.tasks.task import find_task


def calibrate_model(model, examples, task_names=None, batch_size=32,
                    options=None):
    """Lets each named task tune its decisions on held-out faces.

    What a task tunes is its own (`Task.calibrate`): a multi-label task
    each label's threshold, a nominal task its class offsets (logit
    adjustment for rare classes); the other kinds have nothing to tune.
    The tasks are changed in place, so a model saved afterwards keeps the
    new decisions and its exports carry them. Never calibrate on the faces
    a figure is reported on. Only tasks whose calibration reads answers
    (`Task.calibration_reads_answers`) run the faces through the model.

    Args:
        model: a `DMTLModel`.
        examples: `FaceExamples` labelled for the tasks, not trained on
            (with a nominal task's `strength` only their labels are read,
            and they are the training faces).
        task_names: the tasks to calibrate; default: every task of the
            model that the faces label.
        batch_size: int.
        options: optional dict given to every task's `calibrate`
            (`{"min_recall": 0.35}`: a nominal task keeps the offsets with
            the best accuracy where every class's recall reaches it;
            `{"strength": 1.0}`: a nominal task sets `-log(prior)` offsets
            from the faces' class frequencies, reading no answer, so the
            faces are the training faces).

    Returns:
        A dict from task name to what changed (None: nothing to tune).

    Raises:
        ValueError: a named task is not the model's, or the faces do not
            label it, or label it differently, or a task cannot follow the
            options (a multi-label task given a `strength`), before any
            face goes through the model.

    Example:

    ```python
    held_out = keras_dmtl.data.read_any("held_out.csv", model.tasks)
    calibrate_model(model, held_out, ["race"])
    model.save("calibrated.keras")
    ```
    """
    from keras_dmtl.data import face_dataset
    from keras_dmtl.evaluation.predictions import collect_predictions

    names = list(task_names or [t.name for t in model.tasks
                                if t.name in examples.task_names])
    tasks = []
    for name in names:
        if name not in model.task_names:
            raise ValueError(f"The model has no task '{name}' (its tasks: "
                             f"{model.task_names}).")
        if name not in examples.task_names:
            raise ValueError(f"The data ({examples.source}) do not label "
                             f"'{name}' (they label {examples.task_names}).")
        task = find_task(model.tasks, name)
        if not find_task(examples.tasks, name).labels_match(task):
            raise ValueError(f"Task '{name}' differs between the model and "
                             f"the data ({examples.source}).")
        tasks.append(task)
    if not tasks:
        raise ValueError(f"The data ({examples.source}) label none of the "
                         f"model's tasks {model.task_names}.")
    answered = [t for t in tasks if t.calibration_reads_answers(options)]
    changes = {}
    if answered:
        data = face_dataset(examples, answered, model.image_size, batch_size)
        for name, p in collect_predictions(model, data, answered).items():
            changes[name] = p.task.calibrate(p.labels, p.outputs, options)
    unanswered = [t for t in tasks if t.name not in changes]
    labels = examples.labels_for(unanswered)  # calibrated from labels alone
    for task in unanswered:
        changes[task.name] = task.calibrate(labels[task.name], None, options)
    return {task.name: changes[task.name] for task in tasks}
