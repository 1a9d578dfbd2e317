"""One call from a trained model and data to a full report folder."""

import base64
import html
import os
import shutil
import tempfile

import numpy as np

from keras_dmtl.data.pipeline import face_dataset
from keras_dmtl.evaluation.bias import bias_tables
from keras_dmtl.evaluation.figures import confusion_figure
from keras_dmtl.evaluation.figures import cumulative_score_figure
from keras_dmtl.evaluation.figures import grad_cam_figure
from keras_dmtl.evaluation.figures import task_weight_figure
from keras_dmtl.evaluation.gradcam import grad_cam
from keras_dmtl.evaluation.predictions import collect_predictions
from keras_dmtl.evaluation.scores import confusion_matrix
from keras_dmtl.evaluation.scores import cumulative_scores
from keras_dmtl.evaluation.scores import nominal_scores
from keras_dmtl.evaluation.scores import ordinal_scores
from keras_dmtl.evaluation.scores import per_class_scores
from keras_dmtl.evaluation.scores import row_normalised
from keras_dmtl.tasks.ordinal_task import OrdinalTask

DEFAULT_GROUPS = [3, 10, 20, 30, 40, 50, 60, 70]


def load_dmtl_model(path):
    """Loads a `.keras` file, insisting that it holds a keras-dmtl model."""
    import keras

    from keras_dmtl.models.dmtl_model import DMTLModel

    if not os.path.isfile(path):
        raise FileNotFoundError(f"model file not found: {path}")
    try:
        model = keras.models.load_model(path)
    except Exception as error:
        raise ValueError(
            f"{path}: not a loadable Keras model file ({error})") from None
    if not isinstance(model, DMTLModel):
        raise ValueError(
            f"{path}: a {type(model).__name__}, not a keras-dmtl model "
            "(DMTLModel)")
    return model


def task_tables(predictions, group_cut_points=DEFAULT_GROUPS, max_error=10):
    """The per-task metric tables of the report, as pandas DataFrames.

    Returns:
        A dict of DataFrames: `metrics` (one row per task), and per task
        `classes_<task>` (precision and recall per class),
        `confusion_<task>` and `confusion_<task>_normalised`; plus
        `cumulative_score` (CS(i) per ordinal task) when there is one.
    """
    import pandas as pd

    tables, summary, cs = {}, [], {}
    for name, p in predictions.items():
        mask = p.annotated
        row = {"task": name, "kind": p.task.kind, "annotated": int(mask.sum())}
        if not mask.any():
            summary.append(row)
            continue
        if isinstance(p.task, OrdinalTask):
            cuts = group_cut_points if p.task.ranks is not None else None
            row.update(ordinal_scores(
                p.true_index[mask], p.pred_index[mask], p.true_value[mask],
                p.pred_value[mask], cuts))
            cs[name] = cumulative_scores(p.true_value[mask],
                                         p.pred_value[mask], max_error)
            names = p.task.names
        else:
            row.update(nominal_scores(p.true_index[mask], p.pred_index[mask],
                                      p.task.num_classes))
            if p.pred_value is not None:  # numeric classes: errors too
                errors = p.pred_value[mask] - p.true_value[mask]
                row.update(mae=float(np.mean(np.abs(errors))),
                           mse=float(np.mean(errors ** 2)))
            names = p.task.classes
        counts = confusion_matrix(p.true_index[mask], p.pred_index[mask],
                                  len(names))
        if not isinstance(p.task, OrdinalTask):
            precision, recall, f1 = per_class_scores(counts)
            tables[f"classes_{name}"] = pd.DataFrame({
                "class": names, "precision": precision, "recall": recall,
                "f1": f1, "labelled": counts.sum(1), "predicted": counts.sum(0),
            })
        tables[f"confusion_{name}"] = pd.DataFrame(counts, index=names,
                                                   columns=names)
        tables[f"confusion_{name}_normalised"] = pd.DataFrame(
            row_normalised(counts), index=names, columns=names)
        summary.append(row)
    tables["metrics"] = pd.DataFrame(summary)
    if cs:
        tables["cumulative_score"] = pd.DataFrame(
            {"error_level": range(max_error + 1), **cs})
    return tables


