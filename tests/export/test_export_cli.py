import os

import pytest

from keras_dmtl.cli import main


def test_export_checks_on_the_run_test_set_by_default(model_file, face_folder,
                                                      tmp_path, capsys):
    import shutil

    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(model_file, run / "model.keras")
    images = sorted(os.listdir(face_folder))[:12]
    with open(run / "test_set.csv", "w") as file:
        file.write("image,age\n" + "".join(
            f"{os.path.join(face_folder, name)},30\n" for name in images))
    out = str(tmp_path / "onnx")
    main(["export", str(run / "model.keras"), "--format", "onnx", "--out",
          out])
    printed = capsys.readouterr().out
    assert f"{os.path.join(out, 'model.onnx')} (" in printed
    assert f"parity on 12 images from {run / 'test_set.csv'}" in printed
    assert "gender: 100.00% agree with Keras (same class)" in printed


@pytest.mark.parametrize("args, message", [
    (["--format", "tflite", "--precision", "int4"],
     "keras-dmtl export: precision 'int4' is not available for tflite"),
    (["--format", "savedmodel", "--precision", "fp16"],
     "precision 'fp16' is not available for savedmodel; choose one of "
     "['fp32']"),
])
def test_export_refuses_bad_options_before_writing(args, message, model_file,
                                                   tmp_path):
    out = tmp_path / "out"
    with pytest.raises(SystemExit, match=message.replace("[", r"\[")):
        main(["export", model_file, "--out", str(out)] + args)
    assert not out.exists()
