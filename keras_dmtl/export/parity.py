"""Does an exported artifact still give the Keras model's answers?

This file needs only NumPy and `keras_dmtl.tasks` (which loads without
Keras): the TensorRT export copies it beside `build_engine.py`, with a
minimal `keras_dmtl/` holding the task classes, to check engines on the
device they are built on.
"""

import json
import os

import numpy as np

from keras_dmtl.tasks.task import Task

AGREEMENT_BARS = {"fp32": 0.999, "fp16": 0.99, "int8": 0.98,
                  "dynamic_int8": 0.98, "int8_mixed": 0.98, "int16x8": 0.98}
"""The least share of images on which an artifact of each precision must
agree with the Keras model, task by task (and, for a task with several
labels or values, label by label)."""


class ParityError(RuntimeError):
    """An artifact disagrees with its Keras model more than its bar allows."""


def parity_report(tasks, reference, outputs, precision, bar=None):
    """Compares an artifact's outputs with the Keras model's, task by task.

    Each task says where the artifact gives its answer (`task.agreement`):
    a nominal task the same class, an ordinal task with rank values (age in
    years) an answer within one unit, an ordinal task with groups the same
    group, a multi-label task the same decision label by label, a
    regression task each value within its tolerance. A task whose answer
    has several labels or values is reported label by label and measured
    against the bar by its worst label.

    Args:
        tasks: list of `Task`, or the `tasks` entries of the artifact's
            model info (read with `Task.from_description`).
        reference: the Keras model's outputs (`decoded_outputs_numpy`).
        outputs: the artifact's outputs on the same images.
        precision: the artifact's precision, which sets the default bar.
        bar: optional agreement bar replacing `AGREEMENT_BARS[precision]`.

    Returns:
        A JSON-ready dict with `precision`, `bar`, `num_images`, `passed`
        and, per task, `agreement` (the worst label's, for several),
        `disagreements` (images on which that agreement fails), `rule`,
        for several labels or values `per_label` (label name to agreement)
        and `images_with_a_difference`, and the largest and mean absolute
        difference of its probability outputs
        (`max_probability_difference`, `mean_probability_difference`), or
        of its values for a task without probabilities
        (`max_value_difference`, `mean_value_difference`).

    Example:

    ```python
    report = parity_report(model.tasks, reference, outputs, "fp16")
    report["passed"], report["tasks"]["age"]["agreement"]
    ```
    """
    tasks = [task if isinstance(task, Task) else Task.from_description(task)
             for task in tasks]
    bar = AGREEMENT_BARS[precision] if bar is None else float(bar)
    report = {"precision": precision, "bar": bar, "tasks": {}}
    passed = True
    for task in tasks:
        same, rule = task.agreement(reference, outputs)
        same = np.asarray(same, bool)
        labels = {}
        if same.ndim > 1:  # several labels or values: judged by the worst
            same = same.reshape(len(same), -1)
            per_label = same.mean(axis=0)
            names = task.describe().get("labels") or range(same.shape[1])
            worst = int(np.argmin(per_label))
            labels = {
                "per_label": {str(n): float(a)
                              for n, a in zip(names, per_label)},
                "worst_label": str(list(names)[worst]),
                "images_with_a_difference": int(np.sum(~same.all(axis=1))),
            }
            same = same[:, worst]
        agreement = float(np.mean(same))
        entry = {"agreement": agreement, "disagreements": int(np.sum(~same)),
                 "rule": rule, **labels}
        entry.update(_differences(task, reference, outputs))
        passed = passed and agreement >= bar
        report["tasks"][task.name] = entry
    report["num_images"] = int(len(np.asarray(reference[tasks[0].name])))
    report["passed"] = bool(passed)
    return report


def _differences(task, reference, outputs):
    """Largest and mean absolute differences of a task's float outputs.

    Over its probability outputs where it has them, else over its answer
    (the values of a regression task).
    """
    names = [n for n in task.output_names() if n.endswith("_probabilities")]
    measured = "probability" if names else "value"
    names = names or [task.name]
    differences = []
    for name in names:
        expected = np.asarray(reference[name], "float64")
        got = np.asarray(outputs[name], "float64").reshape(expected.shape)
        differences.append(np.abs(got - expected).reshape(-1))
    difference = np.concatenate(differences)
    return {f"max_{measured}_difference": float(difference.max()),
            f"mean_{measured}_difference": float(difference.mean())}


def difference_text(task_report):
    """The largest difference of a task's parity report, in words.

    Example: `"max probability difference 0.0031"`.
    """
    for measured in ("probability", "value"):
        key = f"max_{measured}_difference"
        if key in task_report:
            return f"max {measured} difference {task_report[key]:.3g}"
    return "no difference measured"


def write_parity(report, path):
    """Writes a parity report as JSON (atomically); returns the path."""
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w") as file:
        json.dump(report, file, indent=2)
    os.replace(temporary, path)
    return path


def failure_message(report, artifact):
    """Says which tasks missed the bar, for a `ParityError`."""
    misses = [
        f"{name}: {t['agreement']:.2%} agreement"
        + (f" on {t['worst_label']}" if "worst_label" in t else "")
        + f" ({t['disagreements']} of {report['num_images']} images differ, "
        f"{difference_text(t)})"
        for name, t in report["tasks"].items()
        if t["agreement"] < report["bar"]
    ]
    return (f"{artifact} ({report['precision']}) misses its parity bar of "
            f"{report['bar']:.1%} against the Keras model: "
            + "; ".join(misses) + ". Nothing was written.")
