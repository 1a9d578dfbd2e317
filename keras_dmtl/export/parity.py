"""Does an exported artifact still give the Keras model's answers?

This file needs only NumPy: the TensorRT export copies it beside
`build_engine.py`, which checks engines on the device they are built on.
"""

import json
import os

import numpy as np

AGREEMENT_BARS = {"fp32": 0.999, "fp16": 0.99, "int8": 0.98,
                  "dynamic_int8": 0.98}
"""The least share of images on which an artifact of each precision must
agree with the Keras model, task by task."""


class ParityError(RuntimeError):
    """An artifact disagrees with its Keras model more than its bar allows."""


def parity_report(tasks, reference, outputs, precision, bar=None):
    """Compares an artifact's outputs with the Keras model's, task by task.

    Decoded answers agree when a nominal task gives the same class, an
    ordinal task with rank values (age in years) answers within one unit
    (one year), and an ordinal task with groups gives the same group.

    Args:
        tasks: the `tasks` list of the artifact's model info (dicts with
            `name`, `kind` and, for ordinal tasks, `values_are_ranks`).
        reference: the Keras model's decoded outputs (`decoded_outputs_numpy`).
        outputs: the artifact's outputs on the same images.
        precision: the artifact's precision, which sets the default bar.
        bar: optional agreement bar replacing `AGREEMENT_BARS[precision]`.

    Returns:
        A JSON-ready dict with `passed`, `bar`, `num_images` and per task
        `agreement`, `disagreements`, `max_probability_difference` and
        `mean_probability_difference`.
    """
    bar = AGREEMENT_BARS[precision] if bar is None else float(bar)
    report = {"precision": precision, "bar": bar, "tasks": {}}
    passed = True
    for task in tasks:
        name = task["name"]
        expected = np.asarray(reference[name], "float64")
        got = np.asarray(outputs[name], "float64").reshape(expected.shape)
        if task["kind"] == "ordinal" and task["values_are_ranks"]:
            same = np.abs(got - expected) <= 1.0
            rule = "answer within 1 rank unit (1 year for age)"
        else:
            same = got == expected
            rule = ("same class" if task["kind"] == "nominal"
                    else "same group")
        key = f"{name}_probabilities"
        difference = np.abs(np.asarray(outputs[key], "float64").reshape(
            np.shape(reference[key])) - np.asarray(reference[key], "float64"))
        agreement = float(np.mean(same))
        passed = passed and agreement >= bar
        report["tasks"][name] = {
            "agreement": agreement,
            "disagreements": int(np.sum(~same)),
            "rule": rule,
            "max_probability_difference": float(difference.max()),
            "mean_probability_difference": float(difference.mean()),
        }
    report["num_images"] = int(len(np.asarray(reference[tasks[0]["name"]])))
    report["passed"] = bool(passed)
    return report


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
        f"{name}: {t['agreement']:.2%} agreement "
        f"({t['disagreements']} of {report['num_images']} images differ, "
        f"max probability difference {t['max_probability_difference']:.3g})"
        for name, t in report["tasks"].items()
        if t["agreement"] < report["bar"]
    ]
    return (f"{artifact} ({report['precision']}) misses its parity bar of "
            f"{report['bar']:.1%} against the Keras model: "
            + "; ".join(misses) + ". Nothing was written.")
