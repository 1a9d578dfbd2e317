"""Every kind of face attribute from datasets whose labels do not overlap.

    python recipes/face_behavior.py \
        --ckplus ../shared/data/ckplus128 \
        --affect ../shared/data/diffusionfer_va \
        --utkface ../shared/data/utkface --fer2013 ../shared/data/fer2013 \
        --backbone mobilenet_v2 --image-size 96 --optimizer adam \
        --learning-rate 3e-4 --epochs 10 \
        --weights ../shared/weights/mobilenet_v2_1.0_224_no_top_imagenet.weights.h5

`keras-dmtl train face_behavior` runs the same recipe, and so does
`keras_dmtl.recipes.FaceBehaviorRecipe().train(...)` from Python, with the options as
keyword arguments. `--help` lists the options; the recipe's steps are in
`keras_dmtl/recipes/face_behavior.py`.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # quiet TensorFlow start-up

from keras_dmtl.recipes import FaceBehaviorRecipe  # noqa: E402

if __name__ == "__main__":
    FaceBehaviorRecipe().main(sys.argv[1:], prog="recipes/face_behavior.py")
