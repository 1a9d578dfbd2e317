import re

import keras
import numpy as np
import pytest

import keras_dmtl
from keras_dmtl.data import SyntheticFaces
from keras_dmtl.data import synthetic_tasks
from keras_dmtl.training.start_from import StartFromError
from keras_dmtl.training.start_from import start_from

SIZE = 32
BACKBONE = "mobilenet_v2_0.35"


def model_of(names=("age", "gender", "race"), size=SIZE, **kwargs):
    return keras_dmtl.DMTLModel(synthetic_tasks(names), backbone=BACKBONE,
                                image_size=size, **kwargs)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A model whose weights (log-variances included) are not a fresh
    model's: one eager training step, then saved."""
    faces = SyntheticFaces(16, SIZE, seed=5)
    model = model_of()
    model.compile(optimizer=keras.optimizers.Adam(1e-2), run_eagerly=True)
    labels = {name: faces.labels[name] for name in ("age", "gender", "race")}
    model.fit(faces.images, labels, batch_size=16, epochs=1, verbose=0)
    path = tmp_path_factory.mktemp("start_from") / "model.keras"
    model.save(path)
    return path, model, faces.images


def test_the_new_model_gives_the_saved_models_answers(saved):
    path, trained, images = saved
    model = model_of()
    before = model.predict(images, verbose=0)["age"]
    count = start_from(model, path)
    assert count == len(model.weights)
    expected = trained.predict(images, verbose=0)
    got = model.predict(images, verbose=0)
    assert not np.allclose(before, expected["age"], atol=1e-3)
    for name in expected:
        np.testing.assert_allclose(got[name], expected[name], atol=1e-5)
    # The learned log-variances come along: the same task weights.
    weights = trained.current_task_weights()
    assert weights != model_of().current_task_weights()
    assert model.current_task_weights() == pytest.approx(weights, rel=1e-6)


def test_another_loss_weighting_starts_its_own_variables_afresh(saved):
    path, trained, images = saved
    model = model_of(loss_weighting="bounded")
    fresh = [v.numpy().copy() for v in model.weighting.weights]
    count = start_from(model, path)
    assert count == len(model.weights) - len(model.weighting.weights)
    for variable, value in zip(model.weighting.weights, fresh):
        np.testing.assert_array_equal(variable.numpy(), value)
    np.testing.assert_allclose(model.predict(images, verbose=0)["race"],
                               trained.predict(images, verbose=0)["race"],
                               atol=1e-5)


@pytest.mark.parametrize("build, message", [
    (lambda: model_of(("age", "gender")),
     "its tasks [age, gender, race] differ from this run's [age, gender]"),
    (lambda: model_of(size=48),
     "its image_size is 32, this run's --image-size is 48"),
    (lambda: keras_dmtl.DMTLModel(
        synthetic_tasks(("age", "gender")) + [keras_dmtl.NominalTask(
            "race", list(reversed(synthetic_tasks(("race",))[0].classes)))],
        backbone=BACKBONE, image_size=SIZE),
     "its task 'race' reads other labels than this run's"),
])
def test_a_model_that_does_not_fit_is_refused_in_one_line(saved, build,
                                                         message):
    path, _, _ = saved
    model = build()
    before = [v.numpy().copy() for v in model.weights]
    with pytest.raises(StartFromError) as error:
        start_from(model, path)
    assert message in str(error.value)
    assert str(path) in str(error.value)
    assert "\n" not in str(error.value)
    for variable, value in zip(model.weights, before):  # left untouched
        np.testing.assert_array_equal(variable.numpy(), value)


@pytest.mark.parametrize("branch_by", ["category", "task"])
def test_a_shared_model_starts_every_branch_of_a_branched_one(saved,
                                                              branch_by):
    path, trained, images = saved
    model = model_of(shared_stages=5, branch_by=branch_by)
    assert start_from(model, path) == len(model.weights)
    # Each branch's copy of the upper stages is the saved model's stages,
    # so the branched model answers as the shared one did.
    expected = trained.predict(images, verbose=0)
    got = model.predict(images, verbose=0)
    for name in expected:
        np.testing.assert_allclose(got[name], expected[name], atol=1e-5)
    stages = {layer.name for layer in model.layers
              if layer.name.endswith("_stages")}
    assert len(stages) == (2 if branch_by == "category" else 3)


