import os

import keras
import numpy as np
import pytest

import keras_dmtl
from keras_dmtl.data import SyntheticFaces
from keras_dmtl.data import synthetic_tasks
from tests.conftest import MOBILENET_WEIGHTS
from tests.conftest import lively
from tests.conftest import shared_path

SIZE = 32
BACKBONE = "mobilenet_v2_0.35"
# The models here are tiny and train for a step or two: eager steps skip
# minutes of graph tracing. `tests/tasks/test_task_kinds.py` trains in
# graph mode.


@pytest.fixture(scope="module")
def faces():
    return SyntheticFaces(64, SIZE, seed=3)


def small_model(**kwargs):
    kwargs.setdefault("backbone", BACKBONE)
    return keras_dmtl.DMTLModel(synthetic_tasks(), image_size=SIZE, **kwargs)


def labels_of(faces, names=("age", "gender", "race")):
    return {name: faces.labels[name] for name in names}


def test_fit_logs_every_task_loss_metric_and_weight(faces):
    model = small_model()
    model.compile(optimizer=keras.optimizers.SGD(1e-3, momentum=0.9,
                                                 weight_decay=5e-4),
                  run_eagerly=True)
    history = model.fit(faces.images, labels_of(faces), batch_size=16,
                        epochs=2, validation_split=0.25, verbose=0)
    for key in ["loss", "age_loss", "age_accuracy", "age_mae", "age_beta",
                "gender_loss", "gender_accuracy", "gender_beta", "race_loss",
                "race_accuracy", "race_beta", "val_age_mae", "val_race_beta"]:
        assert len(history.history[key]) == 2, key
    betas = [history.history[f"{n}_beta"][-1] for n in ("age", "gender", "race")]
    assert sum(betas) == pytest.approx(1.0, abs=1e-4)
    assert betas == pytest.approx(list(model.current_task_weights().values()))
    # The ordinal loss (116 thresholds) is the largest: it gets the least weight.
    assert betas[0] < min(betas[1:])


def test_missing_labels_leave_a_task_untrained(faces):
    model = small_model()
    model.compile(optimizer=keras.optimizers.SGD(0.1), run_eagerly=True)
    labels = labels_of(faces)
    labels["race"] = np.full_like(labels["race"], -1)
    race_head = model.get_layer("race_head")
    gender_head = model.get_layer("gender_head")
    race_before = np.array(race_head.kernel)
    gender_before = np.array(gender_head.kernel)
    history = model.fit(faces.images, labels, batch_size=16, epochs=1,
                        verbose=0)
    np.testing.assert_array_equal(np.array(race_head.kernel), race_before)
    assert not np.allclose(np.array(gender_head.kernel), gender_before)
    assert history.history["race_loss"] == [0.0]
    assert history.history["race_accuracy"] == [0.0]


def test_partially_labelled_tasks_count_only_annotated_examples(faces):
    model = small_model()
    model.compile(optimizer="sgd", run_eagerly=True)
    labels = labels_of(faces)
    metrics_full = model.evaluate(faces.images[:8], {k: v[:8] for k, v in
                                                     labels.items()},
                                  return_dict=True, verbose=0)
    # Append 8 copies with no gender label: gender metrics must not move.
    images = np.concatenate([faces.images[:8], faces.images[8:16]])
    mixed = {k: np.concatenate([v[:8], v[8:16]]) for k, v in labels.items()}
    mixed["gender"][8:] = -1
    metrics = model.evaluate(images, mixed, batch_size=16, return_dict=True,
                             verbose=0)
    assert metrics["gender_loss"] == pytest.approx(metrics_full["gender_loss"],
                                                   rel=1e-4)
    assert metrics["gender_accuracy"] == pytest.approx(
        metrics_full["gender_accuracy"])


def test_weight_decay_spares_the_log_variances(faces):
    model = small_model()
    model.compile(optimizer=keras.optimizers.SGD(0.1, weight_decay=0.5),
                  run_eagerly=True)
    model.weighting.log_variance.assign([1.0, 1.0, 1.0])
    unlabelled = {k: np.full_like(v[:16], -1)
                  for k, v in labels_of(faces).items()}
    model.fit(faces.images[:16], unlabelled, batch_size=16, epochs=1,
              verbose=0)
    # No task loss: the gradient of s/2 is 1/2, so s = 1 - 0.1 * 0.5. Weight
    # decay would also take 0.1 * 0.5 * 1.
    np.testing.assert_allclose(np.array(model.weighting.log_variance),
                               [0.95] * 3, atol=1e-6)


