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


def write_run_metrics(run_dir, scores):
    """Writes a run's `metrics.json` as `compare_runs` reads it, atomically.

    Args:
        run_dir: the run's folder (created if absent).
        scores: dict from metric name to the model's value.
    """
    from keras_dmtl.atomic_files import write_json

    os.makedirs(run_dir, exist_ok=True)
    write_json(os.path.join(run_dir, "metrics.json"),
               {key: {"model": value} for key, value in scores.items()})


COMPARISON_MARKER = ".keras-dmtl-comparison"


def write_comparison(runs, settings, out):
    """Writes `runs.csv`, `settings.csv` and `comparison.md` into `out`.

    `out` is created if absent. An existing folder is written only if it is
    empty or holds a comparison this function wrote (its marker file is
    there); any other folder is refused and left untouched. Each file is
    replaced atomically.

    Args:
        runs: the first table of `compare_runs`.
        settings: the second table of `compare_runs`.
        out: the folder.
    """
    from keras_dmtl.atomic_files import atomic_path
    from keras_dmtl.atomic_files import write_text

    if os.path.lexists(out) and not os.path.isdir(out):
        raise ValueError(f"{out} is not a folder")
    if (os.path.isdir(out) and os.listdir(out)
            and not os.path.isfile(os.path.join(out, COMPARISON_MARKER))):
        raise ValueError(f"{out} is not empty and holds no comparison "
                         "written by keras-dmtl; choose another --out "
                         "(nothing in it was changed)")
    os.makedirs(out, exist_ok=True)
    write_text(os.path.join(out, COMPARISON_MARKER), "keras-dmtl compare\n")
    for name, table in (("runs.csv", runs), ("settings.csv", settings)):
        with atomic_path(os.path.join(out, name)) as temporary:
            table.to_csv(temporary, index=False)
    write_text(os.path.join(out, "comparison.md"),
               runs.to_markdown(index=False, floatfmt=".4f") + "\n\n"
               + settings.to_markdown(index=False, floatfmt=".4f") + "\n")
