"""DMTL on UTKFace: age, gender and race from one network.

    python recipes/utkface.py --data ../shared/data/utkface \
        --backbone mobilenet_v2 \
        --weights ../shared/weights/mobilenet_v2_1.0_224_no_top_imagenet.weights.h5

`keras-dmtl train utkface` runs the same recipe, and so does
`keras_dmtl.recipes.UTKFaceRecipe().train(...)` from Python, with the options as
keyword arguments. `--help` lists the options; the recipe's steps are in
`keras_dmtl/recipes/utkface.py`.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # quiet TensorFlow start-up

from keras_dmtl.recipes import UTKFaceRecipe  # noqa: E402

if __name__ == "__main__":
    UTKFaceRecipe().main(sys.argv[1:], prog="recipes/utkface.py")