def test_save_and_load_give_identical_predictions(faces, tmp_path):
    model = small_model(shared_stages=6)
    model.compile(optimizer=keras.optimizers.SGD(1e-2, momentum=0.9),
                  run_eagerly=True)
    model.fit(faces.images, labels_of(faces), batch_size=16, epochs=1,
              verbose=0)
    path = os.path.join(tmp_path, "m.keras")
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert isinstance(loaded, keras_dmtl.DMTLModel)
    expected = model.predict(faces.images[:8], verbose=0)
    actual = loaded.predict(faces.images[:8], verbose=0)
    for name in expected:
        np.testing.assert_allclose(actual[name], expected[name], atol=1e-6)
    assert loaded.current_task_weights() == model.current_task_weights()
    assert loaded.tasks == model.tasks
    # Compiled state comes back: training goes on from the same step.
    assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations)
    loaded.fit(faces.images[:16], {k: v[:16] for k, v in
                                   labels_of(faces).items()}, verbose=0)


def test_test_time_flip_answers_the_mean_over_face_and_mirror(tmp_path):
    model = small_model(shared_stages=6, dropout=0.0)
    # Noise: unlike the synthetic faces, no two halves look alike.
    images = np.random.RandomState(0).uniform(
        0, 255, (8, SIZE, SIZE, 3)).astype("float32")
    lively(model, images)
    as_given = model.predict_on_batch(images)
    mirrored = model.predict_on_batch(images[:, :, ::-1, :])
    model.test_time_flip = True  # on a model that has predicted already
    both = model.predict_on_batch(images)
    for name in as_given:
        expected = (as_given[name] + mirrored[name]) / 2
        np.testing.assert_allclose(both[name], expected, rtol=1e-4,
                                   atol=1e-5)
        # The mirror matters as much as a tenth of what tells faces apart.
        change = np.abs(mirrored[name] - as_given[name]).max()
        spread = np.ptp(as_given[name], axis=0).max()
        assert change > 0.1 * spread, name
    # Training steps see the faces as given (a training call moves the
    # batch norm statistics: each call starts from the same weights).
    weights = model.get_weights()
    flipping = model(images, training=True)
    model.set_weights(weights)
    model.test_time_flip = False
    plain = model(images, training=True)
    model.set_weights(weights)
    model.test_time_flip = True
    for name in plain:
        np.testing.assert_allclose(flipping[name], plain[name], atol=1e-5)
    # Saved with the model; a model without it answers as before.
    path = os.path.join(tmp_path, "flip.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.test_time_flip is True
    reloaded = loaded.predict_on_batch(images)
    for name in both:
        np.testing.assert_allclose(reloaded[name], both[name], atol=1e-5)
    # load_dmtl_model may switch it for the loaded copy only.
    from keras_dmtl.models.load_model import load_dmtl_model

    assert load_dmtl_model(path, test_time_flip=False).test_time_flip is False
    assert load_dmtl_model(path).test_time_flip is True
    assert "test_time_flip" not in small_model().get_config()
    assert small_model().test_time_flip is False


def test_predict_attributes_decodes_every_task(faces):
    model = small_model()
    records = model.predict_attributes(faces.images[:3])
    assert len(records) == 3
    assert 0 <= records[0]["age"]["value"] <= 116
    assert records[0]["gender"]["label"] in ("male", "female")
    probabilities = records[0]["race"]["probabilities"]
    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-4)
    single = model.predict_attributes(faces.images[0])
    assert single[0]["gender"] == records[0]["gender"]


