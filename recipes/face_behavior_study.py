"""FaceBehaviorNet's study: do related tasks teach each other here?

    python recipes/face_behavior_study.py \
        --ckplus ../shared/data/ckplus128 \
        --affect ../shared/data/diffusionfer_va \
        --utkface ../shared/data/utkface --fer2013 ../shared/data/fer2013 \
        --backbone mobilenet_v2 --image-size 64 --epochs 4 --seeds 2 \
        --weights ../shared/weights/mobilenet_v2_1.0_224_no_top_imagenet.weights.h5

`keras-dmtl train face_behavior_study` runs the same recipe, and so does
`keras_dmtl.recipes.FaceBehaviorStudyRecipe().train(...)` from Python, with the options as
keyword arguments. `--help` lists the options; the recipe's steps are in
`keras_dmtl/recipes/face_behavior_study.py`.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # quiet TensorFlow start-up

from keras_dmtl.recipes import FaceBehaviorStudyRecipe  # noqa: E402

if __name__ == "__main__":
    FaceBehaviorStudyRecipe().main(sys.argv[1:], prog="recipes/face_behavior_study.py")
