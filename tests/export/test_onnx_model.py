import json
import os

import numpy as np
import pytest

from keras_dmtl.export import export_model
from keras_dmtl.export import load_artifact
from tests.export.conftest import small_model


def test_one_image_input_named_outputs_and_a_dynamic_batch(exports):
    import onnx

    out, _ = exports
    proto = onnx.load(os.path.join(out, "model.onnx"))
    info = json.loads({p.key: p.value
                       for p in proto.metadata_props}["keras_dmtl"])
    assert [i.name for i in proto.graph.input] == ["image"]
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["batch", 32, 32, 3]
    assert sorted(o.name for o in proto.graph.output) == sorted(
        info["outputs"])
    assert {o.type.tensor_type.shape.dim[0].dim_param
            for o in proto.graph.output} == {"batch"}
    assert [o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")
            ] == [13]
    runtime = load_artifact(os.path.join(out, "model.onnx"))
    images = np.random.RandomState(0).uniform(0, 255, (5, 32, 32, 3))
    one = runtime.run_batch(images[:1].astype("float32"))
    five = runtime.run_batch(images.astype("float32"))
    np.testing.assert_allclose(one["gender_probabilities"],
                               five["gender_probabilities"][:1], atol=1e-5)


@pytest.mark.slow  # 30 s; MobileNetV2's ONNX export runs by default
def test_efficientnet_exports_without_normalisation_inputs(tmp_path):
    import onnx

    model = small_model("efficientnet_b0")
    result = export_model(model, "onnx", str(tmp_path), parity_images=8,
                          opset=17)
    proto = onnx.load(result.artifacts[0])
    assert [i.name for i in proto.graph.input] == ["image"]
    assert [o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")
            ] == [17]
    report = result.reports[result.artifacts[0]]
    assert all(t["disagreements"] == 0 for t in report["tasks"].values())
