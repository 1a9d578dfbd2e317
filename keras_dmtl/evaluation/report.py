"""One call from a trained model and data to a full report folder."""

import base64
import html
import os
import shutil
import tempfile

import numpy as np

from keras_dmtl.data.pipeline import face_dataset
from keras_dmtl.evaluation.bias import bias_tables
from keras_dmtl.evaluation.figures import grad_cam_figure
from keras_dmtl.evaluation.figures import task_weight_figure
from keras_dmtl.evaluation.gradcam import grad_cam
from keras_dmtl.evaluation.predictions import collect_predictions
from keras_dmtl.models.load_model import load_dmtl_model  # noqa: F401
from keras_dmtl.tasks.task import find_task

DEFAULT_GROUPS = [3, 10, 20, 30, 40, 50, 60, 70]


def evaluation_options(group_cut_points=DEFAULT_GROUPS, max_error=10):
    """The options every task's `scores` and `report` read.

    Args:
        group_cut_points: cut points of the age groups: an ordinal task
            with ranks reports its "group accuracy" and its bias subgroups
            by them.
        max_error: the last error level of an ordinal task's cumulative
            score CS(0..max_error).

    Returns:
        A dict: `{"group_cut_points": ..., "max_error": ...}`.
    """
    return {"group_cut_points": group_cut_points, "max_error": max_error}


def metrics_table(predictions, options=None):
    """One row per task: `task`, `kind`, `annotated` and its `scores`.

    Each task gives its own scores (`Task.scores`): accuracy and macro-F1
    (nominal); exact and group accuracy, MAE and MSE (ordinal); mean F1,
    accuracy, macro precision and recall (multi-label); mean CCC, RMSE and
    the CCC of each output (regression). The columns are the union, in
    order of first appearance; a task without a score in a column has NaN
    there, and a task with no annotated example only its first three
    columns.

    Args:
        predictions: dict from `collect_predictions`.
        options: dict from `evaluation_options`.

    Returns:
        A pandas DataFrame.
    """
    import pandas as pd

    rows = []
    for name, p in predictions.items():
        row = {"task": name, "kind": p.task.kind,
               "annotated": int(p.annotated.sum())}
        if p.annotated.any():
            row.update(p.task.scores(p.labels, p.outputs, options))
        rows.append(row)
    return pd.DataFrame(rows)


def metric_values(predictions, prefix=""):
    """Every task's scores as one flat dict, named as its logged metrics.

    Args:
        predictions: dict from `collect_predictions`.
        prefix: str put before each name.

    Returns:
        A dict `{"<prefix><task>_<metric>": value}` of the summary table's
        numbers (`task_tables`), without the columns that are no score.
    """
    import pandas as pd

    table = task_tables(predictions)["metrics"].set_index("task")
    return {f"{prefix}{task}_{metric}": float(value)
            for task, row in table.iterrows()
            for metric, value in row.items()
            if metric not in ("kind", "annotated") and pd.notna(value)}


def task_tables(predictions, group_cut_points=DEFAULT_GROUPS, max_error=10):
    """The summary table of the report, as a pandas DataFrame.

    The per-task tables and figures (confusion matrices, cumulative
    scores, per-label and per-output scores) are written by each task's
    `Task.report` into a folder; see `evaluate_model`.

    Args:
        predictions: dict from `collect_predictions`.
        group_cut_points: see `evaluation_options`.
        max_error: see `evaluation_options`.

    Returns:
        A dict `{"metrics": metrics_table(...)}`.

    Example:

    ```python
    tables = task_tables(collect_predictions(model, data))
    tables["metrics"].set_index("task").loc["gender", "accuracy"]
    ```
    """
    options = evaluation_options(group_cut_points, max_error)
    return {"metrics": metrics_table(predictions, options)}


REPORT_MARKER = ".keras-dmtl-report"
"""A file in every report folder: only such a folder is ever replaced."""


def check_report_folder(out):
    """Refuses an existing `out` that is not a report this tool wrote.

    An empty folder, or one holding a report (the marker file, or the
    `report.md`, `report.html` and `metrics.csv` of an earlier release and
    nothing that looks like a run), may be replaced; anything else is kept.

    Raises:
        ValueError: naming the folder and what it holds.
    """
    if not os.path.exists(out):
        return
    if not os.path.isdir(out):
        raise ValueError(f"{out}: exists and is not a folder; give a new "
                         "folder for the report")
    entries = set(os.listdir(out))
    if not entries or REPORT_MARKER in entries:
        return
    earlier = {"report.md", "report.html", "metrics.csv"} <= entries
    run_files = {e for e in entries
                 if e.endswith((".keras", ".json", ".h5", ".tflite", ".onnx"))
                 or e in ("history.csv", "test_set.csv", "saved_model")}
    if earlier and not run_files:
        return
    shown = ", ".join(sorted(entries)[:5]) + (", ..." if len(entries) > 5
                                              else "")
    raise ValueError(
        f"{out}: exists and is not a keras-dmtl report folder (it holds "
        f"{shown}); nothing was changed. Give a new or empty folder for "
        "the report.")