def test_a_category_branch_starts_the_branch_of_each_of_its_tasks(
        saved, tmp_path):
    _, _, images = saved
    by_kind = model_of(shared_stages=6)
    kernel = by_kind.get_layer("nominal_stages").get_layer(
        "block_16_project").kernel
    kernel.assign(kernel.numpy() + 0.05)  # the two branches now differ
    path = tmp_path / "by_kind.keras"
    by_kind.save(path)
    by_task = model_of(shared_stages=6, branch_by="task")
    start_from(by_task, path)
    expected = by_kind.predict(images, verbose=0)
    got = by_task.predict(images, verbose=0)
    for name in expected:  # gender and race from "nominal", age "ordinal"
        np.testing.assert_allclose(got[name], expected[name], atol=1e-5)


def test_branches_the_run_would_merge_are_refused(tmp_path):
    for run, where in [({}, "its shared stages"),
                       ({"shared_stages": 6}, "branch 'nominal'")]:
        path = tmp_path / "by_task.keras"
        model_of(shared_stages=6, branch_by="task").save(path)
        model = model_of(**run)
        before = [v.numpy().copy() for v in model.weights]
        message = ("its layer 'block_16_expand' is in its branches ['age', "
                   "'gender', 'race'], which this run's model would merge in "
                   f"{where}")
        with pytest.raises(StartFromError, match=re.escape(message)):
            start_from(model, path)
        for variable, value in zip(model.weights, before):
            np.testing.assert_array_equal(variable.numpy(), value)
        # The same branching as saved goes on from it.
        start_from(model_of(shared_stages=6, branch_by="task"), path)
        path.unlink()


def test_an_efficientnet_model_starts_from_its_saved_self(tmp_path):
    # Its stem's Normalization layer is named by Keras with a number that
    # counts what the process built before: another name after reloading.
    def build():
        return keras_dmtl.DMTLModel(synthetic_tasks(("gender",)),
                                    backbone="efficientnet_b0",
                                    image_size=SIZE)

    def normalization(model):
        layers = [layer for layer in model.get_layer("trunk").layers
                  if isinstance(layer, keras.layers.Normalization)]
        assert len(layers) == 1
        return layers[0]

    first = build()
    mean = normalization(first).weights[0]  # what adapt() would learn
    mean.assign(np.full(mean.shape, 3.0))
    path = tmp_path / "efficientnet.keras"
    first.save(path)
    model = build()
    assert normalization(model).name != normalization(first).name
    assert start_from(model, path) == len(model.weights)
    np.testing.assert_array_equal(normalization(model).weights[0].numpy(),
                                  np.full(mean.shape, 3.0))
    head = model.get_layer("gender_head").kernel.numpy()
    np.testing.assert_array_equal(
        head, first.get_layer("gender_head").kernel.numpy())


def test_a_missing_or_foreign_file_is_refused(tmp_path):
    model = model_of()
    with pytest.raises(StartFromError, match="no such file"):
        start_from(model, tmp_path / "absent.keras")
    other = tmp_path / "notes.keras"
    other.write_text("not a model")
    with pytest.raises(StartFromError, match="notes.keras: not a .keras "
                                             "model file"):
        start_from(model, other)
    plain = tmp_path / "plain.keras"
    keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]).save(plain)
    with pytest.raises(StartFromError, match="not a keras-dmtl model"):
        start_from(model, plain)


def test_a_quantization_aware_model_goes_on_as_one(saved, tmp_path):
    from keras_dmtl.models import quantization_aware_model
    from keras_dmtl.recipes import UTKFaceRecipe

    path, trained, images = saved
    aware = quantization_aware_model(trained, images)
    aware_path = tmp_path / "aware.keras"
    aware.save(aware_path)
    with pytest.raises(StartFromError, match="it is quantization-aware, "
                                             "this run's model is not"):
        start_from(model_of(), aware_path)
    other = {name: [low, high * 2]
             for name, (low, high) in aware.int8_ranges.items()}
    with pytest.raises(StartFromError, match="its int8_ranges differ"):
        start_from(model_of(int8_ranges=other), aware_path)
    recipe = UTKFaceRecipe()
    args = recipe.options(backbone=BACKBONE, image_size=SIZE,
                          start_from=str(aware_path), shared_stages=6)
    with pytest.raises(StartFromError, match=r"aware.keras: it is "
                       r"quantization-aware: .*share every stage"):
        recipe.build_model(args, recipe.strategy(args), synthetic_tasks(),
                           steps_per_epoch=10)
    args = recipe.options(backbone=BACKBONE, image_size=SIZE,
                          start_from=str(aware_path))
    model = recipe.build_model(args, recipe.strategy(args),
                               synthetic_tasks(), steps_per_epoch=10)
    assert model.int8_ranges == aware.int8_ranges
    expected = aware.predict(images, verbose=0)
    got = model.predict(images, verbose=0)
    for name in expected:
        np.testing.assert_allclose(got[name], expected[name], atol=1e-5)
