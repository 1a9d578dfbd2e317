"""Every task's answer and the compound expression of each face."""

import keras
import numpy as np

from keras_dmtl.coupling.compound_expressions import CompoundExpressions
from keras_dmtl.models.dmtl_model import mirror_images
from keras_dmtl.progress import predict_verbose


def compound_answers(model, images, compounds=None, batch_size=32):
    """`predict_attributes` records with the faces' compound expressions.

    Each record gets `"compound_expression"`, the zero-shot answer of
    `compounds` from the predicted action units (and basic expressions),
    and, when the model has a few-shot head (`model.compound_head`, see
    `CompoundHead`), `"compound_expression_few_shot"`; both are
    `{"label": best, "scores": {compound: score}}`. One forward pass,
    with Keras's progress bar on a terminal (`keras_dmtl.progress`).

    Args:
        model: a `DMTLModel`.
        images: `(n, image_size, image_size, 3)` RGB in 0..255.
        compounds: a `CompoundExpressions` matched to the model's tasks
            (`CompoundExpressions.for_model`), or None: matched to the
            model's tasks `"aus"` and `"expression"` when it has an `"aus"`
            task, else no zero-shot answer.
        batch_size: int, the prediction batch size.

    Returns:
        A list with one dict per image, from task name (and the entries
        above) to its answer.

    Raises:
        ValueError: when there is neither a zero-shot nor a few-shot answer
            to give.

    Example:

    ```python
    compounds = keras_dmtl.coupling.CompoundExpressions.for_model(model)
    records = keras_dmtl.coupling.compound_answers(model, faces, compounds)
    records[0]["compound_expression"]["label"]  # 'happily surprised'
    ```
    """
    head = getattr(model, "compound_head", None)
    if compounds is None and "aus" in model.task_names:
        compounds = CompoundExpressions.for_model(model)
    if compounds is None and head is None:
        raise ValueError(
            f"the model has no task 'aus' and no compound head: pass "
            f"compounds=CompoundExpressions.for_model(model, action_units=...)"
            f" naming its AU task (tasks: {model.task_names}).")
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[None]
    runner = model
    if head is not None:
        runner = keras.Model(model.input, {
            "tasks": model.output,
            "features": model.get_layer(f"{head.branch}_pool").output})
        runner.run_eagerly = model.run_eagerly
    predicted = runner.predict(images, batch_size=batch_size,
                               verbose=predict_verbose())
    if head is not None and model.test_time_flip:
        # The runner reads the graph as it is: mirror here, as the model's
        # own call does, and average the tasks' outputs and the features.
        mirrored = runner.predict(np.asarray(mirror_images(images)),
                                  batch_size=batch_size,
                                  verbose=predict_verbose())
        predicted = keras.tree.map_structure(
            lambda a, b: (np.asarray(a) + np.asarray(b)) / 2, predicted,
            mirrored)
    outputs = predicted if head is None else predicted["tasks"]
    records = [{} for _ in images]
    for task in model.tasks:
        for record, answer in zip(records, task.decode(outputs[task.name])):
            record[task.name] = answer
    if compounds is not None:
        names = {task.name: task for task in model.tasks}
        probabilities = {}
        for name in (compounds.action_unit_task, compounds.expression_task):
            if name in names:
                probabilities[name] = names[name].numpy_outputs(
                    outputs[name])[f"{name}_probabilities"]
        if compounds.action_unit_task not in probabilities:
            raise ValueError(f"compounds read AU task "
                             f"'{compounds.action_unit_task}'; the model's "
                             f"tasks are {model.task_names}.")
        answers = compounds.answer(
            probabilities[compounds.action_unit_task],
            probabilities.get(compounds.expression_task)
            if compounds.pairs is not None else None)
        for record, answer in zip(records, answers):
            record["compound_expression"] = answer
    if head is not None:
        answers = head.decode(head.probabilities(predicted["features"]))
        for record, answer in zip(records, answers):
            record["compound_expression_few_shot"] = answer
    return records
