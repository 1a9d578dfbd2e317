"""One model, two datasets whose labels do not overlap: UTKFace + FER2013.

    python recipes/utkface_fer.py --utkface ../shared/data/utkface \
        --fer2013 ../shared/data/fer2013 --backbone mobilenet_v2 \
        --weights ../shared/weights/mobilenet_v2_1.0_224_no_top_imagenet.weights.h5

`keras-dmtl train utkface_fer` runs the same recipe, and so does
`keras_dmtl.recipes.UTKFaceFERRecipe().train(...)` from Python, with the options as
keyword arguments. `--help` lists the options; the recipe's steps are in
`keras_dmtl/recipes/utkface_fer.py`.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # quiet TensorFlow start-up

from keras_dmtl.recipes import UTKFaceFERRecipe  # noqa: E402

if __name__ == "__main__":
    UTKFaceFERRecipe().main(sys.argv[1:], prog="recipes/utkface_fer.py")
