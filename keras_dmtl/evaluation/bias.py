"""Every task's headline metric broken down by the subgroups the data
annotates."""

import itertools
import warnings

import numpy as np


def subgroup_attributes(predictions, group_cut_points=None):
    """The attributes to break results down by, from the labels.

    Each task names its own (`Task.subgroups`): a nominal task's classes
    are groups; an ordinal task's rank values are grouped by
    `group_cut_points` (ranks tasks) or its own ranks (cut-point tasks);
    multi-label and regression tasks give none.

    Args:
        predictions: dict from `collect_predictions`.
        group_cut_points: cut points turning an ordinal task's values into
            groups (such as `UTKFACE_AGE_GROUPS`).

    Returns:
        A dict from attribute name to `(labels, group names)`: one group
        index per example, -1 where the example is not annotated.
    """
    options = {"group_cut_points": group_cut_points}
    attributes = {}
    for p in predictions.values():
        for name, (groups, names) in p.task.subgroups(p.labels,
                                                       options).items():
            attributes[name] = (np.asarray(groups), list(names))
    return attributes


def task_metric(p, mask):
    """The task's headline metric over `mask` & annotated examples.

    Args:
        p: a `TaskPredictions`.
        mask: bool array, one per example.

    Returns:
        `(value, size)`: the value (None when no example is left) and how
        many annotated examples it is computed over.
    """
    mask = np.asarray(mask, bool) & p.annotated
    size = int(mask.sum())
    if size == 0:
        return None, 0
    with warnings.catch_warnings():
        # A metric undefined on a small group (the CCC of one face) is NaN.
        warnings.simplefilter("ignore", RuntimeWarning)
        value = p.task.headline_value(p.labels, p.outputs, mask)
    return float(value), size


def bias_tables(predictions, group_cut_points=None, min_group_size=20):
    """Breaks every task's headline metric down by subgroups.

    The metric is the task's `headline`: accuracy (nominal), MAE (ordinal),
    mean F1 (multi-label) or mean CCC (regression). Subgroups are each
    attribute alone and every pair of attributes (such as gender x race,
    age group x race, age group x gender).

    Args:
        predictions: dict from `collect_predictions`.
        group_cut_points: cut points turning an ordinal task's values into
            groups (such as `UTKFACE_AGE_GROUPS`).
        min_group_size: groups smaller than this are listed but not
            considered for the worst and best group.

    Returns:
        `(groups, gaps)`: two pandas DataFrames. `groups` has one row per
        subgroup and task (metric value and size); `gaps` has one row per
        breakdown and task: the worst and best group, their values and
        sizes, and the gap between them.

    Example:

    ```python
    groups, gaps = bias_tables(collect_predictions(model, data),
                               group_cut_points=[20, 40, 60])
    gaps[["breakdown", "task", "metric", "worst_group", "gap"]]
    ```
    """
    import pandas as pd

    attributes = subgroup_attributes(predictions, group_cut_points)
    names = sorted(attributes)
    breakdowns = [(a,) for a in names] + list(itertools.combinations(names, 2))
    rows = []
    for breakdown in breakdowns:
        label_sets = [attributes[a] for a in breakdown]
        ranges = [range(len(group_names)) for _, group_names in label_sets]
        for combo in itertools.product(*ranges):
            mask = np.ones(len(label_sets[0][0]), bool)
            for (labels, _), value in zip(label_sets, combo):
                mask &= labels == value
            group = " x ".join(label_sets[i][1][v] for i, v in enumerate(combo))
            for task_name, p in predictions.items():
                value, size = task_metric(p, mask)
                if size == 0:
                    continue
                rows.append({
                    "breakdown": " x ".join(breakdown), "group": group,
                    "task": task_name, "metric": p.task.headline[0],
                    "value": value, "size": size,
                })
    groups = pd.DataFrame(rows, columns=["breakdown", "group", "task",
                                         "metric", "value", "size"])
    gaps = []
    for (breakdown, task_name), part in groups.groupby(["breakdown", "task"],
                                                       sort=False):
        # A metric undefined on a group (the CCC of one face) is listed
        # but not ranked.
        eligible = part[(part["size"] >= min_group_size)
                        & part["value"].notna()]
        if len(eligible) < 2:
            continue
        higher = predictions[task_name].task.headline[1]
        ordered = eligible.sort_values("value", ascending=not higher,
                                       kind="stable")
        best, worst = ordered.iloc[0], ordered.iloc[-1]
        gaps.append({
            "breakdown": breakdown, "task": task_name,
            "metric": best["metric"],
            "worst_group": worst["group"], "worst": worst["value"],
            "worst_size": int(worst["size"]),
            "best_group": best["group"], "best": best["value"],
            "best_size": int(best["size"]),
            "gap": abs(best["value"] - worst["value"]),
            "groups_too_small": int((part["size"] < min_group_size).sum()),
        })
    return groups, pd.DataFrame(gaps, columns=[
        "breakdown", "task", "metric", "worst_group", "worst", "worst_size",
        "best_group", "best", "best_size", "gap", "groups_too_small"])
