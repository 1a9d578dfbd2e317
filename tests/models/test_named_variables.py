import keras_dmtl
from keras_dmtl.data import SyntheticFaces
from keras_dmtl.data import synthetic_tasks
from keras_dmtl.models import quantization_aware_model
from keras_dmtl.models.named_variables import named_variables

NAMES = ("age", "gender", "race")


def model_of(**kwargs):
    return keras_dmtl.DMTLModel(synthetic_tasks(NAMES),
                                backbone="mobilenet_v2_0.35", image_size=32,
                                **kwargs)


def network_ids(model):
    weighting = {id(v) for v in model.weighting.weights}
    return {id(v) for v in model.weights} - weighting


def test_every_network_variable_once_the_weighting_apart():
    for model in (model_of(), model_of(shared_stages=5, branch_by="task")):
        named = named_variables(model)
        assert {id(v) for v in named.values()} == network_ids(model)
        assert len(named) == len(network_ids(model))


def test_branches_tell_the_copies_of_a_layer_apart():
    shared = named_variables(model_of())
    assert {branch for branch, _, _ in shared} == {None}
    assert (None, "block_16_project", "kernel") in shared
    assert (None, "age_head", "kernel") in shared
    branched = named_variables(model_of(shared_stages=6, branch_by="task"))
    copies = {branch for branch, layer, name in branched
              if (layer, name) == ("block_16_project", "kernel")}
    assert copies == set(NAMES)
    assert (None, "block_15_project", "kernel") in branched  # shared below
    by_kind = named_variables(model_of(shared_stages=6))
    assert {branch for branch, _, _ in by_kind} == {None, "ordinal",
                                                    "nominal"}


def test_a_quantization_aware_copy_names_its_variables_alike():
    model = model_of()
    images = SyntheticFaces(8, 32, seed=0).images
    aware = quantization_aware_model(model, images)
    assert set(named_variables(aware)) == set(named_variables(model))
