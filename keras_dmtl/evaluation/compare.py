"""One table of the final metrics of several runs."""

import json
import os
import re

_REPEAT = re.compile(r"[_-](seed|fold|run)[_-]?\d+$")


def compare_runs(run_dirs):
    """Reads each run folder's `metrics.json` into one table.

    One row per run, one column per metric (the model's value). Runs whose
    folder names differ only by a `_seedN`, `_foldN` or `_runN` suffix are
    repeats of one setting: a second table gives their mean and standard
    deviation (the shape of the paper's Tables II and IV).

    Args:
        run_dirs: list of run folders, each with a `metrics.json`.

    Returns:
        `(runs, settings)`: pandas DataFrames.
    """
    import pandas as pd

    rows = []
    for run in run_dirs:
        path = os.path.join(run, "metrics.json")
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{run}: no metrics.json (not a run folder)")
        if os.path.isfile(os.path.join(run, "run.unfinished.json")):
            raise ValueError(f"{run}: the run has not finished (rerun its "
                             "command to resume it)")
        with open(path) as file:
            metrics = json.load(file)
        name = os.path.basename(os.path.normpath(run))
        row = {"run": name, "setting": _REPEAT.sub("", name)}
        for key, value in metrics.items():
            if isinstance(value, dict) and "model" in value:
                row[key] = value["model"]
            elif isinstance(value, (int, float)):
                row[key] = value
        rows.append(row)
    if not rows:
        raise ValueError("no run folders given")
    runs = pd.DataFrame(rows)
    numeric = [c for c in runs.columns if c not in ("run", "setting")]
    grouped = runs.groupby("setting", sort=False)[numeric]
    settings = grouped.mean().add_suffix("_mean").join(
        grouped.std(ddof=1).add_suffix("_std")).join(
        grouped.size().rename("runs"))
    ordered = ["runs"] + [f"{c}_{s}" for c in numeric for s in ("mean", "std")]
    return runs, settings[ordered].reset_index()
