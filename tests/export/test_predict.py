import json
import os

import pytest

from keras_dmtl.cli import main
from keras_dmtl.export.predict import predict_files
from tests.conftest import shared_path
from tests.conftest import write_bad_files

FLOAT_ARTIFACTS = ["saved_model", "model_fp32.tflite", "model.onnx"]


def _labels(records):
    return [{k: v.get("label") for k, v in r["attributes"].items()}
            for r in records]


def test_aligned_faces_get_the_same_answers_from_every_artifact(
        exports, model_file, face_folder, tmp_path):
    out, _ = exports
    folder = tmp_path / "faces"
    folder.mkdir()
    for name in sorted(os.listdir(face_folder))[:6]:
        os.link(os.path.join(face_folder, name), folder / name)
    write_bad_files(folder, ["empty.jpg", "cut.jpg", "notes.png"])
    records, summary = predict_files([str(folder)], model_file, aligned=True)
    assert len(records) == 6
    assert records[0]["box"] == [0, 0, 48, 48]
    assert "3 unreadable file(s) skipped" in summary
    assert "empty.jpg: empty file (0 bytes)" in summary
    for name in FLOAT_ARTIFACTS:
        others, _ = predict_files([str(folder)], os.path.join(out, name),
                                  aligned=True)
        assert _labels(others) == _labels(records), name


def test_cli_prints_one_json_line_per_face(exports, face_folder, capsys):
    out, _ = exports
    image = os.path.join(face_folder, sorted(os.listdir(face_folder))[0])
    main(["predict", image, image, "--aligned", "--model",
          os.path.join(out, "model_int8.tflite")])
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert len(lines) == 2
    record = json.loads(lines[0])
    assert record["image"] == image and record["face"] == 0
    assert set(record["attributes"]) == {"age", "age_group", "gender", "race"}
    assert isinstance(record["attributes"]["age"]["value"], int)
    assert "2 face(s) in 2 image(s) with tflite" in captured.err


def test_cli_names_a_missing_image_or_artifact(exports, tmp_path):
    out, _ = exports
    with pytest.raises(SystemExit, match="image not found: .*nope.jpg"):
        main(["predict", str(tmp_path / "nope.jpg"), "--model",
              os.path.join(out, "model.onnx")])
    with pytest.raises(SystemExit, match="model artifact not found"):
        main(["predict", str(tmp_path), "--model", str(tmp_path / "m.onnx")])


@pytest.mark.shared
def test_faces_in_a_real_photo_are_found_aligned_and_described(exports,
                                                               model_file):
    photo = shared_path("photos", "astronaut.png")
    out, _ = exports
    by_artifact = {}
    for artifact in [model_file] + [os.path.join(out, n)
                                    for n in FLOAT_ARTIFACTS]:
        records, summary = predict_files([photo], artifact)
        assert len(records) == 1, summary
        x, y, width, height = records[0]["box"]
        assert width > 50 and height > 50 and x >= 0 and y >= 0
        assert records[0]["confidence"] > 0.9
        by_artifact[artifact] = _labels(records)
    assert len({json.dumps(v) for v in by_artifact.values()}) == 1


def test_no_image_or_no_readable_image_is_a_clear_error(exports, tmp_path):
    out, _ = exports
    model = os.path.join(out, "model_fp32.tflite")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not an image")
    with pytest.raises(ValueError, match="no image files \\(ending in .jpg"):
        predict_files([str(empty)], model)
    bad = tmp_path / "bad"
    write_bad_files(bad, ["a.jpg", "b.jpg", "c.png"])
    with pytest.raises(ValueError, match="no readable image: .*a.jpg: empty "
                                         "file \\(0 bytes\\)"):
        predict_files([str(bad)], model, aligned=True)
