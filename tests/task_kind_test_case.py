"""One check that takes any task kinds end to end, after keras-hub's
`run_task_test`: fit, save and load, evaluate, export, parity, predict."""

import os

import keras
import numpy as np

import keras_dmtl
from keras_dmtl.data import face_dataset
from keras_dmtl.data import split_examples
from keras_dmtl.evaluation import evaluate_model
from keras_dmtl.export import describe
from keras_dmtl.export import export_model
from keras_dmtl.export import load_artifact
from keras_dmtl.models import load_dmtl_model

IMAGE_SIZE = 32
FORMATS = (("savedmodel", "fp32"), ("tflite", "fp32"), ("onnx", "fp32"))


def run_task_kind_test(tasks, examples, folder, formats=FORMATS, epochs=3):
    """Checks that `tasks` train, save, evaluate, export and agree.

    1. A small model (MobileNetV2 0.35 at 32x32) fits `examples`; every
       task logs its loss and each of its metrics, and the task losses fall.
    2. Saved and loaded, it has the same tasks and the same outputs.
    3. The report has a metrics row per task with its headline metric.
    4. Each format in `formats` exports with its parity bar passed, and
       gives the Keras model's answer records on held-out faces.
    5. Each task's distillation loss is one value per face, zero between
       the model and itself, and positive against other outputs.

    Args:
        tasks: the tasks, of any kinds.
        examples: `FaceExamples` labelled for them.
        folder: a scratch folder.
        formats: `(format, precision)` pairs to export.
        epochs: int.

    Returns:
        The loaded `DMTLModel`.
    """
    folder = str(folder)
    keras.utils.set_random_seed(0)
    train, test = split_examples(examples, 0.25, seed=0)

    # 1. Fit: every task logs its loss and metrics, and learns something.
    model = keras_dmtl.DMTLModel(tasks, backbone="mobilenet_v2_0.35",
                                 image_size=IMAGE_SIZE)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    history = model.fit(
        face_dataset(train, tasks, IMAGE_SIZE, 16, shuffle=True),
        epochs=epochs, verbose=0).history
    for task in tasks:
        logged = [f"{task.name}_loss", f"{task.name}_beta"] + [
            f"{task.name}_{metric.name}" for metric in task.metrics()]
        missing = [name for name in logged if name not in history]
        assert not missing, f"{task.name}: not logged {missing}"
        assert np.isfinite(history[f"{task.name}_loss"]).all()
    first = sum(history[f"{t.name}_loss"][0] for t in tasks)
    last = sum(history[f"{t.name}_loss"][-1] for t in tasks)
    assert last < first, f"task losses rose from {first} to {last}"

    # 2. Save and load.
    path = os.path.join(folder, "model.keras")
    model.save(path)
    loaded = load_dmtl_model(path)
    assert loaded.tasks == list(tasks)
    images = np.concatenate(
        [np.asarray(x) for x, _ in face_dataset(test, tasks, IMAGE_SIZE, 64)])
    expected = model.predict(images, verbose=0)
    got = loaded.predict(images, verbose=0)
    for task in tasks:
        np.testing.assert_allclose(got[task.name], expected[task.name],
                                   rtol=1e-5, atol=1e-5)
    answers = loaded.predict_attributes(images)

    # 3. Evaluate.
    metrics = evaluate_model(loaded, test, os.path.join(folder, "report"),
                             gradcam_faces=2)
    for task in tasks:
        row = metrics[metrics["task"] == task.name]
        assert len(row) == 1, f"no metrics row for {task.name}"
        headline = task.headline[0]
        assert np.isfinite(float(row[headline].iloc[0])), (
            f"{task.name}: no {headline} in the report")

    # 4. Export, parity, and the same answers from every artifact.
    for export_format, precision in formats:
        out = os.path.join(folder, f"{export_format}_{precision}")
        result = export_model(path, export_format, out, precision=precision,
                              parity_images=32)
        for artifact, report in result.reports.items():
            assert report["passed"], report
            assert sorted(report["tasks"]) == sorted(t.name for t in tasks)
            runtime = load_artifact(artifact)
            outputs = runtime.predict(images)
            for index, answer in enumerate(answers):
                assert_same_answer(describe(runtime.info, outputs, index),
                                   answer, tasks, artifact)

    # 5. Distillation.
    rng = np.random.default_rng(0)
    for task in tasks:
        same = np.asarray(task.distillation_loss(got[task.name],
                                                 expected[task.name], 2.0))
        assert same.shape == (len(images),), (task.name, same.shape)
        np.testing.assert_allclose(same, 0.0, atol=1e-4)
        other = expected[task.name] + rng.normal(
            size=np.shape(expected[task.name])).astype("float32")
        apart = np.asarray(task.distillation_loss(got[task.name], other, 2.0))
        assert (apart >= -1e-6).all() and apart.mean() > 1e-3, (
            task.name, apart)
    return loaded


def assert_same_answer(got, expected, tasks, where):
    """Two answer records agree: labels exactly, numbers to 1e-3."""
    assert sorted(got) == sorted(expected), where
    for task in tasks:
        _assert_close(got[task.name], expected[task.name],
                      f"{where}: {task.name}")


def _assert_close(got, expected, where):
    if isinstance(expected, dict):
        assert sorted(got) == sorted(expected), where
        for key in expected:
            _assert_close(got[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, float):
        assert abs(got - expected) <= 1e-3, f"{where}: {got} != {expected}"
    else:
        assert got == expected, f"{where}: {got} != {expected}"
