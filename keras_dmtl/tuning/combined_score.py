"""One validation score that weighs heterogeneous tasks fairly."""

import keras

SCORE_NAME = "combined_score"


def task_skill(task, metrics, chance, prefix="val_"):
    """How far a task's metric went from chance towards perfect.

    The task computes it (`Task.skill`) from the logged metric it names
    (`Task.skill_metric`) and its chance level:

    - nominal: (accuracy - chance accuracy) / (1 - chance accuracy);
    - ordinal: 1 - MAE / chance MAE, the chance MAE being that of always
      answering the training median;
    - multi-label: (mean F1 - chance F1) / (1 - chance F1);
    - regression: the mean CCC (0 for a constant guess).

    All are 0 at chance level, 1 when perfect and negative when worse than
    chance, so accuracies, F1 scores, correlations and errors in years
    (different scales, opposite directions) become comparable.

    Args:
        task: a `Task`.
        metrics: dict of logged metrics, such as an epoch's logs.
        chance: dict `"<task>_<metric>" -> value`, from `chance_levels`.
        prefix: the prefix of the metrics in `metrics`.

    Example:

    ```python
    gender = keras_dmtl.NominalTask("gender", ["male", "female"])
    task_skill(gender, {"val_gender_accuracy": 0.9},
               {"gender_accuracy": 0.5})  # 0.8
    ```
    """
    return float(task.skill(metrics, chance, prefix))


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
    """`Task.chance_metrics` of every task, keyed `"<task>_<metric>"`.

    Args:
        tasks: the tasks.
        train: `FaceExamples` the chance guess learns from.
        validation: `FaceExamples` it is scored on.

    Returns:
        A dict such as `{"age_mae": 14.2, "age_accuracy": 0.04,
        "aus_mean_f1": 0.31, "affect_ccc": 0.0, ...}`.
    """
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
                f"val_{t.name}_{t.skill_metric()}" in logs
                for t in self.tasks):
            logs[f"val_{SCORE_NAME}"] = combined_score(self.tasks, logs,
                                                       self.chance)
