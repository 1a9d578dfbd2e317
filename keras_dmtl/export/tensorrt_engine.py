"""Builds, calibrates and checks TensorRT engines from a keras-dmtl ONNX file.

Engines are specific to the GPU and TensorRT version they are built on, so
`keras-dmtl export --format tensorrt` copies this file beside the ONNX file
as `build_engine.py`, to run on the target (a Jetson, a server):

    python3 build_engine.py calibrate   # int8 only: writes calibration.cache
    python3 build_engine.py build --precision fp16
    python3 build_engine.py check model_fp16.engine --precision fp16

It needs only NumPy, the TensorRT Python package (JetPack ships it) and
either cuda-python or PyCUDA, and works with TensorRT 8.0 to 10. `check`
runs the engine on the exported parity images and compares it with the
Keras model's outputs on them (`parity_reference.npz`), writing
`<engine>.parity.json`, as every keras-dmtl export does; it reads the
tasks with the `parity.py` and the minimal `keras_dmtl/` (task classes
only, no Keras) that the export writes beside this file.
"""

import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
INPUT = "image"


def tensorrt_available():
    """Whether the TensorRT Python package and a CUDA GPU are usable here."""
    try:
        import tensorrt  # noqa: F401

        _Device()
    except Exception:
        return False
    return True


class _Device:
    """Device memory through cuda-python or PyCUDA, whichever is installed."""

    def __init__(self):
        try:
            try:
                from cuda.bindings import runtime as cudart
            except ImportError:
                from cuda import cudart
            self.cudart, self.pycuda = cudart, None
            self._check(cudart.cudaFree(0))
        except ImportError:
            import pycuda.autoinit  # noqa: F401
            import pycuda.driver

            self.cudart, self.pycuda = None, pycuda.driver

    @staticmethod
    def _check(result):
        error = result[0]
        if int(error) != 0:
            raise RuntimeError(f"CUDA error {error}")
        return result[1] if len(result) > 1 else None

    def malloc(self, nbytes):
        if self.pycuda:
            return self.pycuda.mem_alloc(max(int(nbytes), 1))
        return self._check(self.cudart.cudaMalloc(max(int(nbytes), 1)))

    def to_device(self, pointer, array):
        array = np.ascontiguousarray(array)
        if self.pycuda:
            self.pycuda.memcpy_htod(pointer, array)
        else:
            kind = self.cudart.cudaMemcpyKind.cudaMemcpyHostToDevice
            self._check(self.cudart.cudaMemcpy(pointer, array.ctypes.data,
                                               array.nbytes, kind))

    def to_host(self, array, pointer):
        if self.pycuda:
            self.pycuda.memcpy_dtoh(array, pointer)
        else:
            kind = self.cudart.cudaMemcpyKind.cudaMemcpyDeviceToHost
            self._check(self.cudart.cudaMemcpy(array.ctypes.data, pointer,
                                               array.nbytes, kind))

    def free(self, pointer):
        if self.pycuda:
            pointer.free()
        else:
            self.cudart.cudaFree(pointer)


def _trt_dtype(trt, dtype):
    return np.dtype(trt.nptype(dtype))


