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
    assert "3 file(s) skipped: 3 unreadable" in summary
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
    with pytest.raises(ValueError, match="no usable image: .*a.jpg: empty "
                                         "file \\(0 bytes\\)"):
        predict_files([str(bad)], model, aligned=True)
    with pytest.raises(ValueError, match="no image files .*; 1 other file"):
        predict_files([str(empty)], model)


def test_other_files_and_images_too_small_for_a_face_are_counted(
        exports, face_folder, tmp_path):
    from tests.conftest import write_image

    out, _ = exports
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in sorted(os.listdir(face_folder))[:2]:
        os.link(os.path.join(face_folder, name), folder / name)
    (folder / "notes.txt").write_text("not an image")
    (folder / "sub").mkdir()
    (folder / "sub" / "face.xmp").write_text("<x:xmpmeta/>")
    write_image(str(folder / "dot.png"), size=(1, 1))
    write_image(str(folder / "strip.png"), size=(15, 200))
    write_image(str(folder / "small.png"), size=(16, 16))
    write_bad_files(folder, ["cut.jpg", "empty.jpg", "text.png"])
    records, summary = predict_files([str(folder)],
                                     os.path.join(out, "model.onnx"),
                                     aligned=True)
    assert [os.path.basename(r["image"]) for r in records] == [
        "face_000.png", "face_001.png", "small.png"]
    first = summary.splitlines()[0]
    assert first.endswith("; 7 file(s) skipped: 2 not images, 3 unreadable, "
                          "2 too small"), first
    assert first.startswith("3 face(s) in 3 image(s) with onnxruntime")
    assert f"{folder / 'notes.txt'}: not an image" in summary
    assert f"{folder / 'sub' / 'face.xmp'}: not an image" in summary
    assert (f"{folder / 'dot.png'}: 1x1 pixels, too small for a face (under "
            "16 on the short side)") in summary
    assert f"{folder / 'strip.png'}: 15x200 pixels, too small" in summary
    (folder / "face_000.png").unlink()
    (folder / "face_001.png").unlink()
    (folder / "small.png").unlink()
    with pytest.raises(ValueError, match="no usable image: .*dot.png: 1x1 "
                                         "pixels, too small"):
        predict_files([str(folder)], os.path.join(out, "model.onnx"),
                      aligned=True)


def _artifact_folder(exports, tmp_path, onnx=None, info=None):
    """A copy of the exported model.onnx and model_info.json, with either
    replaced by the given bytes or text."""
    out, _ = exports
    folder = tmp_path / "artifact"
    folder.mkdir()
    if onnx is None:
        os.link(os.path.join(out, "model.onnx"), folder / "model.onnx")
    else:
        (folder / "model.onnx").write_bytes(onnx)
    if info is None:
        os.link(os.path.join(out, "model_info.json"),
                folder / "model_info.json")
    else:
        (folder / "model_info.json").write_text(info)
    return folder


def _exported_info(exports, **changes):
    out, _ = exports
    with open(os.path.join(out, "model_info.json")) as file:
        info = json.load(file)
    for key, value in changes.items():
        if value is None:
            del info[key]
        else:
            info[key] = value
    return json.dumps(info)


def _predict_error(folder, face_folder):
    image = os.path.join(face_folder, sorted(os.listdir(face_folder))[0])
    with pytest.raises(SystemExit) as error:
        main(["predict", image, "--aligned", "--model",
              str(folder / "model.onnx")])
    return error.value.code


def test_a_corrupt_onnx_file_is_a_one_line_error(exports, face_folder,
                                                 tmp_path):
    folder = _artifact_folder(exports, tmp_path,
                              onnx=os.urandom(4096) + b"\xff" * 64)
    message = _predict_error(folder, face_folder)
    assert message.startswith(f"keras-dmtl predict: {folder / 'model.onnx'}: "
                              "not a loadable ONNX model (")
    assert "\n" not in message


@pytest.mark.parametrize("case, message", [
    ("not_json", "model_info.json: not valid JSON ("),
    ("not_utf8", "model_info.json: not valid JSON ('utf-8' codec"),
    ("no_tasks", "model_info.json: field 'tasks' is missing; expected a "
                 "list of task entries"),
    ("size_text", "model_info.json: field 'image_size' is '32'; expected a "
                  "positive whole number"),
    ("other_size", "model.onnx takes images of shape (n, 32, 32, 3), but "
                   "{info} has field 'image_size' 64: that model_info.json "
                   "belongs to another model"),
    ("task_entry", "model_info.json: field 'tasks[0]' is 'age', not an "
                   "object"),
    ("other_tasks", "model.onnx gives no output 'mood', which field 'tasks' "
                    "of {info} calls for"),
])
def test_a_malformed_model_info_is_a_one_line_error(case, message, exports,
                                                    face_folder, tmp_path):
    from keras_dmtl import NominalTask

    info = {
        "not_json": lambda: "{not json",
        "not_utf8": lambda: None,
        "no_tasks": lambda: _exported_info(exports, tasks=None),
        "size_text": lambda: _exported_info(exports, image_size="32"),
        "other_size": lambda: _exported_info(exports, image_size=64),
        "task_entry": lambda: _exported_info(exports, tasks=["age"]),
        "other_tasks": lambda: _exported_info(exports, tasks=[
            NominalTask("mood", ["calm", "cross"]).describe()]),
    }[case]()
    folder = _artifact_folder(exports, tmp_path, info=info or "")
    if case == "not_utf8":
        (folder / "model_info.json").write_bytes(b"\xff\xfe{}")
    got = _predict_error(folder, face_folder)
    assert got.startswith("keras-dmtl predict: ")
    assert message.format(info=folder / "model_info.json") in got
    assert "\n" not in got
