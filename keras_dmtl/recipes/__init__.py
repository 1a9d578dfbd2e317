"""The training recipes: complete jobs from folders of faces to a run folder.

`keras-dmtl train NAME ARGS` runs the recipe `NAME` of `RECIPES`; in
Python, `get_recipe(NAME).train(**options)` or the recipe's class does.
"""

from keras_dmtl.recipes.adience import AdienceRecipe
from keras_dmtl.recipes.face_behavior import FaceBehaviorRecipe
from keras_dmtl.recipes.face_behavior_study import FaceBehaviorStudyRecipe
from keras_dmtl.recipes.recipe import Recipe
from keras_dmtl.recipes.tune_weights import TuneWeightsRecipe
from keras_dmtl.recipes.utkface import UTKFaceRecipe
from keras_dmtl.recipes.utkface_fer import UTKFaceFERRecipe

RECIPES = {recipe.name: recipe for recipe in (
    UTKFaceRecipe(), UTKFaceFERRecipe(), AdienceRecipe(),
    FaceBehaviorRecipe(), FaceBehaviorStudyRecipe(), TuneWeightsRecipe())}
"""Every recipe by its name on the command line."""


def get_recipe(name):
    """The recipe called `name`.

    Raises:
        ValueError: for a name that is not a recipe's, listing the recipes.
    """
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; the recipes are: "
                         f"{', '.join(RECIPES)}")
    return RECIPES[name]
