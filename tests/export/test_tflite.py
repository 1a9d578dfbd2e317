import os

import numpy as np
import pytest

from keras_dmtl.export import load_artifact
from keras_dmtl.export import write_tflite


def _tensor_types(path):
    from ai_edge_litert.interpreter import Interpreter

    details = Interpreter(model_path=path).get_tensor_details()
    return {np.dtype(d["dtype"]).name for d in details}


def test_each_precision_stores_what_it_says(exports):
    out, _ = exports
    types = {p: _tensor_types(os.path.join(out, f"model_{p}.tflite"))
             for p in ["fp32", "fp16", "dynamic_int8", "int8"]}
    assert "int8" not in types["fp32"] and "float16" not in types["fp32"]
    assert "float16" in types["fp16"]
    assert "int8" in types["dynamic_int8"]
    assert "int8" in types["int8"]


def test_mixed_int8_keeps_the_heads_in_float_and_the_trunk_in_int8(exports):
    from ai_edge_litert.interpreter import Interpreter

    out, _ = exports
    details = Interpreter(model_path=os.path.join(
        out, "model_int8_mixed.tflite")).get_tensor_details()
    kinds = {}
    for d in details:
        where = ("head" if "_head" in d["name"] else
                 "trunk" if "trunk" in d["name"] else None)
        if where:
            kinds.setdefault(where, set()).add(np.dtype(d["dtype"]).name)
    assert "int8" in kinds["trunk"]
    assert "float32" in kinds["head"] and "int8" not in kinds["head"]


def test_16x8_model_has_16_bit_activations(exports):
    out, _ = exports
    assert "int16" in _tensor_types(os.path.join(out, "model_int16x8.tflite"))


def test_full_integer_model_counts_ordinal_ranks_exactly(exports):
    from ai_edge_litert.interpreter import Interpreter

    out, _ = exports
    details = Interpreter(
        model_path=os.path.join(out, "model_int8.tflite")).get_tensor_details()
    counts = [np.dtype(d["dtype"]).name for d in details
              if d["name"].startswith("Sum")]
    # One "thresholds passed" count per ordinal task (age, age_group), in
    # int32: a float count would be quantized to int8 steps and move ages.
    assert counts == ["int32", "int32"]


def test_full_integer_model_keeps_float_input_and_outputs(exports):
    out, _ = exports
    runtime = load_artifact(os.path.join(out, "model_int8.tflite"),
                            num_threads=2)
    details = runtime.runner.get_input_details()["image"]
    assert np.dtype(details["dtype"]) == np.float32
    for batch in (1, 5):
        images = np.random.RandomState(batch).uniform(0, 255,
                                                      (batch, 32, 32, 3))
        outputs = runtime.predict(images)
        assert outputs["age"].shape == (batch,)
        assert outputs["age_probabilities"].shape == (batch, 116)
        assert outputs["race_probabilities"].shape == (batch, 5)
        np.testing.assert_allclose(outputs["race_probabilities"].sum(-1), 1,
                                   atol=0.02)


def test_unknown_precision_and_missing_calibration_are_refused(tmp_path):
    with pytest.raises(ValueError, match="one of"):
        write_tflite("unused", str(tmp_path / "m.tflite"), "int4")
    with pytest.raises(ValueError, match="needs calibration images"):
        write_tflite("unused", str(tmp_path / "m.tflite"), "int8")


def test_mixed_int8_can_keep_kinds_of_operator_in_float(exports, face_folder,
                                                         tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    from keras_dmtl.export import sample_images
    from tests.export.conftest import IMAGE_SIZE

    out, _ = exports
    saved_model = os.path.join(out, "saved_model")
    faces, _ = sample_images(face_folder, IMAGE_SIZE, 16)
    # Depthwise convolutions in float, everything else, heads included
    # (the default int8_mixed keeps those in float), in int8.
    path = write_tflite(saved_model, str(tmp_path / "m.tflite"), "int8_mixed",
                        faces, float_ops=["DEPTHWISE_CONV_2D"])
    interpreter = Interpreter(model_path=path)
    tensors = interpreter.get_tensor_details()
    heads = {np.dtype(d["dtype"]).name for d in tensors
             if "_head" in d["name"]}
    assert "int8" in heads and "float32" not in heads
    depthwise = [np.dtype(tensors[op["outputs"][0]]["dtype"]).name
                 for op in interpreter._get_ops_details()
                 if op["op_name"] == "DEPTHWISE_CONV_2D"]
    assert depthwise and set(depthwise) == {"float32"}
    with pytest.raises(ValueError, match="apply to int8_mixed only"):
        write_tflite(saved_model, str(tmp_path / "n.tflite"), "int8", faces,
                     float_ops=["ADD"])
    assert not (tmp_path / "n.tflite").exists()
