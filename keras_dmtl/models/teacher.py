"""A trained model whose answers a new model learns from."""

from keras import ops

from keras_dmtl.tasks.task import find_task


class Teacher:
    """Distillation: a trained model teaches some of a new model's tasks.

    A model that shares its network among tasks can fall behind a model
    trained for one of them alone (negative transfer). The single-task
    model can then teach it: at every training step the teacher, frozen,
    answers the same (augmented) faces, and each task it teaches trains on
    `(1 - weight) * L_task + weight * L_distill`, where `L_distill` is the
    task kind's `distillation_loss` (Hinton et al. 2015: T^2 times the KL
    divergence between the teacher's and the student's class probabilities
    at temperature T, for nominal tasks) averaged over every face of the
    batch, including faces that have no label for the task: a teacher of
    expressions labels the UTKFace faces too. `L_task` is logged as before
    (`<task>_loss`); the loss weighting weighs the sum.

    The teacher is not part of the model: it is not saved with it and adds
    nothing to its artifacts. A resumed run attaches it again (the recipes
    do, from `--teacher`).

    Args:
        model: the teacher, a trained `DMTLModel` with the student's image
            size.
        weight: float in (0, 1], the share of the distillation term in each
            taught task's loss.
        temperature: float > 0, T.
        tasks: None (every task of the student that the teacher has) or
            a list of task names; each must read the same labels in both.

    Example:

    ```python
    teacher = keras_dmtl.models.Teacher(
        keras_dmtl.models.load_dmtl_model("runs/expression_alone/model.keras"),
        weight=0.5, temperature=2.0)
    model.distill_from(teacher)   # model: a DMTLModel with an expression task
    model.fit(data, epochs=3)
    ```
    """

    def __init__(self, model, weight=0.5, temperature=2.0, tasks=None):
        if not 0 < float(weight) <= 1:
            raise ValueError(f"The teacher's weight must be in (0, 1], got "
                             f"{weight}.")
        if not float(temperature) > 0:
            raise ValueError(f"The temperature must be positive, got "
                             f"{temperature}.")
        self.model = model
        self.weight = float(weight)
        self.temperature = float(temperature)
        self.tasks = None if tasks is None else [str(t) for t in tasks]
        self.taught = None
        model.trainable = False

    def bind(self, student):
        """Finds the tasks the teacher teaches in `student`, a `DMTLModel`.

        Raises:
            ValueError: the image sizes differ, a named task is missing in
                either model or reads other labels, or no task is shared.
        """
        if self.model.image_size != student.image_size:
            raise ValueError(
                f"the teacher takes {self.model.image_size}x"
                f"{self.model.image_size} faces, the model "
                f"{student.image_size}x{student.image_size}")
        names = self.tasks
        if names is None:
            names = [t.name for t in student.tasks
                     if t.name in self.model.task_names]
            if not names:
                raise ValueError(
                    f"the teacher shares no task with the model (its tasks: "
                    f"{self.model.task_names}; the model's: "
                    f"{student.task_names})")
        taught = []
        for name in names:
            mine = find_task(self.model.tasks, name)
            theirs = find_task(student.tasks, name)
            if not theirs.labels_match(mine):
                raise ValueError(f"task '{name}' reads other labels in the "
                                 "teacher than in the model")
            taught.append(theirs)
        self.taught = taught
        return self

    def mix(self, images, outputs, tasks, losses):
        """The task losses with the distillation terms mixed in.

        Args:
            images: the batch's images, as the model was called on them.
            outputs: the student's raw outputs, a dict by task name.
            tasks: the student's tasks, in the order of `losses`.
            losses: list of the task losses (scalars).

        Returns:
            A new list of losses.
        """
        answers = self.model(images, training=False)
        taught = {task.name for task in self.taught}
        mixed = []
        for task, loss in zip(tasks, losses):
            if task.name in taught:
                teacher_raw = ops.stop_gradient(answers[task.name])
                term = ops.mean(task.distillation_loss(
                    teacher_raw, outputs[task.name], self.temperature))
                loss = ((1 - self.weight) * loss
                        + self.weight * ops.cast(term, loss.dtype))
            mixed.append(loss)
        return mixed
