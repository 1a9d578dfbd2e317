import os

import pytest

from keras_dmtl.cli import main


def test_export_prints_each_artifact_and_its_parity(model_file, face_folder,
                                                    tmp_path, capsys):
    out = str(tmp_path / "jetson")
    main(["export", model_file, "--format", "tensorrt", "--precision", "fp16",
          "--out", out, "--data", face_folder, "--parity-images", "16"])
    printed = capsys.readouterr().out
    assert f"{os.path.join(out, 'model.onnx')} (" in printed
    assert "parity on 16 images from" in printed
    assert "gender: 100.00% agree with Keras (same class)" in printed
    assert os.path.isfile(os.path.join(out, "build_engine_fp16.sh"))


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
