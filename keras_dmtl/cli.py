"""The `keras-dmtl` command."""

import argparse
import os
import runpy
import sys

RECIPES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "recipes")


def _train(args):
    recipe = os.path.join(RECIPES, f"{args.recipe}.py")
    if not os.path.isfile(recipe):
        sys.exit(
            f"keras-dmtl train: recipe {recipe} not found. The recipes live "
            "in the source checkout: install it with `pip install -e .`."
        )
    sys.argv = [recipe] + args.recipe_args
    runpy.run_path(recipe, run_name="__main__")


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


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="keras-dmtl",
        description="Heterogeneous multi-task face analysis with Keras 3.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser(
        "train",
        help="run a training recipe; arguments after the recipe name go to it",
    )
    train.add_argument("recipe", nargs="?", default="utkface",
                       help="recipe name in recipes/ (default: utkface)")
    train.add_argument("recipe_args", nargs=argparse.REMAINDER)
    train.set_defaults(run=_train)
    info = commands.add_parser("info", help="print versions and backbones")
    info.set_defaults(run=_info)
    args = parser.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()