class EngineRunner:
    """Runs a serialized engine on float32 image batches.

    Args:
        path: the engine file.

    Example:

    ```python
    runner = EngineRunner("model_fp16.engine")
    outputs = runner.run(images)  # {"age": ..., "age_probabilities": ...}
    ```
    """

    def __init__(self, path):
        import tensorrt as trt

        self.trt = trt
        self.device = _Device()
        logger = trt.Logger(trt.Logger.WARNING)
        with open(path, "rb") as file:
            self.engine = trt.Runtime(logger).deserialize_cuda_engine(
                file.read())
        if self.engine is None:
            raise ValueError(f"{path}: TensorRT could not deserialize it "
                             "(built for another GPU or TensorRT version?)")
        self.context = self.engine.create_execution_context()
        self.named = hasattr(self.engine, "num_io_tensors")  # TensorRT >= 8.5
        if self.named:
            self.names = [self.engine.get_tensor_name(i)
                          for i in range(self.engine.num_io_tensors)]
        else:
            self.names = [self.engine.get_binding_name(i)
                          for i in range(self.engine.num_bindings)]

    def _is_input(self, name):
        if self.named:
            return (self.engine.get_tensor_mode(name)
                    == self.trt.TensorIOMode.INPUT)
        return self.engine.binding_is_input(self.names.index(name))

    def _dtype(self, name):
        if self.named:
            return _trt_dtype(self.trt, self.engine.get_tensor_dtype(name))
        return _trt_dtype(self.trt, self.engine.get_binding_dtype(
            self.names.index(name)))

    def run(self, images):
        images = np.ascontiguousarray(images, dtype="float32")
        if self.named:
            self.context.set_input_shape(INPUT, images.shape)
        else:
            self.context.set_binding_shape(self.names.index(INPUT),
                                           images.shape)
        buffers, outputs = [], {}
        try:
            for name in self.names:
                if self._is_input(name):
                    pointer = self.device.malloc(images.nbytes)
                    self.device.to_device(pointer, images)
                else:
                    shape = tuple(self.context.get_tensor_shape(name)
                                  if self.named else
                                  self.context.get_binding_shape(
                                      self.names.index(name)))
                    outputs[name] = np.empty(shape, self._dtype(name))
                    pointer = self.device.malloc(outputs[name].nbytes)
                buffers.append(pointer)
            if not self.context.execute_v2([int(b) for b in buffers]):
                raise RuntimeError("TensorRT execution failed")
            for name, pointer in zip(self.names, buffers):
                if name in outputs:
                    self.device.to_host(outputs[name], pointer)
        finally:
            for pointer in buffers:
                self.device.free(pointer)
        return outputs


def _progress(iterable, description):
    """A progress bar where keras-dmtl is installed (`keras_dmtl.progress`).

    On the device, beside the export's minimal `keras_dmtl/` (task classes
    only), there is none, and `iterable` is returned.
    """
    try:
        from keras_dmtl.progress import progress
    except ImportError:
        return iterable
    return progress(iterable, description=description, unit="batch")


def _calibrator(trt, device, images, batch_size, cache):
    class Calibrator(trt.IInt8EntropyCalibrator2):
        def __init__(self):
            super().__init__()
            self.starts = None  # batch starts, made on the first batch
            self.pointer = device.malloc(
                batch_size * int(np.prod(images.shape[1:])) * 4)

        def get_batch_size(self):
            return batch_size

        def get_batch(self, names):
            if self.starts is None:
                self.starts = iter(_progress(
                    range(0, len(images) - batch_size + 1, batch_size),
                    "Calibrating int8"))
            start = next(self.starts, None)
            if start is None:
                return None
            batch = images[start:start + batch_size]
            device.to_device(self.pointer, batch.astype("float32"))
            return [int(self.pointer)]

        def read_calibration_cache(self):
            if os.path.isfile(cache):
                with open(cache, "rb") as file:
                    return file.read()
            return None

        def write_calibration_cache(self, data):
            with open(cache, "wb") as file:
                file.write(data)

    return Calibrator()


def build_engine(onnx_path, engine_path, precision="fp16", max_batch=32,
                 calibration=None, cache=None, workspace_mb=1024):
    """Builds and writes a serialized engine with a dynamic batch.

    Args:
        onnx_path: the keras-dmtl ONNX file.
        engine_path: the engine file to write.
        precision: `fp32`, `fp16` or `int8` (int8 also allows fp16 layers).
        max_batch: int, the largest batch of the optimisation profile
            (batches 1..max_batch, tuned for 1).
        calibration: float32 images `(n, H, W, 3)` for int8, unless `cache`
            already holds a calibration cache.
        cache: the calibration cache file, read if present, else written.
        workspace_mb: int, the builder's scratch memory.
    """
    import tensorrt as trt

    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    flags = 0
    if int(trt.__version__.split(".")[0]) < 10:
        flags = 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    with open(onnx_path, "rb") as file:
        if not parser.parse(file.read()):
            errors = [str(parser.get_error(i)) for i in range(parser.num_errors)]
            raise ValueError(f"{onnx_path}: TensorRT cannot parse it: "
                             + "; ".join(errors))
    config = builder.create_builder_config()
    if hasattr(config, "set_memory_pool_limit"):
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE,
                                     workspace_mb << 20)
    else:
        config.max_workspace_size = workspace_mb << 20
    shape = tuple(network.get_input(0).shape)[1:]
    profile = builder.create_optimization_profile()
    profile.set_shape(INPUT, (1,) + shape, (1,) + shape, (max_batch,) + shape)
    config.add_optimization_profile(profile)
    if precision in ("fp16", "int8"):
        config.set_flag(trt.BuilderFlag.FP16)
    if precision == "int8":
        config.set_flag(trt.BuilderFlag.INT8)
        if calibration is None and not (cache and os.path.isfile(cache)):
            raise ValueError("int8 needs calibration images or a cache")
        images = (np.zeros((0,) + shape, "float32") if calibration is None
                  else np.asarray(calibration, "float32"))
        config.int8_calibrator = _calibrator(
            trt, _Device(), images, min(8, max(len(images), 1)), cache)
        if hasattr(config, "set_calibration_profile"):
            config.set_calibration_profile(profile)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise RuntimeError(f"TensorRT could not build an engine from "
                           f"{onnx_path}")
    temporary = f"{engine_path}.{os.getpid()}.tmp"
    with open(temporary, "wb") as file:
        file.write(serialized)
    os.replace(temporary, engine_path)
    return engine_path


