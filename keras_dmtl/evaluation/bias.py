"""Every metric broken down by the subgroups the data annotates."""

import itertools

import numpy as np

from keras_dmtl.tasks.ordinal_task import OrdinalTask

# The headline metric per kind of task, and whether higher is better.
_HEADLINE = {"nominal": ("accuracy", True), "ordinal": ("mae", False)}


def subgroup_attributes(predictions, group_cut_points=None):
    """The attributes to break results down by, from the labels.

    Every nominal task is an attribute (its classes are the groups); an
    ordinal task becomes an age-group attribute: its rank values are
    grouped by `group_cut_points` (ranks tasks) or its own ranks
    (cut-point tasks).

    Returns:
        A dict from attribute name to `(labels, group names)`: one group
        index per example, -1 where the example is not annotated.
    """
    attributes = {}
    for name, p in predictions.items():
        if isinstance(p.task, OrdinalTask):
            if p.task.ranks is not None and group_cut_points is not None:
                cuts = np.asarray(group_cut_points, "float64")
                groups = np.where(
                    p.annotated,
                    np.searchsorted(cuts, np.nan_to_num(p.true_value),
                                    side="right"), -1)
                task = OrdinalTask("g", cut_points=list(group_cut_points))
                attributes[f"{name}_group"] = (groups, task.names)
            elif p.task.cut_points is not None or p.task.rank_names:
                attributes[name] = (p.true_index, p.task.names)
        else:
            attributes[name] = (p.true_index, p.task.classes)
    return attributes


def task_metric(p, mask):
    """The headline metric of one task over `mask` & annotated examples."""
    mask = mask & p.annotated
    if not mask.any():
        return None, 0
    if isinstance(p.task, OrdinalTask):
        value = float(np.mean(np.abs(p.pred_value[mask] - p.true_value[mask])))
    else:
        value = float(np.mean(p.pred_index[mask] == p.true_index[mask]))
    return value, int(mask.sum())


def bias_tables(predictions, group_cut_points=None, min_group_size=20):
    """Breaks every task's headline metric down by subgroups.

    Subgroups are each attribute alone and every pair of attributes (such
    as gender x race, age group x race, age group x gender).

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
                metric, higher = _HEADLINE[p.task.kind]
                value, size = task_metric(p, mask)
                if size == 0:
                    continue
                rows.append({
                    "breakdown": " x ".join(breakdown), "group": group,
                    "task": task_name, "metric": metric, "value": value,
                    "size": size,
                })
    groups = pd.DataFrame(rows, columns=["breakdown", "group", "task",
                                         "metric", "value", "size"])
    gaps = []
    for (breakdown, task_name), part in groups.groupby(["breakdown", "task"],
                                                       sort=False):
        eligible = part[part["size"] >= min_group_size]
        if len(eligible) < 2:
            continue
        higher = _HEADLINE[predictions[task_name].task.kind][1]
        ordered = eligible.sort_values("value", ascending=not higher)
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
    return groups, pd.DataFrame(gaps)
