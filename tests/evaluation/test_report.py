import json
import os

import keras
import numpy as np
import pandas as pd
import pytest

import keras_dmtl
from keras_dmtl.data import SyntheticFaces
from keras_dmtl.data import face_dataset
from keras_dmtl.evaluation import collect_predictions
from keras_dmtl.evaluation import compare_runs
from keras_dmtl.evaluation import write_comparison
from keras_dmtl.evaluation import concordance
from keras_dmtl.evaluation import evaluate_model
from keras_dmtl.evaluation import TaskPredictions
from keras_dmtl.evaluation import evaluation_options
from keras_dmtl.evaluation import grad_cam
from keras_dmtl.evaluation import metrics_table
from keras_dmtl.evaluation import multi_label_scores

NAMES = ["age", "gender", "race", "expression", "action_units", "affect"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny model of every kind of task, trained one epoch, saved."""
    folder = tmp_path_factory.mktemp("run")
    examples = SyntheticFaces(96, image_size=32, seed=2).examples(NAMES)
    model = keras_dmtl.DMTLModel(examples.tasks, backbone="mobilenet_v2_0.35",
                                 image_size=32)
    model.compile(keras.optimizers.Adam(1e-3), run_eagerly=True)
    model.fit(face_dataset(examples, model.tasks, image_size=32,
                           batch_size=32), epochs=1, verbose=0,
              callbacks=[keras.callbacks.CSVLogger(
                  str(folder / "history.csv"))])
    model.save(str(folder / "model.keras"))
    return model, examples, folder


@pytest.fixture(scope="module")
def report(trained, tmp_path_factory):
    """The report of the saved model, and the predictions behind it."""
    model, examples, folder = trained
    out = str(tmp_path_factory.mktemp("evaluation") / "report")
    metrics = evaluate_model(str(folder / "model.keras"), examples, out,
                             history=str(folder / "history.csv"),
                             gradcam_faces=3, min_group_size=2)
    predictions = collect_predictions(
        model, face_dataset(examples, model.tasks, image_size=32,
                            batch_size=16))
    return out, metrics, predictions


def test_predictions_stream_and_match_predict(trained):
    model, examples, _ = trained
    data = face_dataset(examples, model.tasks, image_size=32, batch_size=10)
    predictions = collect_predictions(model, data)
    expected = model.predict(examples.images, verbose=0)
    for task in model.tasks:
        p = predictions[task.name]
        np.testing.assert_array_equal(p.labels, examples.labels[task.name])
        assert set(p.outputs) == set(task.output_names())
        for name, value in task.numpy_outputs(expected[task.name]).items():
            np.testing.assert_allclose(p.outputs[name], value, atol=1e-5)
    np.testing.assert_array_equal(
        predictions["age"].outputs["age"],
        (expected["age"] > 0).sum(-1))  # ranks 0..116: the value is the rank
    assert predictions["action_units"].outputs["action_units"].shape == (
        len(examples), 8)
    assert predictions["affect"].labels.shape == (len(examples), 2)


def test_grad_cam_maps_every_head(trained):
    model, examples, _ = trained
    for name in NAMES:
        maps = grad_cam(model, examples.images[:3], name)
        assert maps.shape == (3, 32, 32)
        assert maps.min() >= 0 and maps.max() <= 1


def test_grad_cam_of_a_flipping_model_is_mirror_symmetric(trained):
    # Its answer to a face and to the face's mirror are one answer, so the
    # map of the mirror is the mirror of the map (without the flip, not).
    from keras_dmtl import DMTLModel
    from tests.conftest import lively

    trained_model, examples, _ = trained
    model = DMTLModel.from_config(trained_model.get_config())
    model.set_weights(trained_model.get_weights())
    images = np.asarray(examples.images[:8], "float32")
    images[:, :, :10] *= 0.4  # lit from one side
    lively(model, images)
    for flip in (False, True):
        model.test_time_flip = flip
        gaps, peaks = {}, {}
        for name in NAMES:
            maps = grad_cam(model, images, name)
            mirrored = grad_cam(model, images[:, :, ::-1], name)
            gaps[name] = float(np.abs(mirrored - maps[:, :, ::-1]).max())
            peaks[name] = float(maps.max())
        if flip:  # every map mirror-symmetric, and some not empty
            assert max(gaps.values()) < 1e-4, gaps
            assert max(peaks.values()) > 0.5, peaks
        else:
            assert max(gaps.values()) > 1e-2, gaps


def test_report_folder_has_every_table_and_figure(trained, report):
    _, examples, _ = trained
    out, metrics, predictions = report
    assert metrics["task"].tolist() == NAMES
    assert metrics["kind"].tolist() == [
        "ordinal", "nominal", "nominal", "nominal", "multi_label",
        "regression"]
    for name in ["report.md", "report.html", "metrics.csv",
                 "cumulative_score_age.csv", "cumulative_score_age.png",
                 "confusion_age.png", "confusion_gender.csv",
                 "confusion_gender_normalised.csv", "confusion_race.png",
                 "classes_race.csv", "labels_action_units.csv",
                 "labels_action_units.png", "values_affect.csv",
                 "scatter_affect.png", "bias_groups.csv", "bias_gaps.csv",
                 "task_weights.png", "grad_cam.png"]:
        assert os.path.isfile(os.path.join(out, name)), name
    page = open(os.path.join(out, "report.html")).read()
    assert page.count("data:image/png;base64,") == 9  # one per PNG
    markdown = open(os.path.join(out, "report.md")).read()
    for figure in ("grad_cam.png", "labels_action_units.png",
                   "scatter_affect.png", "cumulative_score_age.png"):
        assert f"]({figure})" in markdown
    # The tables agree with the predictions.
    p = predictions["gender"]
    accuracy = float(np.mean(p.outputs["gender"] == p.labels))
    row = metrics[metrics.task == "gender"]
    assert row["accuracy"].item() == pytest.approx(accuracy)
    counts = pd.read_csv(os.path.join(out, "confusion_gender.csv"),
                         index_col=0)
    assert counts.to_numpy().sum() == len(examples)
    cs = pd.read_csv(os.path.join(out, "cumulative_score_age.csv"))
    assert cs.columns.tolist() == ["error_level", "age"]
    assert len(cs) == 11 and cs["age"].is_monotonic_increasing


def test_multi_label_table_has_each_label_s_scores(trained, report):
    model, _, _ = trained
    out, metrics, predictions = report
    task = next(t for t in model.tasks if t.name == "action_units")
    table = pd.read_csv(os.path.join(out, "labels_action_units.csv"))
    assert table["label"].tolist() == task.labels
    assert {"precision", "recall", "f1"} <= set(table.columns)
    p = predictions["action_units"]
    expected = multi_label_scores(p.labels, p.outputs["action_units"])
    np.testing.assert_allclose(table["f1"], expected["per_label"]["f1"])
    np.testing.assert_allclose(table["precision"],
                               expected["per_label"]["precision"])
    np.testing.assert_allclose(table["recall"],
                               expected["per_label"]["recall"])
    row = metrics.set_index("task").loc["action_units"]
    assert row["mean_f1"] == pytest.approx(expected["summary"]["mean_f1"])


def test_regression_table_has_each_output_s_ccc(report):
    out, metrics, predictions = report
    table = pd.read_csv(os.path.join(out, "values_affect.csv"))
    assert table["output"].tolist() == ["valence", "arousal"]
    p = predictions["affect"]
    ccc = [concordance(p.labels[:, j], p.outputs["affect"][:, j])
           for j in range(2)]  # the synthetic faces carry every value
    np.testing.assert_allclose(table["ccc"], ccc, rtol=1e-6)
    row = metrics.set_index("task").loc["affect"]
    assert row["ccc_valence"] == pytest.approx(ccc[0])
    assert row["ccc"] == pytest.approx(np.mean(ccc))


def test_bias_rows_use_each_task_s_headline(report):
    out, _, _ = report
    groups = pd.read_csv(os.path.join(out, "bias_groups.csv"))
    metric = groups.groupby("task")["metric"].unique().to_dict()
    assert {task: list(m) for task, m in metric.items()} == {
        "age": ["mae"], "gender": ["accuracy"], "race": ["accuracy"],
        "expression": ["accuracy"], "action_units": ["mean_f1"],
        "affect": ["ccc"]}
    assert {"gender", "race", "expression", "age_group",
            "gender x race"} <= set(groups["breakdown"])
    gaps = pd.read_csv(os.path.join(out, "bias_gaps.csv"))
    assert {"action_units", "affect"} <= set(gaps["task"])


def test_tables_of_hand_made_answers(tmp_path):
    # The tiny model above answers almost the same for every face; here the
    # answers are chosen, and the tables checked by hand.
    aus = keras_dmtl.MultiLabelTask("aus", labels=["AU1", "AU2", "AU4"])
    affect = keras_dmtl.RegressionTask("affect", ["valence", "arousal"],
                                       bounds=(-9, 9))
    nan = np.nan
    predictions = {
        "aus": TaskPredictions(
            aus, np.array([[1, 0, -1], [1, 1, 0], [0, -1, 0], [-1, 1, 1]]),
            {"aus": np.array([[1, 1, 1], [0, 1, 0], [0, 0, 1], [1, 1, 1]])}),
        "affect": TaskPredictions(
            affect, np.array([[1, nan], [2, 0.5], [3, -0.5], [nan, 0.0]],
                             "float32"),
            {"affect": np.array([[2, 0], [3, 0.5], [4, -0.5], [9, 1.0]],
                                "float32")}),
    }
    options = evaluation_options()
    metrics = metrics_table(predictions, options).set_index("task")
    assert metrics.loc["aus", "mean_f1"] == pytest.approx(
        (2 / 3 + 0.8 + 2 / 3) / 3)
    assert metrics.loc["affect", "ccc"] == pytest.approx((4 / 7 + 0.5) / 2)
    assert metrics["annotated"].tolist() == [4, 4]
    for p in predictions.values():
        sections = p.task.report(p.labels, p.outputs, str(tmp_path), options)
        for _, _, figure in sections:
            assert (tmp_path / figure).is_file()
    labels = pd.read_csv(tmp_path / "labels_aus.csv")
    np.testing.assert_allclose(labels["f1"], [2 / 3, 0.8, 2 / 3])
    np.testing.assert_allclose(labels["precision"], [1, 2 / 3, 0.5])
    np.testing.assert_allclose(labels["recall"], [0.5, 1, 1])
    values = pd.read_csv(tmp_path / "values_affect.csv")
    np.testing.assert_allclose(values["ccc"], [4 / 7, 0.5], rtol=1e-6)
    assert values["annotated"].tolist() == [3, 3]


def test_bad_inputs_leave_no_report(trained, tmp_path):
    model, examples, folder = trained
    out = str(tmp_path / "report")
    plain = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    plain.save(str(tmp_path / "plain.keras"))
    with pytest.raises(ValueError, match="not a keras-dmtl model"):
        evaluate_model(str(tmp_path / "plain.keras"), examples, out)
    (tmp_path / "junk.keras").write_text("junk")
    with pytest.raises(ValueError, match="junk.keras: not a .keras model"):
        evaluate_model(str(tmp_path / "junk.keras"), examples, out)
    other = SyntheticFaces(8, 32).examples(["age_group"])
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
    (tmp_path / "other" / "run.unfinished.json").write_text("{}")
    with pytest.raises(ValueError, match="other: the run has not finished"):
        compare_runs([str(tmp_path / "other")])


def test_a_comparison_never_writes_into_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "metrics.json").write_text(json.dumps(
        {"gender_accuracy": {"model": 0.8, "chance": 0.5}}))
    runs, settings = compare_runs([str(tmp_path / "a")])
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "runs.csv").write_text("my own table")
    with pytest.raises(ValueError, match="holds no comparison written by"):
        write_comparison(runs, settings, str(mine))
    assert os.listdir(mine) == ["runs.csv"]
    assert (mine / "runs.csv").read_text() == "my own table"
    out = tmp_path / "cmp"
    write_comparison(runs, settings, str(out))
    write_comparison(runs, settings, str(out))  # its own: replaced
    assert sorted(os.listdir(out)) == [".keras-dmtl-comparison",
                                       "comparison.md", "runs.csv",
                                       "settings.csv"]


def test_compare_runs_takes_every_kind_s_metrics(tmp_path):
    for name, (f1, ccc) in {"all_seed0": (0.5, 0.2),
                            "all_seed1": (0.7, 0.4)}.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "metrics.json").write_text(json.dumps({
            "aus_mean_f1": {"model": f1, "chance": 0.3},
            "aus_f1_AU12": {"model": f1 + 0.1},
            "affect_ccc": {"model": ccc, "chance": 0.0},
            "affect_ccc_valence": {"model": ccc},
            "combined_score": {"model": 0.3}}))
    runs, settings = compare_runs([str(tmp_path / "all_seed0"),
                                   str(tmp_path / "all_seed1")])
    assert runs["aus_f1_AU12"].tolist() == pytest.approx([0.6, 0.8])
    row = settings.iloc[0]
    assert row["setting"] == "all" and row["runs"] == 2
    assert row["aus_mean_f1_mean"] == pytest.approx(0.6)
    assert row["affect_ccc_valence_mean"] == pytest.approx(0.3)


def test_a_folder_that_is_not_a_report_is_never_emptied(trained, tmp_path):
    """`--out` pointing at the run folder, or any folder of other files."""
    model, examples, folder = trained
    before = sorted(os.listdir(folder))
    with pytest.raises(ValueError, match="not a keras-dmtl report folder"):
        evaluate_model(model, examples, str(folder), gradcam_faces=0)
    assert sorted(os.listdir(folder)) == before
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="nothing was changed"):
        evaluate_model(model, examples, str(tmp_path), gradcam_faces=0)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_report_is_replaced_by_a_new_one(trained, tmp_path):
    model, examples, _ = trained
    out = tmp_path / "report"
    evaluate_model(model, examples.subset(range(40)), str(out),
                   gradcam_faces=0)
    first = (out / "metrics.csv").read_text()
    evaluate_model(model, examples, str(out), gradcam_faces=0)
    assert (out / "metrics.csv").read_text() != first
    assert (out / ".keras-dmtl-report").exists()
    assert sorted(os.listdir(tmp_path)) == ["report"]


def test_the_report_draws_the_relatedness_of_the_model_s_couplings(tmp_path):
    from keras_dmtl.coupling import ExpressionToActionUnits
    from keras_dmtl.coupling import SoftCoAnnotation
    from keras_dmtl.coupling import TaskRelatedness
    from keras_dmtl.data import synthetic_tasks

    table = TaskRelatedness.du2014(target="action_units")
    names = ["expression", "action_units"]
    model = keras_dmtl.DMTLModel(
        synthetic_tasks(names), backbone="mobilenet_v2_0.35", image_size=32,
        coupling=[ExpressionToActionUnits(table), SoftCoAnnotation(table)])
    model.compile(optimizer="adam", run_eagerly=True)
    examples = SyntheticFaces(16, 32).examples(names)
    out = str(tmp_path / "report")
    evaluate_model(model, examples, out, gradcam_faces=0)
    report = open(os.path.join(out, "report.md")).read()
    assert ("## Task relatedness P(action_units | expression) used by "
            "expression_to_action_units, soft_co_annotation (Du, S.") in report
    assert "![" in report and os.path.isfile(
        os.path.join(out, "relatedness_1.png"))
