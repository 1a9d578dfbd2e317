"""Both ordinal decodings convert to every artifact and decode alike.

The serving graph of ordinal tasks alone (no backbone: its input is the
heads' raw logits), written as a SavedModel and converted with the
exports' own TFLite fp32 and ONNX (opset 13) converters: each runtime
gives the Keras model's NumPy outputs (`numpy_outputs`) and the same
answers, for evenly and unevenly spaced ranks and for age groups, on
logits near the decision points. `tests/export/test_every_kind.py` takes
the expected age through the whole export of a trained model.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from keras_dmtl import OrdinalTask

TASKS = [
    OrdinalTask("age", ranks=range(0, 117), decoding="expected"),
    OrdinalTask("stage", ranks=[0, 2, 6, 13, 20, 40], decoding="expected"),
    OrdinalTask("age_group", cut_points=[3, 8, 15, 25, 38, 48, 60],
                decoding="expected"),
    OrdinalTask("age_count", ranks=range(0, 117)),
]
WIDTHS = [task.num_ranks - 1 for task in TASKS]


def _logits(count=48):
    """Thresholds that step down from "surely above" across each head,
    with noise, so that answers fall all over the ranks."""
    rng = np.random.default_rng(0)
    parts = []
    for width in WIDTHS:
        centre = rng.uniform(0, width, (count, 1))
        steps = (centre - np.arange(width)) * rng.uniform(0.3, 3, (count, 1))
        parts.append(steps + rng.normal(0, 0.5, (count, width)))
    return np.clip(np.concatenate(parts, axis=1), -40, 40).astype("float32")


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    """The decoding graph's outputs from SavedModel, TFLite and ONNX."""
    import tensorflow as tf

    from keras_dmtl.export.onnx_model import write_onnx
    from keras_dmtl.export.serving import IMAGE_INPUT
    from keras_dmtl.export.serving import decoded_outputs
    from keras_dmtl.export.serving import output_names
    from keras_dmtl.export.tflite import write_tflite

    folder = tmp_path_factory.mktemp("ordinal_decoding")
    starts = np.cumsum([0] + WIDTHS)

    @tf.function(input_signature=[
        tf.TensorSpec((None, sum(WIDTHS)), tf.float32, name=IMAGE_INPUT)])
    def serve(image):
        return decoded_outputs(TASKS, {
            task.name: image[:, start:start + width]
            for task, start, width in zip(TASKS, starts, WIDTHS)})

    module = tf.Module()
    module.serve = serve
    saved = str(folder / "saved_model")
    tf.saved_model.save(module, saved, signatures={"serving_default": serve})
    tflite = write_tflite(saved, str(folder / "model.tflite"), "fp32")
    onnx = write_onnx(saved, str(folder / "model.onnx"),
                      {"outputs": output_names(TASKS)})

    logits = _logits()
    outputs = {}
    signature = tf.saved_model.load(saved).signatures["serving_default"]
    outputs["savedmodel"] = {
        k: v.numpy() for k, v in signature(image=tf.constant(logits)).items()}
    from ai_edge_litert.interpreter import Interpreter

    runner = Interpreter(model_path=tflite).get_signature_runner(
        "serving_default")
    outputs["tflite"] = runner(image=logits)
    import onnxruntime

    session = onnxruntime.InferenceSession(
        onnx, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    outputs["onnx"] = dict(zip(names, session.run(None, {"image": logits})))
    return logits, outputs


@pytest.mark.parametrize("runtime", ["savedmodel", "tflite", "onnx"])
def test_every_artifact_decodes_as_the_keras_model(artifacts, runtime):
    logits, outputs = artifacts
    got = outputs[runtime]
    assert sorted(got) == sorted(
        name for task in TASKS for name in task.output_names())
    starts = np.cumsum([0] + WIDTHS)
    for task, start in zip(TASKS, starts):
        raw = logits[:, start:start + task.num_ranks - 1]
        reference = task.numpy_outputs(raw)
        np.testing.assert_allclose(
            np.asarray(got[task.name]).reshape(-1), reference[task.name],
            atol=1e-4, err_msg=f"{runtime}: {task.name}")
        expected = task.decode(raw)
        answers = [task.answer(got, i) for i in range(len(raw))]
        assert [a["index"] for a in answers] == [
            e["index"] for e in expected], f"{runtime}: {task.name}"
        assert [a["label"] for a in answers] == [e["label"] for e in expected]
        assert [a["value"] for a in answers] == pytest.approx(
            [e["value"] for e in expected], abs=1e-4)
        same, _ = task.agreement(reference, got)
        assert same.all(), f"{runtime}: {task.name}"


def test_the_logits_cover_both_decodings_differing(artifacts):
    """The check above means something: the decodings disagree often."""
    logits, _ = artifacts
    age = TASKS[0]
    expected = age.predict_index(logits[:, :WIDTHS[0]])
    age_count = OrdinalTask("age", ranks=range(0, 117))
    counted = age_count.predict_index(logits[:, :WIDTHS[0]])
    assert np.mean(expected != counted) > 0.2
    assert len(set(expected.tolist())) > 10


# Beside a TensorRT engine only NumPy and the bundle's own `keras_dmtl/`
# (task classes, `write_task_package`) are there: they must decode the
# expected rank as the Keras model does.
DECODE_WITHOUT_KERAS = """
import json, sys


class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("keras", "tensorflow"):
            raise ImportError(f"{name} is not installed here")


sys.meta_path.insert(0, Blocker())
sys.path.insert(0, sys.argv[1])
import numpy as np
from keras_dmtl.tasks import Task
entries, logits = json.loads(sys.stdin.read())
answers = {}
for entry in entries:
    task = Task.from_description(entry)
    answers[task.name] = task.decode(np.asarray(logits[task.name], "float32"))
print(json.dumps(answers))
"""


def test_the_device_task_package_decodes_alike(tmp_path):
    from keras_dmtl.export.export_model import write_task_package

    write_task_package(str(tmp_path))
    logits = _logits(8)
    starts = np.cumsum([0] + WIDTHS)
    raw = {task.name: logits[:, start:start + task.num_ranks - 1]
           for task, start in zip(TASKS, starts)}
    done = subprocess.run(
        [sys.executable, "-c", DECODE_WITHOUT_KERAS, str(tmp_path)],
        input=json.dumps([[task.describe() for task in TASKS],
                          {k: v.tolist() for k, v in raw.items()}]),
        capture_output=True, text=True, timeout=120,
        env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    assert done.returncode == 0, done.stderr[-3000:]
    answers = json.loads(done.stdout.strip().splitlines()[-1])
    for task in TASKS:
        assert answers[task.name] == task.decode(raw[task.name]), task.name
