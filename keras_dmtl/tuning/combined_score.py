"""One validation score that weighs heterogeneous tasks fairly."""

import keras

from keras_dmtl.tasks.ordinal_task import OrdinalTask

SCORE_NAME = "combined_score"


def task_skill(task, metrics, chance, prefix="val_"):
    """How far a task's metric went from chance towards perfect.

    Nominal tasks: (accuracy - chance accuracy) / (1 - chance accuracy).
    Ordinal tasks: 1 - MAE / chance MAE, the chance MAE being that of
    always answering the training median. Both are 0 at chance level, 1 when
    perfect and negative when worse than chance, so accuracies and errors in
    years (different scales, opposite directions) become comparable.
    """
    if isinstance(task, OrdinalTask):
        mae = metrics[f"{prefix}{task.name}_mae"]
        base = chance[f"{task.name}_mae"]
        return 1.0 - mae / base if base > 0 else 0.0
    accuracy = metrics[f"{prefix}{task.name}_accuracy"]
    base = chance[f"{task.name}_accuracy"]
    return (accuracy - base) / (1.0 - base) if base < 1 else 0.0


def combined_score(tasks, metrics, chance, prefix="val_"):
    """The mean `task_skill` over tasks: the tuner's default objective.

    Args:
        tasks: the tasks to score.
        metrics: dict of logged metrics, such as an epoch's logs.
        chance: dict `"<task>_<metric>" -> value` of chance levels, from
            `Task.chance_metrics` on the training and validation labels.
        prefix: the prefix of validation metrics in `metrics`.
    """
    skills = [task_skill(t, metrics, chance, prefix) for t in tasks]
    return float(sum(skills) / len(skills))


def chance_levels(tasks, train, validation):
    """`Task.chance_metrics` of every task, keyed `"<task>_<metric>"`."""
    levels = {}
    for task in tasks:
        for metric, value in task.chance_metrics(
                train.labels[task.name], validation.labels[task.name]).items():
            levels[f"{task.name}_{metric}"] = value
    return levels


class CombinedScore(keras.callbacks.Callback):
    """Adds `val_combined_score` to each epoch's logs.

    Put it first in the callback list, so that later callbacks (KerasTuner's
    own, checkpoints, early stopping) see the score.

    Args:
        tasks: the tasks to score.
        chance: chance levels from `chance_levels`.
    """

    def __init__(self, tasks, chance):
        super().__init__()
        self.tasks = list(tasks)
        self.chance = dict(chance)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None and all(
                f"val_{t.name}_accuracy" in logs for t in self.tasks):
            logs[f"val_{SCORE_NAME}"] = combined_score(self.tasks, logs,
                                                       self.chance)