def _parity():
    """The parity module: keras-dmtl's, or the copy beside this file."""
    try:
        from keras_dmtl.export import parity
    except ImportError:  # on the device, beside parity.py and keras_dmtl/
        if HERE not in sys.path:
            sys.path.insert(0, HERE)
        import parity
    return parity


def check_engine(engine_path, images, reference, info, precision,
                 batch_size=8):
    """Runs an engine on the parity images and writes its parity JSON.

    Args:
        engine_path: the engine file.
        images: float32 `(n, H, W, 3)`, the parity images.
        reference: the Keras model's outputs on them.
        info: the model info (`model_info.json`), whose tasks say how
            answers agree.
        precision: the engine's precision, which sets the bar.
        batch_size: int.

    Returns:
        The parity report.
    """
    parity = _parity()
    runner = EngineRunner(engine_path)
    parts = [runner.run(images[i:i + batch_size])
             for i in _progress(range(0, len(images), batch_size),
                                f"Parity of {os.path.basename(engine_path)}")]
    outputs = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    report = parity.parity_report(info["tasks"], reference, outputs,
                                  precision)
    report.update({"artifact": os.path.basename(engine_path),
                   "runtime": "tensorrt"})
    parity.write_parity(report, f"{engine_path}.parity.json")
    if not report["passed"]:
        raise SystemExit(parity.failure_message(report, engine_path))
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["calibrate", "build", "check"])
    parser.add_argument("engine", nargs="?",
                        help="engine file (default: model_<precision>.engine)")
    parser.add_argument("--onnx", default=os.path.join(HERE, "model.onnx"))
    parser.add_argument("--precision", default="fp16",
                        choices=["fp32", "fp16", "int8"])
    parser.add_argument("--max-batch", type=int, default=32)
    parser.add_argument("--calibration",
                        default=os.path.join(HERE, "calibration_images.npy"))
    parser.add_argument("--cache",
                        default=os.path.join(HERE, "calibration.cache"))
    args = parser.parse_args(argv)
    engine = args.engine or os.path.join(
        HERE, f"model_{args.precision}.engine")
    if args.action == "calibrate":
        args.precision = "int8"
    if args.action in ("calibrate", "build"):
        calibration = None
        if args.precision == "int8" and os.path.isfile(args.calibration):
            calibration = np.load(args.calibration).astype("float32")
        build_engine(args.onnx, engine, args.precision, args.max_batch,
                     calibration, args.cache)
        print(f"wrote {engine}" + (f" and {args.cache}"
                                   if args.precision == "int8" else ""))
    if args.action in ("build", "check"):
        with open(os.path.join(HERE, "model_info.json")) as file:
            info = json.load(file)
        images = np.load(os.path.join(HERE, "parity_images.npy"))
        with np.load(os.path.join(HERE, "parity_reference.npz")) as data:
            reference = {k: data[k] for k in data.files}
        report = check_engine(engine, images.astype("float32"), reference,
                              info, args.precision)
        for name, task in report["tasks"].items():
            print(f"{name}: {task['agreement']:.2%} agreement with Keras, "
                  f"{_parity().difference_text(task)}")


if __name__ == "__main__":
    main()
