import os
import subprocess
import sys

import keras
import pandas as pd
import pytest

import keras_dmtl
from keras_dmtl.data import SyntheticFaces
from keras_dmtl.cli import main
from keras_dmtl.data import synthetic_tasks
from tests.conftest import REPO


def cli(*args):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, "-m", "keras_dmtl.cli", *args],
                          cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=600)


NAMES = ["age", "gender", "race", "expression", "action_units", "affect"]


def test_evaluate_a_model_on_a_test_set_table(tmp_path):
    from PIL import Image

    faces = SyntheticFaces(24, 32, seed=4)
    tasks = synthetic_tasks(NAMES)
    aus = tasks[4].labels
    rows = [",".join(["image", "age", "gender", "race", "expression", *aus,
                      "valence", "arousal"])]
    for i, image in enumerate(faces.images):
        path = tmp_path / f"{i}.png"
        Image.fromarray(image).save(path)
        # Every third face has no action unit coded and no arousal.
        units = ([""] * len(aus) if i % 3 == 0
                 else [str(v) for v in faces.labels["action_units"][i]])
        arousal = "" if i % 3 == 0 else f"{faces.labels['arousal'][i]:.3f}"
        rows.append(",".join([
            str(path), str(faces.labels["age"][i]),
            str(faces.labels["gender"][i]), str(faces.labels["race"][i]),
            str(faces.labels["expression"][i]), *units,
            f"{faces.labels['valence'][i]:.3f}", arousal]))
    (tmp_path / "test_set.csv").write_text("\n".join(rows) + "\n")
    model = keras_dmtl.DMTLModel(tasks, backbone="mobilenet_v2_0.35",
                                 image_size=32)
    model.save(str(tmp_path / "model.keras"))

    out = str(tmp_path / "report")
    result = cli("evaluate", str(tmp_path / "model.keras"), "--data",
                 str(tmp_path / "test_set.csv"), "--gradcam-faces", "2",
                 "--out", out)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "24 examples kept" in result.stdout
    assert os.path.isfile(os.path.join(out, "report.html"))
    assert os.path.isfile(os.path.join(out, "grad_cam.png"))
    metrics = pd.read_csv(os.path.join(out, "metrics.csv")).set_index("task")
    assert metrics.index.tolist() == NAMES
    assert metrics.loc["action_units", "annotated"] == 16
    assert metrics.loc["affect", "annotated"] == 24
    for name in ("labels_action_units.csv", "values_affect.csv",
                 "scatter_affect.png", "cumulative_score_age.csv"):
        assert os.path.isfile(os.path.join(out, name)), name
    values = pd.read_csv(os.path.join(out, "values_affect.csv"))
    assert values["annotated"].tolist() == [24, 16]
    report = open(os.path.join(out, "report.md")).read()
    assert "mirror" not in report

    # The rest in this process: the command line itself is tested above.
    # --test-time-flip: the report says how the answers were made.
    flipped = str(tmp_path / "report_flipped")
    main(["evaluate", str(tmp_path / "model.keras"), "--data",
          str(tmp_path / "test_set.csv"), "--gradcam-faces", "0",
          "--test-time-flip", "--quiet", "--out", flipped])
    report = open(os.path.join(flipped, "report.md")).read()
    assert "mean over the face and its mirror image" in report

    # A table with none of the model's tasks: a clear error, no report.
    (tmp_path / "other.csv").write_text("image,mood\n0.png,1\n")
    with pytest.raises(SystemExit) as stop:
        main(["evaluate", str(tmp_path / "model.keras"), "--data",
              str(tmp_path / "other.csv"), "--out", str(tmp_path / "r2")])
    assert "no column for any of the model's tasks" in str(stop.value.code)
    assert not os.path.exists(tmp_path / "r2")

    # A file that is not a keras-dmtl model.
    plain = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    plain.save(str(tmp_path / "plain.keras"))
    with pytest.raises(SystemExit) as stop:
        main(["evaluate", str(tmp_path / "plain.keras"), "--data",
              str(tmp_path / "test_set.csv"), "--out", str(tmp_path / "r3")])
    assert "not a keras-dmtl model" in str(stop.value.code)
    assert not os.path.exists(tmp_path / "r3")


def test_compare_prints_and_writes_one_table(tmp_path):
    for name, value in (("a_seed0", 0.5), ("a_seed1", 0.7)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "metrics.json").write_text(
            '{"race_accuracy": {"model": %s, "chance": 0.2}}' % value)
    result = cli("compare", str(tmp_path / "a_seed0"), str(tmp_path / "a_seed1"),
                 "--out", str(tmp_path / "cmp"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "race_accuracy_mean" in result.stdout and "0.6000" in result.stdout
    assert os.path.isfile(tmp_path / "cmp" / "settings.csv")