def evaluate_model(model, examples, out, history=None, batch_size=32,
                   group_cut_points=DEFAULT_GROUPS, gradcam_faces=6,
                   min_group_size=20):
    """Evaluates a model on labelled faces and writes a report folder.

    The folder gets `report.md` and a self-contained `report.html`
    (figures embedded), a CSV file per table and a PNG per figure:
    per-task metrics (accuracy, macro-F1, per-class precision and recall;
    exact and group accuracy, MAE, MSE and the cumulative score CS(0..10)
    for ordinal tasks), confusion matrices (counts and row-normalised), the
    bias study (every headline metric by every subgroup, with the worst and
    best group and the gap), task weights per epoch when a training history
    is given, and Grad-CAM maps of every task head. Data stream through the
    model in batches. The folder is written under a temporary name and
    moved into place at the end, so a failure leaves no half-written report.

    Args:
        model: a `DMTLModel`, or the path of a `.keras` file holding one.
        examples: `FaceExamples` labelled for some of the model's tasks.
        out: the report folder (replaced if it exists).
        history: optional path of the run's `history.csv` (per-epoch logs).
        batch_size: int.
        group_cut_points: cut points of the age groups used for "group
            accuracy" and for the age-group subgroups.
        gradcam_faces: how many faces to show in the Grad-CAM grid.
        min_group_size: subgroups smaller than this are listed but not
            ranked worst or best.

    Returns:
        The `metrics` table (a pandas DataFrame).
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
        data_task = next(t for t in examples.tasks if t.name == task.name)
        if data_task != task:
            raise ValueError(
                f"Task '{task.name}' differs between the model ({task}) and "
                f"the data ({data_task}).")
    dataset = face_dataset(examples, [t.name for t in tasks], model.image_size,
                           batch_size)
    predictions = collect_predictions(model, dataset, tasks)

    parent = os.path.dirname(os.path.abspath(out))
    os.makedirs(parent, exist_ok=True)
    work = tempfile.mkdtemp(prefix=".report-", dir=parent)
    try:
        sections = _write_report(model, examples, predictions, work, history,
                                 group_cut_points, gradcam_faces,
                                 min_group_size)
        _write_pages(sections, work, model, examples)
        if os.path.exists(out):
            shutil.rmtree(out)
        os.replace(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return pd.read_csv(os.path.join(out, "metrics.csv"))


def _write_report(model, examples, predictions, work, history,
                  group_cut_points, gradcam_faces, min_group_size):
    import pandas as pd

    sections = []
    tables = task_tables(predictions, group_cut_points)
    for name, table in tables.items():
        table.to_csv(os.path.join(work, f"{name}.csv"),
                     index=name.startswith("confusion_"))
    sections.append(("Metrics per task", tables["metrics"], None))
    for name, p in predictions.items():
        if f"classes_{name}" in tables:
            sections.append((f"Classes of {name}", tables[f"classes_{name}"],
                             None))
    if "cumulative_score" in tables:
        cs = tables["cumulative_score"]
        cumulative_score_figure(
            {c: cs[c].to_numpy() for c in cs.columns if c != "error_level"},
            os.path.join(work, "cumulative_score.png"))
        sections.append(("Cumulative score CS(i)", cs,
                         "cumulative_score.png"))
    for name, p in predictions.items():
        key = f"confusion_{name}"
        if key not in tables:
            continue
        names = list(tables[key].columns)
        confusion_figure(tables[key].to_numpy(),
                         tables[f"{key}_normalised"].to_numpy(), names, name,
                         os.path.join(work, f"{key}.png"))
        sections.append((f"Confusion matrix of {name}", None, f"{key}.png"))

    groups, gaps = bias_tables(predictions, group_cut_points, min_group_size)
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

    if gradcam_faces:
        # Faces spread over the data, not only the first few files.
        rows = np.unique(np.linspace(0, len(examples) - 1,
                                     gradcam_faces).astype(int))
        sample = examples.subset(rows)
        images = np.concatenate([np.asarray(x) for x, _ in face_dataset(
            sample, sample.task_names, model.image_size, 64)])
        maps, captions = {}, {}
        for name, p in predictions.items():
            maps[name] = grad_cam(model, images, name)
            captions[name] = [
                f"{_answer(p, p.pred_index[i])} / "
                f"{_answer(p, p.true_index[i]) if p.annotated[i] else '-'}"
                for i in rows]
        grad_cam_figure(images, maps, captions, list(predictions),
                        os.path.join(work, "grad_cam.png"))
        sections.append(("Grad-CAM per task head (predicted / labelled)",
                         None, "grad_cam.png"))
    return sections


def _answer(p, index):
    if index < 0:
        return "-"
    if isinstance(p.task, OrdinalTask):
        return str(p.task.names[index])
    return p.task.classes[index]


def _write_pages(sections, work, model, examples):
    title = f"keras-dmtl report: {model.name} on {examples.source}"
    intro = (f"{len(examples)} faces; tasks "
             f"{', '.join(t.name for t in model.tasks)}; backbone "
             f"{model.backbone} at {model.image_size}x{model.image_size}.")
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
