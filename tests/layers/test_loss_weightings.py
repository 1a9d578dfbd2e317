import keras
import numpy as np
import pytest

import keras_dmtl
from keras_dmtl.data import SyntheticFaces
from keras_dmtl.data import synthetic_tasks
from keras_dmtl.layers import LOSS_WEIGHTINGS
from keras_dmtl.layers import DynamicWeightAverage
from keras_dmtl.layers import FixedWeighting
from keras_dmtl.layers import UncertaintyWeighting
from keras_dmtl.layers import make_loss_weighting

SIZE = 32
NAMES = ["age", "gender", "race"]


def test_every_name_gives_its_layer():
    for name, (cls, _) in LOSS_WEIGHTINGS.items():
        weights = [1.0, 2.0] if name == "fixed" else None
        layer = make_loss_weighting(name, ["a", "b"], task_weights=weights)
        assert type(layer) is cls and layer.built
        assert layer.task_names == ["a", "b"]


@pytest.mark.parametrize(
    "args, message",
    [
        (("dwa", ["a"], [1.0], None), "task_weights does not apply"),
        (("random", ["a"], None, (-1, 1)), "log_variance_bounds does not"),
        (("fixed", ["a"], None, None), "one weight per task"),
        (("kendall", ["a"], None, None), "loss_weighting must be one of"),
        ((UncertaintyWeighting(["x"]), ["a"], None, None),
         "made for tasks"),
        ((DynamicWeightAverage(), ["a"], [1.0], None), "to the"),
    ],
)
def test_rejects_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        make_loss_weighting(*args)


@pytest.fixture(scope="module")
def faces():
    return SyntheticFaces(32, SIZE, seed=5)


def fit(model, faces, epochs, initial_epoch=0):
    labels = {name: faces.labels[name] for name in NAMES}
    model.fit(faces.images, labels, batch_size=16, epochs=epochs,
              initial_epoch=initial_epoch, shuffle=False, verbose=0)


def state(model):
    return [np.array(v) for v in model.weighting.variables]


@pytest.mark.parametrize(
    "weighting",
    ["learned_first_loss", "bounded", "dwa", "random",
     FixedWeighting(fixed_weights=[0.2, 0.3, 0.5]),
     FixedWeighting(fixed_weights={"race": 0.5, "age": 0.2, "gender": 0.3})],
    ids=["learned_first_loss", "bounded", "dwa", "random", "fixed_layer",
         "fixed_by_name"],
)
def test_a_weighting_saves_reloads_and_resumes(weighting, faces, tmp_path):
    def model():
        keras.utils.set_random_seed(0)
        # A layer goes in as a fresh copy: each model owns its own.
        config = (FixedWeighting.from_config(weighting.get_config())
                  if isinstance(weighting, FixedWeighting) else weighting)
        m = keras_dmtl.DMTLModel(synthetic_tasks(), backbone=
                                 "mobilenet_v2_0.35", image_size=SIZE,
                                 loss_weighting=config)
        m.compile(optimizer=keras.optimizers.SGD(1e-2), run_eagerly=True)
        return m

    first = model()
    fit(first, faces, 2)
    path = str(tmp_path / "model.keras")
    first.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.weighting) is type(first.weighting)
    assert loaded.weighting.get_config() == first.weighting.get_config()
    for saved, restored in zip(state(first), state(loaded)):
        np.testing.assert_array_equal(saved, restored)
    # The reloaded weighting goes on exactly as the one it was saved from:
    # the same total for the same losses, the same state after a step and
    # an epoch's end (learned starts, epoch means, random draws).
    losses = np.array([20.0, 0.6, 1.1], "float32")
    for weighting in (first.weighting, loaded.weighting):
        weighting.total = float(weighting(losses, training=True))
        weighting.end_epoch()
    assert loaded.weighting.total == pytest.approx(first.weighting.total)
    for a, b in zip(state(first), state(loaded)):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    # And training resumes.
    fit(loaded, faces, 3, initial_epoch=2)
    if isinstance(loaded.weighting, DynamicWeightAverage):
        assert float(loaded.weighting.epochs_seen) == 4
    assert set(loaded.current_task_weights()) == set(NAMES)


def test_a_model_takes_fixed_weights_by_task_name(tmp_path):
    model = keras_dmtl.DMTLModel(
        synthetic_tasks(), backbone="mobilenet_v2_0.35", image_size=SIZE,
        loss_weighting="fixed",
        task_weights={"gender": 0.5, "race": 0.25, "age": 0.25})
    expected = {"age": 0.25, "gender": 0.5, "race": 0.25}
    assert model.current_task_weights() == pytest.approx(expected)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.current_task_weights() == pytest.approx(expected)
    with pytest.raises(ValueError, match=r"missing \['race'\]"):
        keras_dmtl.DMTLModel(
            synthetic_tasks(), backbone="mobilenet_v2_0.35", image_size=SIZE,
            loss_weighting="fixed", task_weights={"gender": 1, "age": 1})
