"""DMTL on Adience: age group and gender under the standard 5-fold protocol.

    python recipes/adience.py --data /path/to/adience \
        --backbone mobilenet_v2 --weights mobilenet_v2.weights.h5

`keras-dmtl train adience` runs the same recipe, and so does
`keras_dmtl.recipes.AdienceRecipe().train(...)` from Python, with the options as
keyword arguments. `--help` lists the options; the recipe's steps are in
`keras_dmtl/recipes/adience.py`.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # quiet TensorFlow start-up

from keras_dmtl.recipes import AdienceRecipe  # noqa: E402

if __name__ == "__main__":
    AdienceRecipe().main(sys.argv[1:], prog="recipes/adience.py")