def _replace_folder(new, out):
    """Moves `new` to `out`, replacing a report there only at the end."""
    if not os.path.exists(out):
        os.replace(new, out)
        return
    old = tempfile.mkdtemp(prefix=".report-old-",
                           dir=os.path.dirname(os.path.abspath(out)))
    os.rmdir(old)
    os.replace(out, old)
    try:
        os.replace(new, out)
    except BaseException:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def evaluate_model(model, examples, out, history=None, batch_size=32,
                   group_cut_points=DEFAULT_GROUPS, gradcam_faces=6,
                   min_group_size=20, max_error=10):
    """Evaluates a model on labelled faces and writes a report folder.

    The folder gets `report.md` and a self-contained `report.html`
    (figures embedded), a CSV file per table and a PNG per figure:
    `metrics.csv` (one row per task, the task's own scores), each task's
    own tables and figures (`Task.report`: confusion matrices and per-class
    precision and recall for nominal tasks; the cumulative score CS(i) and
    confusion matrices for ordinal tasks; precision, recall and F1 per
    label for multi-label tasks; CCC, Pearson, RMSE and a scatter plot per
    output for regression tasks), the bias study (every task's headline
    metric by every subgroup, with the worst and best group and the gap),
    task weights per epoch when a training history is given, and Grad-CAM
    maps of every task head. Data stream through the model in batches. The
    folder is written under a temporary name and moved into place at the
    end, so a failure leaves no half-written report.

    Args:
        model: a `DMTLModel`, or the path of a `.keras` file holding one.
        examples: `FaceExamples` labelled for some of the model's tasks.
        out: the report folder. An existing one is replaced only if it is
            empty or a report this tool wrote; any other is refused with a
            `ValueError` and left as it was.
        history: optional path of the run's `history.csv` (per-epoch logs).
        batch_size: int.
        group_cut_points: cut points of the age groups used for "group
            accuracy" and for the age-group subgroups.
        gradcam_faces: how many faces to show in the Grad-CAM grid.
        min_group_size: subgroups smaller than this are listed but not
            ranked worst or best.
        max_error: the last error level of the cumulative score.

    Returns:
        The `metrics` table (a pandas DataFrame).

    Example:

    ```python
    metrics = evaluate_model("runs/utkface/model.keras", test_examples,
                             "runs/utkface/report")
    ```
    """
    import pandas as pd

    if isinstance(model, (str, os.PathLike)):
        model = load_dmtl_model(os.fspath(model))
    tasks = [t for t in model.tasks if t.name in examples.task_names]
    if not tasks:
        raise ValueError(
            f"The data ({examples.source}) labels {examples.task_names}; the "
            f"model's tasks are {model.task_names}: nothing to evaluate.")
    if len(examples) == 0:
        raise ValueError(f"The data ({examples.source}) has no examples.")
    for task in tasks:
        data_task = find_task(examples.tasks, task.name)
        if not data_task.labels_match(task):
            raise ValueError(
                f"Task '{task.name}' differs between the model ({task}) and "
                f"the data ({data_task}).")
    check_report_folder(out)
    dataset = face_dataset(examples, tasks, model.image_size, batch_size)
    predictions = collect_predictions(model, dataset, tasks)
    options = evaluation_options(group_cut_points, max_error)

    parent = os.path.dirname(os.path.abspath(out))
    os.makedirs(parent, exist_ok=True)
    work = tempfile.mkdtemp(prefix=".report-", dir=parent)
    try:
        sections = _write_report(model, examples, predictions, work, history,
                                 options, gradcam_faces, min_group_size)
        _write_pages(sections, work, model, examples)
        with open(os.path.join(work, REPORT_MARKER), "w") as file:
            file.write("written by keras-dmtl evaluate\n")
        _replace_folder(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return pd.read_csv(os.path.join(out, "metrics.csv"))


def _write_report(model, examples, predictions, work, history, options,
                  gradcam_faces, min_group_size):
    import pandas as pd

    metrics = metrics_table(predictions, options)
    metrics.to_csv(os.path.join(work, "metrics.csv"), index=False)
    sections = [("Metrics per task", metrics, None)]
    for p in predictions.values():
        if p.annotated.any():
            sections += p.task.report(p.labels, p.outputs, work, options)

    groups, gaps = bias_tables(predictions, options["group_cut_points"],
                               min_group_size)
    groups.to_csv(os.path.join(work, "bias_groups.csv"), index=False)
    gaps.to_csv(os.path.join(work, "bias_gaps.csv"), index=False)
    sections.append((
        f"Bias: worst and best subgroup (groups of at least {min_group_size}"
        "; every group with its size in bias_groups.csv)", gaps, None))

    if history is not None and os.path.isfile(history):
        frame = pd.read_csv(history)
        if any(c.endswith("_beta") for c in frame.columns):
            task_weight_figure(frame, os.path.join(work, "task_weights.png"))
            betas = frame[[c for c in frame.columns if c.endswith("_beta")
                           and not c.startswith("val_")]]
            sections.append(("Task weights beta per epoch", betas.round(4),
                             "task_weights.png"))

    tables = []  # each coupling's relatedness, once
    for coupling in model.coupling or []:
        if any(coupling.relatedness == seen for seen in tables):
            continue
        tables.append(coupling.relatedness)
        figure = f"relatedness_{len(tables)}.png"
        coupling.relatedness.heatmap(os.path.join(work, figure))
        users = [c.name for c in model.coupling
                 if c.relatedness == coupling.relatedness]
        sections.append((
            f"Task relatedness P({coupling.target} | {coupling.source}) "
            f"used by {', '.join(users)} "
            f"({coupling.relatedness.citation or 'no citation given'})",
            None, figure))

    if gradcam_faces:
        # Faces spread over the data, not only the first few files.
        rows = np.unique(np.linspace(0, len(examples) - 1,
                                     gradcam_faces).astype(int))
        sample = examples.subset(rows)
        tasks = [p.task for p in predictions.values()]
        images = np.concatenate([np.asarray(x) for x, _ in face_dataset(
            sample, tasks, model.image_size, 64)])
        maps, captions = {}, {}
        for name, p in predictions.items():
            maps[name] = grad_cam(model, images, name)
            captions[name] = [
                f"{p.task.caption(p.outputs, i)} / "
                f"{p.task.label_caption(p.labels[i])}"
                for i in rows]
        grad_cam_figure(images, maps, captions, list(predictions),
                        os.path.join(work, "grad_cam.png"))
        sections.append(("Grad-CAM per task head (predicted / labelled)",
                         None, "grad_cam.png"))
    return sections


def _write_pages(sections, work, model, examples):
    title = f"keras-dmtl report: {model.name} on {examples.source}"
    intro = (f"{len(examples)} faces; tasks "
             f"{', '.join(t.name for t in model.tasks)}; backbone "
             f"{model.backbone} at {model.image_size}x{model.image_size}.")
    if getattr(model, "test_time_flip", False):
        intro += (" Each answer is the mean over the face and its mirror "
                  "image (test-time flip).")
    notes = [task.calibration_note() for task in model.tasks]
    if any(notes):
        intro += " Calibrated: " + "; ".join(n for n in notes if n) + "."
    markdown = [f"# {title}", "", intro, ""]
    page = [f"<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title><style>body{{font-family:"
            "sans-serif;max-width:1100px;margin:auto}table{border-collapse:"
            "collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px "
            "6px;text-align:right}img{max-width:100%}</style></head><body>",
            f"<h1>{html.escape(title)}</h1><p>{html.escape(intro)}</p>"]
    for heading, table, figure in sections:
        markdown += [f"## {heading}", ""]
        page.append(f"<h2>{html.escape(heading)}</h2>")
        if table is not None:
            markdown += [table.to_markdown(index=False, floatfmt=".4f"), ""]
            page.append(table.to_html(index=False, float_format="%.4f"))
        if figure is not None:
            markdown += [f"![{heading}]({figure})", ""]
            with open(os.path.join(work, figure), "rb") as file:
                data = base64.b64encode(file.read()).decode("ascii")
            page.append(f"<img alt='{html.escape(heading)}' "
                        f"src='data:image/png;base64,{data}'>")
    page.append("</body></html>")
    with open(os.path.join(work, "report.md"), "w") as file:
        file.write("\n".join(markdown))
    with open(os.path.join(work, "report.html"), "w") as file:
        file.write("\n".join(page))
