import json
import os

import keras
import numpy as np
import pandas as pd
import pytest

import keras_dmtl
from keras_dmtl.data import SyntheticFaces
from keras_dmtl.data import synthetic_tasks
from keras_dmtl.evaluation import collect_predictions
from keras_dmtl.evaluation import compare_runs
from keras_dmtl.evaluation import evaluate_model
from keras_dmtl.evaluation import grad_cam
from keras_dmtl.data import face_dataset


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    faces = SyntheticFaces(64, 32, seed=2)
    model = keras_dmtl.DMTLModel(synthetic_tasks(), backbone="mobilenet_v2_0.35",
                                 image_size=32, shared_stages=6)
    model.compile(keras.optimizers.Adam(1e-3))
    examples = faces.examples(["age", "gender", "race"])
    model.fit(face_dataset(examples, image_size=32, batch_size=16), epochs=2,
              verbose=0, callbacks=[keras.callbacks.CSVLogger(
                  str(folder / "history.csv"))])
    model.save(str(folder / "model.keras"))
    return model, examples, folder


def test_predictions_stream_and_match_predict(trained):
    model, examples, _ = trained
    data = face_dataset(examples, image_size=32, batch_size=10)
    predictions = collect_predictions(model, data)
    expected = model.predict(examples.images, verbose=0)
    np.testing.assert_array_equal(predictions["gender"].pred_index,
                                  expected["gender"].argmax(-1))
    np.testing.assert_array_equal(predictions["age"].pred_index,
                                  (expected["age"] > 0).sum(-1))
    np.testing.assert_array_equal(predictions["age"].true_value,
                                  examples.labels["age"])


def test_grad_cam_maps_every_head(trained):
    model, examples, _ = trained
    for name in ("age", "gender"):
        maps = grad_cam(model, examples.images[:3], name)
        assert maps.shape == (3, 32, 32)
        assert maps.min() >= 0 and maps.max() <= 1


def test_report_folder_has_every_table_and_figure(trained, tmp_path):
    model, examples, folder = trained
    out = str(tmp_path / "report")
    metrics = evaluate_model(str(folder / "model.keras"), examples, out,
                             history=str(folder / "history.csv"),
                             gradcam_faces=3, min_group_size=2)
    assert metrics["task"].tolist() == ["age", "gender", "race"]
    for name in ["report.md", "report.html", "metrics.csv",
                 "cumulative_score.csv", "cumulative_score.png",
                 "confusion_gender.csv", "confusion_gender_normalised.csv",
                 "confusion_race.png", "classes_race.csv", "bias_groups.csv",
                 "bias_gaps.csv", "task_weights.png", "grad_cam.png"]:
        assert os.path.isfile(os.path.join(out, name)), name
    page = open(os.path.join(out, "report.html")).read()
    assert page.count("data:image/png;base64,") >= 5
    assert "](grad_cam.png)" in open(os.path.join(out, "report.md")).read()
    # The tables agree with the predictions.
    predictions = collect_predictions(
        model, face_dataset(examples, image_size=32, batch_size=16))
    p = predictions["gender"]
    accuracy = float(np.mean(p.pred_index == p.true_index))
    row = metrics[metrics.task == "gender"]
    assert row["accuracy"].item() == pytest.approx(accuracy)
    counts = pd.read_csv(os.path.join(out, "confusion_gender.csv"),
                         index_col=0)
    assert counts.to_numpy().sum() == len(examples)


def test_bad_inputs_leave_no_report(trained, tmp_path):
    model, examples, folder = trained
    out = str(tmp_path / "report")
    plain = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    plain.save(str(tmp_path / "plain.keras"))
    with pytest.raises(ValueError, match="not a keras-dmtl model"):
        evaluate_model(str(tmp_path / "plain.keras"), examples, out)
    (tmp_path / "junk.keras").write_text("junk")
    with pytest.raises(ValueError, match="not a loadable Keras model"):
        evaluate_model(str(tmp_path / "junk.keras"), examples, out)
    other = SyntheticFaces(8, 32).examples(["expression"])
    with pytest.raises(ValueError, match="nothing to evaluate"):
        evaluate_model(model, other, out)
    with pytest.raises(ValueError, match="has no examples"):
        evaluate_model(model, examples.subset([]), out)
    assert not os.path.exists(out)
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".report-")]


def test_compare_runs_gives_mean_and_spread(tmp_path):
    values = {"base_seed0": 0.8, "base_seed1": 0.6, "other": 0.7}
    for name, accuracy in values.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "metrics.json").write_text(json.dumps({
            "gender_accuracy": {"model": accuracy, "chance": 0.5},
            "task_weights": {"gender": 1.0}}))
    runs, settings = compare_runs([str(tmp_path / n) for n in values])
    assert runs["gender_accuracy"].tolist() == [0.8, 0.6, 0.7]
    base = settings[settings.setting == "base"]
    assert base["runs"].item() == 2
    assert base["gender_accuracy_mean"].item() == pytest.approx(0.7)
    assert base["gender_accuracy_std"].item() == pytest.approx(
        np.std([0.8, 0.6], ddof=1))
    with pytest.raises(FileNotFoundError, match="no metrics.json"):
        compare_runs([str(tmp_path)])
