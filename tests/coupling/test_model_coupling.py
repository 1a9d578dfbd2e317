import os

import keras
import numpy as np
import pytest

import keras_dmtl
from keras_dmtl.coupling import ExpressionToActionUnits
from keras_dmtl.coupling import SoftCoAnnotation
from keras_dmtl.coupling import TaskRelatedness
from keras_dmtl.data import SyntheticFaces
from keras_dmtl.data import synthetic_tasks

SIZE = 32
BACKBONE = "mobilenet_v2_0.35"
NAMES = ["expression", "action_units"]


@pytest.fixture(scope="module")
def faces():
    return SyntheticFaces(32, SIZE, seed=5)


def du2014():
    return TaskRelatedness.du2014(target="action_units")


def small_model(**kwargs):
    kwargs.setdefault("coupling", [ExpressionToActionUnits(du2014()),
                                   SoftCoAnnotation(du2014())])
    return keras_dmtl.DMTLModel(synthetic_tasks(NAMES), backbone=BACKBONE,
                                image_size=SIZE, **kwargs)


def half_labelled(faces):
    """Expression labels on the first half, AU labels on the second."""
    expression = faces.labels["expression"].copy()
    aus = faces.labels["action_units"].copy()
    half = len(expression) // 2
    expression[half:] = -1
    aus[:half] = -1
    return {"expression": expression, "action_units": aus}


def test_fit_logs_every_coupling_loss_and_weight(faces):
    model = small_model()
    assert model.weighting.task_names == NAMES + [
        "expression_to_action_units", "soft_co_annotation"]
    model.compile(optimizer=keras.optimizers.SGD(1e-2), run_eagerly=True)
    history = model.fit(faces.images, half_labelled(faces), batch_size=16,
                        epochs=1, verbose=0)
    for name in ("expression_to_action_units", "soft_co_annotation"):
        assert np.isfinite(history.history[f"{name}_loss"][0])
        assert f"{name}_beta" in history.history
    assert set(model.current_task_weights()) == set(
        model.weighting.task_names)


def test_save_and_load_keep_the_coupling(faces, tmp_path):
    model = small_model()
    model.compile(optimizer=keras.optimizers.SGD(1e-2), run_eagerly=True)
    labels = half_labelled(faces)
    model.fit(faces.images, labels, batch_size=16, epochs=1, verbose=0)
    path = os.path.join(tmp_path, "m.keras")
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert loaded.get_config() == model.get_config()
    assert [type(c) for c in loaded.coupling] == [
        ExpressionToActionUnits, SoftCoAnnotation]
    outputs = model(faces.images[:8], training=False)
    for a, b in zip(model.coupling, loaded.coupling):
        batch = {k: v[:8] for k, v in labels.items()}
        np.testing.assert_allclose(float(b(batch, outputs)),
                                   float(a(batch, outputs)), rtol=1e-6)
    np.testing.assert_allclose(
        model.evaluate(faces.images, labels, verbose=0),
        loaded.evaluate(faces.images, labels, verbose=0), rtol=1e-5)


def test_no_coupling_keeps_the_config_and_weighting():
    model = small_model(coupling=None)
    assert model.coupling is None
    assert model.weighting.task_names == NAMES
    assert model.get_config()["coupling"] is None


def test_fixed_weighting_needs_a_weight_per_coupling():
    with pytest.raises(ValueError, match="expression_to_action_units"):
        small_model(coupling=[ExpressionToActionUnits(du2014())],
                    loss_weighting="fixed", task_weights=[1.0, 1.0])
    model = small_model(coupling=[ExpressionToActionUnits(du2014())],
                        loss_weighting="fixed", task_weights=[1.0, 1.0, 0.5])
    assert model.weighting.fixed_weights == [1.0, 1.0, 0.5]


@pytest.mark.parametrize("coupling, message", [
    ([ExpressionToActionUnits(TaskRelatedness.du2014())],
     r"expression_to_action_units.*no task 'aus'"),
    ([ExpressionToActionUnits(du2014()), ExpressionToActionUnits(du2014())],
     r"\['expression_to_action_units'\] repeat"),
    ([ExpressionToActionUnits(du2014(), name="expression")],
     r"\['expression'\] repeat"),
    (["not a coupling"], "'not a coupling'"),
])
def test_bad_couplings_raise_at_construction(coupling, message):
    with pytest.raises(ValueError, match=message):
        small_model(coupling=coupling)


@pytest.mark.slow  # 40 s: two small trainings
def test_distribution_matching_teaches_action_units_without_their_labels():
    # The synthetic faces' units follow their expression (Du et al. 2014's
    # probabilities), as on real faces. No face is labelled for units: only
    # the coupling can teach the unit head, from the expression. The trunk
    # is frozen so that a few steps of the heads show it on a 2-core CPU.
    faces = SyntheticFaces(64, SIZE, seed=7)
    labels = {"expression": faces.labels["expression"],
              "action_units": np.full_like(faces.labels["action_units"], -1)}
    truth = {"expression": faces.labels["expression"],
             "action_units": faces.labels["action_units"]}
    relatedness = TaskRelatedness.from_examples(
        faces.examples(NAMES), target="action_units")
    losses = {}
    for name, coupling in (("none", None), ("matching", [
            ExpressionToActionUnits(relatedness)])):
        keras.utils.set_random_seed(0)
        model = small_model(coupling=coupling)
        model.get_layer("trunk").trainable = False
        model.compile(optimizer=keras.optimizers.Adam(5e-2),
                      run_eagerly=True)
        model.fit(faces.images, labels, batch_size=16, epochs=8, verbose=0)
        # The unit loss of these faces against the units they really show.
        losses[name] = model.evaluate(faces.images, truth, verbose=0,
                                      return_dict=True)["action_units_loss"]
    assert losses["matching"] < losses["none"] - 0.05, losses
