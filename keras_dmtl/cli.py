"""The `keras-dmtl` command.

Bad input never ends in a Python traceback: whatever a command raises
becomes one line, `keras-dmtl <command>: <message>`, on stderr and exit
status 1 (130 for an interrupt, Ctrl-C). `--debug` (before or after the
command's name) lets the exception through, with its traceback.
Long operations show progress bars when stderr is a terminal; `--quiet`,
before or after the command's name, turns them off.
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # quiet TensorFlow start-up

from keras_dmtl.command_errors import run_guarded  # noqa: E402
from keras_dmtl.data.any_format import FORMATS as DATA_FORMATS  # noqa: E402
from keras_dmtl.progress import set_quiet  # noqa: E402
from keras_dmtl.recipes import RECIPES  # noqa: E402
from keras_dmtl.serve.serve_command import add_serve_arguments  # noqa: E402
from keras_dmtl.serve.users_command import add_users_arguments  # noqa: E402
from keras_dmtl.watch.test_video_command import add_test_video_arguments  # noqa: E402,E501
from keras_dmtl.watch.watch_command import add_watch_arguments  # noqa: E402



def _train(args):
    from keras_dmtl.recipes import get_recipe

    recipe = get_recipe(args.recipe)
    recipe.start(recipe.parse(args.recipe_args))


def _bundle(args):
    from keras_dmtl.export import BUNDLES

    bundle = BUNDLES[args.kind]
    bundle.start(bundle.parser().parse_args(args.bundle_args))


def _evaluate(args):
    from keras_dmtl.data.any_format import read_any
    from keras_dmtl.evaluation.report import evaluate_model
    from keras_dmtl.models.load_model import load_dmtl_model

    model = load_dmtl_model(args.model, args.test_time_flip)
    examples = read_any(args.data, model.tasks, args.format, args.split,
                        args.fold, strict=args.strict)
    print(examples.summary())
    history = args.history
    if history is None:
        beside = os.path.join(os.path.dirname(os.path.abspath(args.model)),
                              "history.csv")
        history = beside if os.path.isfile(beside) else None
    metrics = evaluate_model(model, examples, args.out, history=history,
                             batch_size=args.batch_size,
                             gradcam_faces=args.gradcam_faces)
    print(metrics.to_string(index=False))
    print(f"Report written to {os.path.join(args.out, 'report.md')} and "
          "report.html")


def _calibrate(args):
    from keras_dmtl.atomic_files import atomic_path
    from keras_dmtl.data.any_format import read_any
    from keras_dmtl.evaluation import calibrate_model
    from keras_dmtl.models.load_model import load_dmtl_model

    _check_new_model_file(args.out, "calibrate")
    if args.min_recall is not None and not 0 <= args.min_recall <= 1:
        raise ValueError(f"--min-recall {args.min_recall}: a recall lies "
                         "between 0 and 1")
    if args.strength is not None and not 0 <= args.strength < float("inf"):
        raise ValueError(f"--strength {args.strength}: the offsets' "
                         "strength is a number of at least 0")
    model = load_dmtl_model(args.model, args.test_time_flip)
    examples = read_any(args.data, model.tasks, args.format, args.split,
                        args.fold, strict=args.strict)
    print(examples.summary())
    options = {key: value for key, value in (
        ("min_recall", args.min_recall), ("strength", args.strength))
        if value is not None}
    changes = calibrate_model(model, examples, args.tasks, args.batch_size,
                              options)
    for name, changed in changes.items():
        print(f"{name}: {changed if changed else 'nothing to tune'}")
    with atomic_path(args.out) as temporary:
        model.save(temporary)
    print(f"Calibrated model written to {args.out}")


def _check_new_model_file(out, command):
    """Refuses an `--out` model file that exists or cannot be written."""
    if os.path.lexists(out):
        raise ValueError(f"{out} exists; {command} writes a new model "
                         "file and replaces none")
    if not out.endswith(".keras"):
        raise ValueError(f"--out {out}: the model file must end in .keras")
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise ValueError(f"--out {out}: no folder {folder}")


def _quantize(args):
    from keras_dmtl.atomic_files import atomic_path
    from keras_dmtl.export.export_model import default_image_source
    from keras_dmtl.export.images import sample_images
    from keras_dmtl.models import quantization_aware_model
    from keras_dmtl.models.load_model import load_dmtl_model
    from keras_dmtl.models.quantization_aware import check_quantizable

    _check_new_model_file(args.out, "quantize")
    for name in ("images", "batch_size"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} "
                             f"{getattr(args, name)}: at least 1")
    model = load_dmtl_model(args.model)
    try:
        check_quantizable(model)
    except ValueError as error:
        raise ValueError(f"{args.model}: {error}") from None
    data = args.data or default_image_source(args.model)
    if data is None:
        raise ValueError(f"{args.model}: no test_set.csv beside it; give "
                         "--data, faces like those the model will see")
    # After the first 200 faces of the same shuffle: the ones `export`
    # checks parity on by default.
    images, source = sample_images(data, model.image_size, args.images,
                                   offset=200)
    print(f"int8 ranges measured on {source}")
    aware = quantization_aware_model(model, images, args.batch_size)
    with atomic_path(args.out) as temporary:
        aware.save(temporary)
    print(f"Quantization-aware model written to {args.out}; fine-tune it "
          "with `keras-dmtl train RECIPE --start-from` (optional), export "
          "it with `keras-dmtl export ... --format tflite --precision int8`")


def _compare(args):
    from keras_dmtl.evaluation.compare import compare_runs
    from keras_dmtl.evaluation.compare import write_comparison

    runs, settings = compare_runs(args.runs)
    print(runs.to_markdown(index=False, floatfmt=".4f"))
    print()
    print(settings.to_markdown(index=False, floatfmt=".4f"))
    if args.out:
        write_comparison(runs, settings, args.out)


def _export(args):
    from keras_dmtl.export import artifact_size
    from keras_dmtl.export import export_model
    from keras_dmtl.export.parity import difference_text

    result = export_model(
        args.model, args.format, args.out, precision=args.precision,
        data=args.data, parity_images=args.parity_images,
        calibration_images=args.calibration_images, opset=args.opset,
        max_batch=args.max_batch, min_agreement=args.min_agreement)
    for path, report in result.reports.items():
        print(f"{path} ({artifact_size(path) / 2**20:.2f} MB, {report['precision']}, "
              f"{report['runtime']}): parity on {report['images']}")
        for name, task in report["tasks"].items():
            worst = (f", worst label {task['worst_label']}"
                     if "worst_label" in task else "")
            print(f"  {name}: {task['agreement']:.2%} agree with Keras "
                  f"({task['rule']}{worst}), {difference_text(task)}")
    for note in result.notes:
        print(note)


def _predict(args):
    import json

    from keras_dmtl.export.predict import predict_files

    records, summary = predict_files(
        args.inputs, args.model, aligned=args.aligned,
        min_confidence=args.min_confidence, num_threads=args.threads)
    for record in records:
        print(json.dumps(record))
    print(summary, file=sys.stderr)


def _watch(args):
    from keras_dmtl.watch.watch_command import run_watch

    run_watch(args)


def _test_video(args):
    from keras_dmtl.watch.test_video_command import run_test_video

    run_test_video(args)


def _serve(args):
    from keras_dmtl.serve.serve_command import run_serve

    run_serve(args)


def _users(args):
    from keras_dmtl.serve.users_command import run_users

    run_users(args)


def _info(args):
    import keras
    import tensorflow as tf

    import keras_dmtl

    build = tf.sysconfig.get_build_info()
    print(f"keras-dmtl {keras_dmtl.__version__}")
    print(f"keras {keras.__version__} (backend {keras.backend.backend()})")
    print(f"tensorflow {tf.__version__}")
    print(f"GPUs: {len(tf.config.list_physical_devices('GPU'))}")
    print(f"TensorFlow built with TensorRT: {bool(build.get('is_tensorrt_build'))}")
    print(f"backbones: {', '.join(keras_dmtl.BACKBONES)}")
    print(f"task kinds: {', '.join(sorted(keras_dmtl.Task.KINDS))}")


def _debug_flag(parser):
    parser.add_argument("--debug", action="store_true",
                        default=argparse.SUPPRESS,
                        help="show the full Python traceback of an error")


def _quiet_flag(parser):
    parser.add_argument("--quiet", action="store_true",
                        default=argparse.SUPPRESS,
                        help="no progress bars (they show only when stderr "
                             "is a terminal)")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="keras-dmtl",
        description="Heterogeneous multi-task face analysis with Keras 3.",
        epilog="Errors are one line on stderr and a non-zero exit status; "
               "--debug shows the traceback instead.",
    )
    parser.add_argument("--debug", action="store_true",
                        help="let errors through with their Python traceback "
                             "(also accepted after the command's name)")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress bars, which show only when stderr "
                             "is a terminal (also accepted after the name of "
                             "evaluate, compare, export, predict)")
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser(
        "train",
        help="run a training recipe; arguments after the recipe name go to "
             f"it ({', '.join(RECIPES)})",
        description="Runs a training recipe. `keras-dmtl train NAME --help` "
                    "lists the recipe's own options.",
    )
    train.add_argument("recipe", nargs="?", default="utkface",
                       metavar="RECIPE",
                       help=f"one of {', '.join(RECIPES)} "
                            "(default: utkface)")
    train.add_argument("recipe_args", nargs=argparse.REMAINDER)
    train.set_defaults(run=_train)
    evaluate = commands.add_parser(
        "evaluate", help="metrics, figures and bias study of a model")
    evaluate.add_argument("model", help="a .keras file of a DMTLModel")
    evaluate.add_argument("--data", required=True,
                          help="UTKFace/FER2013/Adience folder or CSV table "
                               "(such as a run's test_set.csv)")
    evaluate.add_argument("--format", default="auto",
                          choices=DATA_FORMATS)
    evaluate.add_argument("--split", default="test", help="FER2013 split")
    evaluate.add_argument("--fold", type=int, default=0, help="Adience fold")
    evaluate.add_argument("--history", help="history.csv of the run (default:"
                                            " the one beside the model)")
    evaluate.add_argument("--batch-size", type=int, default=32)
    evaluate.add_argument("--gradcam-faces", type=int, default=6)
    evaluate.add_argument("--strict", action="store_true",
                          help="fail on bad input instead of skipping it")
    evaluate.add_argument("--test-time-flip",
                          action=argparse.BooleanOptionalAction,
                          help="answer as the mean over each face and its "
                               "mirror image, or not (default: as the "
                               "model was trained or calibrated)")
    evaluate.add_argument("--out", required=True, help="report folder")
    evaluate.set_defaults(run=_evaluate)
    calibrate = commands.add_parser(
        "calibrate",
        help="tune a trained model's decisions (class offsets, label "
             "thresholds) on held-out faces; writes a new .keras file")
    calibrate.add_argument("model", help="a .keras file of a DMTLModel")
    calibrate.add_argument("--data", required=True,
                           help="held-out faces, never trained on nor "
                                "reported on (with --strength: the training "
                                "faces): a dataset folder or CSV table")
    calibrate.add_argument("--tasks", nargs="+",
                           help="the tasks to calibrate (default: every "
                                "task the data label)")
    offsets = calibrate.add_mutually_exclusive_group()
    offsets.add_argument("--min-recall", type=float,
                         help="nominal tasks: the least recall every class "
                              "must reach; the offsets with the best "
                              "accuracy among those that reach it are kept "
                              "(default: the best macro-F1)")
    offsets.add_argument("--strength", type=float,
                         help="nominal tasks: offsets -STRENGTH * log(prior) "
                              "with no search, the prior the class "
                              "frequencies of --data, which are then the "
                              "training faces (no answer of the model is "
                              "read); 1 weighs every class the same")
    calibrate.add_argument("--format", default="auto", choices=DATA_FORMATS)
    calibrate.add_argument("--split", default="test", help="FER2013 split")
    calibrate.add_argument("--fold", type=int, default=0, help="Adience fold")
    calibrate.add_argument("--batch-size", type=int, default=32)
    calibrate.add_argument("--strict", action="store_true",
                           help="fail on bad input instead of skipping it")
    calibrate.add_argument("--test-time-flip",
                           action=argparse.BooleanOptionalAction,
                           help="the calibrated model answers as the mean "
                                "over each face and its mirror image (or, "
                                "with --no-test-time-flip, not), in Keras "
                                "and in every export; its decisions are "
                                "tuned on those answers (default: as the "
                                "model does)")
    calibrate.add_argument("--out", required=True,
                           help="the calibrated model (.keras, must not "
                                "exist)")
    calibrate.set_defaults(run=_calibrate)
    quantize = commands.add_parser(
        "quantize",
        help="a quantization-aware copy of a trained model, whose int8 "
             "TFLite file gives its answers; writes a new .keras file")
    quantize.add_argument("model", help="a .keras file of a DMTLModel "
                                        "(MobileNetV2, every stage shared)")
    quantize.add_argument("--data",
                          help="faces to measure the int8 ranges on: a "
                               "folder or CSV table (default: the run's "
                               "test_set.csv, as `export` calibrates)")
    quantize.add_argument("--images", type=int, default=300,
                          help="how many faces (after the 200 `export` "
                               "checks parity on)")
    quantize.add_argument("--batch-size", type=int, default=32)
    quantize.add_argument("--out", required=True,
                          help="the quantization-aware model (.keras, must "
                               "not exist)")
    quantize.set_defaults(run=_quantize)
    compare = commands.add_parser("compare",
                                  help="one table of several runs' metrics")
    compare.add_argument("runs", nargs="+", help="run folders")
    compare.add_argument("--out", help="folder for runs.csv and settings.csv")
    compare.set_defaults(run=_compare)
    export = commands.add_parser(
        "export", help="SavedModel, TFLite, ONNX or TensorRT artifact, "
                       "checked against the model")
    export.add_argument("model", help="a .keras file of a DMTLModel")
    export.add_argument("--format", required=True,
                        choices=["savedmodel", "tflite", "onnx", "tensorrt"])
    export.add_argument("--precision", default="fp32",
                        help="fp32 (default), fp16, int8 (tflite, tensorrt),"
                             " dynamic_int8, int8_mixed, int16x8 (tflite)")
    export.add_argument("--out", required=True, help="output folder")
    export.add_argument("--data", help="aligned face images (folder, or CSV "
                        "with an 'image' column) for the parity check and "
                        "int8 calibration; default: the run's test_set.csv, "
                        "else synthetic faces")
    export.add_argument("--parity-images", type=int, default=200)
    export.add_argument("--calibration-images", type=int, default=200)
    export.add_argument("--opset", type=int, default=13,
                        help="ONNX opset (default 13: TensorRT 8.x parses it)")
    export.add_argument("--max-batch", type=int, default=32,
                        help="largest batch of a TensorRT engine")
    export.add_argument("--min-agreement", type=float,
                        help="parity bar replacing the precision's own")
    export.set_defaults(run=_export)
    predict = commands.add_parser(
        "predict", help="attributes of every face in photos, one JSON line "
                        "per face")
    predict.add_argument("inputs", nargs="+", metavar="IMAGE_OR_DIR")
    predict.add_argument("--model", required=True,
                         help=".keras file, SavedModel folder, .tflite, "
                              ".onnx or TensorRT engine")
    predict.add_argument("--aligned", action="store_true",
                         help="the images are aligned face crops already: "
                              "no detection. Images under 16 pixels on "
                              "their short side are skipped and counted, "
                              "as are a folder's files without an image "
                              "extension and unreadable files")
    predict.add_argument("--min-confidence", type=float, default=0.9,
                         help="face detector confidence threshold")
    predict.add_argument("--threads", type=int, default=2,
                         help="CPU threads for TFLite and ONNX Runtime")
    predict.set_defaults(run=_predict)
    bundle = commands.add_parser(
        "bundle", aliases=["export-bundle"],
        help="a folder for a kind of device: jetson (ONNX and TensorRT "
             "build scripts) or mobile (TFLite in several precisions, "
             "the fastest that passes also as model.tflite); "
             "arguments after the kind go to it",
        description="Writes a device bundle. `keras-dmtl bundle KIND "
                    "--help` lists its options.")
    bundle.add_argument("kind", choices=["jetson", "mobile"])
    bundle.add_argument("bundle_args", nargs=argparse.REMAINDER,
                        metavar="MODEL [ARGS]")
    bundle.set_defaults(run=_bundle)
    watch = commands.add_parser(
        "watch", help="faces in video (cameras, files, streams, folders) "
                      "followed as tracks, their attributes stored in a "
                      "database")
    add_watch_arguments(watch)
    watch.set_defaults(run=_watch)
    test_video = commands.add_parser(
        "test-video", help="a video of real faces crossing a room, with "
                           "their true tracks, to check `watch` end to end")
    add_test_video_arguments(test_video)
    test_video.set_defaults(run=_test_video)
    serve = commands.add_parser(
        "serve", help="the operator page: sign-in, dashboard, live view, "
                      "tracks, exports, over the watcher's database "
                      "(read only)")
    add_serve_arguments(serve)
    serve.set_defaults(run=_serve)
    users = commands.add_parser(
        "users", help="add, list or remove the users of the operator page")
    add_users_arguments(users)
    users.set_defaults(run=_users)
    info = commands.add_parser("info", help="print versions and backbones")
    info.set_defaults(run=_info)
    for command in (evaluate, calibrate, quantize, compare, export, predict,
                    watch, test_video, serve, info):
        _debug_flag(command)
    for command in (evaluate, calibrate, quantize, compare, export, predict):
        _quiet_flag(command)
    args = parser.parse_args(argv)
    set_quiet(args.quiet)
    run_command(args)


def run_command(args):
    """Runs the parsed command; an error becomes one line and an exit code.

    Raises:
        SystemExit: 1 with `keras-dmtl <command>: <message>` for any error,
            130 with `interrupted` for Ctrl-C; with `args.debug` (or a
            `--debug` among a recipe's or bundle's arguments), the
            exception itself instead.
    """
    extra = (*getattr(args, "recipe_args", ()),
             *getattr(args, "bundle_args", ()))
    debug = args.debug or "--debug" in extra
    if "--quiet" in extra:
        set_quiet(True)
    command = args.command
    if command == "train":
        command = f"train {args.recipe}"
    elif command == "users":
        command = f"users {args.action}"
    elif command in ("bundle", "export-bundle"):
        command = f"bundle {args.kind}"
    run_guarded(lambda: args.run(args), command, debug=debug)


if __name__ == "__main__":
    main()