@pytest.mark.parametrize(
    "kwargs, branches",
    [
        ({}, []),
        ({"shared_stages": 5}, ["ordinal_stages", "nominal_stages"]),
        ({"shared_stages": 5, "branch_by": "task"},
         ["age_stages", "gender_stages", "race_stages"]),
        ({"shared_stages": 0}, ["ordinal_stages", "nominal_stages"]),
    ],
)
def test_split_point_duplicates_the_upper_stages(kwargs, branches):
    model = small_model(**kwargs)
    names = [layer.name for layer in model.layers]
    assert [n for n in names if n.endswith("_stages")] == branches
    assert "trunk" in names
    if branches:
        first = model.get_layer(branches[0])
        second = model.get_layer(branches[1])
        assert len(first.weights) == len(second.weights) > 0
        assert first.weights[0] is not second.weights[0]


def test_efficientnet_is_the_default_backbone():
    model = keras_dmtl.DMTLModel(synthetic_tasks(), image_size=32)
    assert model.backbone == "efficientnet_b0"
    assert any(layer.name.startswith("block7a")
               for layer in model.get_layer("trunk").layers)


def test_mobilenet_batch_norm_follows_fine_tuning():
    model = small_model()
    norms = [layer for layer in model.get_layer("trunk")._flatten_layers()
             if isinstance(layer, keras.layers.BatchNormalization)]
    assert norms and all(layer.momentum == 0.99 for layer in norms)


def test_uint8_images_are_accepted(faces):
    model = small_model()
    out_uint8 = model.predict(faces.images[:2], verbose=0)
    out_float = model.predict(faces.images[:2].astype("float32"), verbose=0)
    np.testing.assert_allclose(out_uint8["age"], out_float["age"], atol=1e-5)


def test_fixed_weighting_is_the_manual_baseline(faces):
    model = small_model(loss_weighting="fixed", task_weights=[0.5, 0.3, 0.2])
    model.compile(optimizer="sgd", run_eagerly=True)
    history = model.fit(faces.images[:16], {k: v[:16] for k, v in
                                            labels_of(faces).items()},
                        verbose=0)
    assert history.history["gender_beta"] == pytest.approx([0.3])
    assert model.weighting.trainable_weights == []


def test_imagenet_weights_load_into_every_branch():
    weights = shared_path("weights",
                          "mobilenet_v2_1.0_224_no_top_imagenet.weights.h5")
    reference = keras.applications.MobileNetV2(
        include_top=False, weights=weights, input_shape=(SIZE, SIZE, 3))
    model = keras_dmtl.DMTLModel(synthetic_tasks(), backbone="mobilenet_v2",
                                 weights=weights, image_size=SIZE,
                                 shared_stages=6)
    expected = np.array(reference.get_layer("Conv_1").kernel)
    for branch in ("ordinal_stages", "nominal_stages"):
        kernel = model.get_layer(branch).get_layer("Conv_1").kernel
        np.testing.assert_array_equal(np.array(kernel), expected)
    assert MOBILENET_WEIGHTS == weights


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"backbone": "resnet"}, ValueError, "Unknown backbone"),
        ({"weights": "/no/such/file.h5"}, FileNotFoundError, "no such file"),
        ({"shared_stages": 9}, ValueError, "shared_stages must be"),
        ({"branch_by": "kind"}, ValueError, "branch_by"),
    ],
)
def test_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        small_model(**kwargs)


def test_labels_without_a_task_fail_before_training(faces):
    model = small_model()
    model.compile(optimizer="sgd", run_eagerly=True)
    with pytest.raises(ValueError, match=r"no entry for task\(s\) \['race'\]"):
        labels = labels_of(faces, ("age", "gender"))
        model.fit(faces.images[:4], {k: v[:4] for k, v in labels.items()},
                  verbose=0)


def test_a_single_task_model_logs_task_prefixed_names(faces):
    model = keras_dmtl.DMTLModel(synthetic_tasks(("age",)), backbone=BACKBONE,
                                 image_size=SIZE)
    model.compile(optimizer="sgd", run_eagerly=True)
    history = model.fit(faces.images[:16], {"age": faces.labels["age"][:16]},
                        validation_split=0.5, verbose=0)
    assert {"age_accuracy", "age_mae", "age_loss", "age_beta",
            "val_age_mae"} <= set(history.history)


def test_duplicate_task_names_are_rejected():
    with pytest.raises(ValueError, match="unique"):
        keras_dmtl.DMTLModel([keras_dmtl.NominalTask("a", 2)] * 2,
                             backbone=BACKBONE, image_size=SIZE)
