"""ONNX through tf2onnx, shaped for ONNX Runtime and TensorRT parsers."""

import json

from keras_dmtl.export.serving import IMAGE_INPUT

DEFAULT_OPSET = 13
"""ONNX opset 13: the newest that the TensorRT 8.x of JetPack 4 (Jetson
TX2, Nano) parses, and ample for these networks."""


def write_onnx(saved_model, path, info, opset=DEFAULT_OPSET):
    """Converts a keras-dmtl SavedModel's `serving_default` to ONNX.

    The variables are frozen into initializers, so the file has exactly one
    input, `image` (float32 `(batch, H, W, 3)`, RGB in 0..255); the batch
    dimension is named `batch` on the input and every output; the outputs
    carry the signature's names (`<task>`, `<task>_probabilities`). The
    model info is stored in the file's metadata under `keras_dmtl`.

    Args:
        saved_model: a SavedModel folder from `write_saved_model`.
        path: the `.onnx` file to write.
        info: the model info (from `model_info`).
        opset: int, the ONNX opset.

    Returns:
        `path`.

    Raises:
        ValueError: if the converted graph has other inputs than the image
            or misses an output.
    """
    import onnx
    from tf2onnx import convert
    from tf2onnx import tf_loader

    graph, inputs, outputs, tables, renames = tf_loader.from_saved_model(
        saved_model, None, None, tag="serve", signatures=["serving_default"],
        return_initialized_tables=True, return_tensors_to_rename=True)
    proto, _ = convert._convert_common(
        graph, name="keras_dmtl", opset=int(opset), input_names=inputs,
        output_names=outputs, tensors_to_rename=renames,
        initialized_tables=tables)
    names = [i.name for i in proto.graph.input]
    if names != [IMAGE_INPUT]:
        raise ValueError(f"the ONNX graph has inputs {names}; expected only "
                         f"'{IMAGE_INPUT}'")
    missing = set(info["outputs"]) - {o.name for o in proto.graph.output}
    if missing:
        raise ValueError(f"the ONNX graph lacks outputs {sorted(missing)}")
    for value in list(proto.graph.input) + list(proto.graph.output):
        value.type.tensor_type.shape.dim[0].dim_param = "batch"
    entry = proto.metadata_props.add()
    entry.key, entry.value = "keras_dmtl", json.dumps(info)
    proto.producer_name = "keras-dmtl (tf2onnx)"
    onnx.checker.check_model(proto)
    onnx.save(proto, path)
    return path
