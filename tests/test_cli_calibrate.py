"""`keras-dmtl calibrate`: decisions tuned on held-out faces, a new file."""

import numpy as np
import pytest

import keras_dmtl
from keras_dmtl.cli import main
from keras_dmtl.data import SyntheticFaces
from keras_dmtl.data import synthetic_tasks
from keras_dmtl.models.load_model import load_dmtl_model
from keras_dmtl.tasks import find_task

NAMES = ["age", "race", "action_units"]


def test_calibrate_writes_a_new_model_with_tuned_decisions(tmp_path, capsys,
                                                           monkeypatch):
    from PIL import Image

    faces = SyntheticFaces(40, 32, seed=5)
    tasks = synthetic_tasks(NAMES)
    units = tasks[2].labels
    rows = [",".join(["image", "age", "race", *units])]
    for i, image in enumerate(faces.images):
        path = tmp_path / f"{i}.png"
        Image.fromarray(image).save(path)
        rows.append(",".join(
            [str(path), str(faces.labels["age"][i]),
             str(faces.labels["race"][i]),
             *[str(v) for v in faces.labels["action_units"][i]]]))
    (tmp_path / "held_out.csv").write_text("\n".join(rows) + "\n")
    model = keras_dmtl.DMTLModel(tasks, backbone="mobilenet_v2_0.35",
                                 image_size=32)
    model.save(str(tmp_path / "model.keras"))
    before = (tmp_path / "model.keras").read_bytes()

    out = tmp_path / "calibrated.keras"
    main(["calibrate", str(tmp_path / "model.keras"), "--data",
          str(tmp_path / "held_out.csv"), "--min-recall", "0", "--out",
          str(out)])
    printed = capsys.readouterr().out
    assert "age: nothing to tune" in printed
    assert "race: {'strength':" in printed
    assert "'reached': True" in printed
    assert "action_units: {'thresholds':" in printed
    assert (tmp_path / "model.keras").read_bytes() == before
    calibrated = load_dmtl_model(str(out))
    race = find_task(calibrated.tasks, "race")
    strength = float(printed.split("race: {'strength': ")[1].split(",")[0])
    if strength:
        counts = np.bincount(faces.labels["race"], minlength=5) + 1.0
        np.testing.assert_allclose(
            race.class_offsets, -strength * np.log(counts / counts.sum()),
            rtol=1e-5)
    else:
        assert race.class_offsets is None
    units_task = find_task(calibrated.tasks, "action_units")
    assert units_task.thresholds != [0.5] * len(units)

    # Only the named tasks change; an existing --out is refused.
    with pytest.raises(SystemExit, match="calibrated.keras exists"):
        main(["calibrate", str(tmp_path / "model.keras"), "--data",
              str(tmp_path / "held_out.csv"), "--tasks", "race",
              "--out", str(out)])
    with pytest.raises(SystemExit, match="The model has no task 'gender'"):
        main(["calibrate", str(tmp_path / "model.keras"), "--data",
              str(tmp_path / "held_out.csv"), "--tasks", "gender",
              "--min-recall", "0.3", "--out", str(tmp_path / "other.keras")])
    assert not (tmp_path / "other.keras").exists()
    for bad, message in ((["--min-recall", "1.5"], "a recall lies between"),
                         (["--out", str(tmp_path / "no" / "m.keras")],
                          "no folder")):
        with pytest.raises(SystemExit, match=message):
            main(["calibrate", str(tmp_path / "model.keras"), "--data",
                  str(tmp_path / "held_out.csv"), "--out",
                  str(tmp_path / "third.keras"), *bad])

    # --test-time-flip: the new model answers over face and mirror, and
    # its decisions were tuned on those answers.
    flipped = tmp_path / "flipped.keras"
    main(["calibrate", str(tmp_path / "model.keras"), "--data",
          str(tmp_path / "held_out.csv"), "--tasks", "race",
          "--test-time-flip", "--out", str(flipped)])
    assert load_dmtl_model(str(flipped)).test_time_flip is True
    assert load_dmtl_model(str(out)).test_time_flip is False

    # --strength: offsets -log(prior) from the faces' labels alone; no
    # face goes through the model, so the training faces may be given.
    import keras_dmtl.evaluation.predictions as predictions

    def no_model_run(*args, **kwargs):
        raise AssertionError("a given strength ran the model")

    monkeypatch.setattr(predictions, "collect_predictions", no_model_run)
    prior = tmp_path / "prior.keras"
    main(["calibrate", str(tmp_path / "model.keras"), "--data",
          str(tmp_path / "held_out.csv"), "--tasks", "race",
          "--strength", "1", "--out", str(prior)])
    assert "race: {'strength': 1.0, 'counts':" in capsys.readouterr().out
    # Its report says how race now decides.
    main(["evaluate", str(prior), "--data", str(tmp_path / "held_out.csv"),
          "--gradcam-faces", "0", "--out", str(tmp_path / "report")])
    intro = (tmp_path / "report" / "report.md").read_text().splitlines()[2]
    assert "Calibrated: race adds class offsets to its logits (" in intro
    assert "action_units decides" not in intro  # not calibrated here
    counts = np.bincount(faces.labels["race"], minlength=5) + 1.0
    np.testing.assert_allclose(
        find_task(load_dmtl_model(str(prior)).tasks, "race").class_offsets,
        -np.log(counts / counts.sum()), rtol=1e-5)
    main(["calibrate", str(tmp_path / "model.keras"), "--data",
          str(tmp_path / "held_out.csv"), "--tasks", "age",
          "--out", str(tmp_path / "age.keras")])  # ordinal: nothing to run
    assert "age: nothing to tune" in capsys.readouterr().out
    for bad, message in (
            (["--tasks", "action_units", "--strength", "1"],
             "chooses its label thresholds"),
            (["--strength", "-0.5"], "at least 0"),
            (["--strength", "nan"], "--strength nan: the offsets'")):
        with pytest.raises(SystemExit, match=message):
            main(["calibrate", str(tmp_path / "model.keras"), "--data",
                  str(tmp_path / "held_out.csv"), "--out",
                  str(tmp_path / "fourth.keras"), *bad])
    with pytest.raises(SystemExit):  # argparse: not both
        main(["calibrate", str(tmp_path / "model.keras"), "--data",
              str(tmp_path / "held_out.csv"), "--strength", "1",
              "--min-recall", "0.3", "--out", str(tmp_path / "fifth.keras")])
    assert "not allowed with argument" in capsys.readouterr().err
    assert not (tmp_path / "fourth.keras").exists()
