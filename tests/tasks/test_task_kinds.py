"""Every task kind, old and new, through `run_task_kind_test`."""

import pytest

from keras_dmtl.data import SyntheticFaces
from keras_dmtl.data import synthetic_tasks
from tests.task_kind_test_case import run_task_kind_test

EVERY_KIND = ["age", "age_group", "gender", "action_units", "affect"]


def _tasks(names):
    """The synthetic tasks; the age groups decode by the expected rank, so
    that both ordinal decodings train, log metrics, load and evaluate."""
    tasks = synthetic_tasks(names)
    for task in tasks:
        if task.name == "age_group":
            task.decoding = "expected"
    return tasks


def test_every_kind_in_one_model(tmp_path):
    """The default run: one model holding a task of every kind.

    It stops before the export, which `tests/export/test_every_kind.py`
    runs for every kind to SavedModel, TFLite and ONNX with parity and the
    same answer records; the slow test below takes each kind alone to
    every format.
    """
    faces = SyntheticFaces(160, image_size=32, seed=3)
    run_task_kind_test(_tasks(EVERY_KIND),
                       faces.examples(EVERY_KIND), tmp_path, formats=(),
                       epochs=2)


@pytest.mark.slow
@pytest.mark.parametrize("name", EVERY_KIND)
def test_each_kind_alone(tmp_path, name):
    faces = SyntheticFaces(160, image_size=32, seed=3)
    run_task_kind_test(_tasks([name]), faces.examples([name]),
                       tmp_path,
                       formats=(("savedmodel", "fp32"), ("tflite", "fp32"),
                                ("tflite", "fp16"), ("onnx", "fp32")))
