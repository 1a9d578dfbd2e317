"""Learned uncertainty weights against the best hand-tuned weights.

    python recipes/tune_weights.py --data ../shared/data/utkface --limit 3000 \
        --backbone mobilenet_v2 --weights mobilenet_v2.weights.h5 \
        --image-size 96 --epochs 3 --trials 6 --seeds 2

`keras-dmtl train tune_weights` runs the same recipe, and so does
`keras_dmtl.recipes.TuneWeightsRecipe().train(...)` from Python, with the options as
keyword arguments. `--help` lists the options; the recipe's steps are in
`keras_dmtl/recipes/tune_weights.py`.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # quiet TensorFlow start-up

from keras_dmtl.recipes import TuneWeightsRecipe  # noqa: E402

if __name__ == "__main__":
    TuneWeightsRecipe().main(sys.argv[1:], prog="recipes/tune_weights.py")
