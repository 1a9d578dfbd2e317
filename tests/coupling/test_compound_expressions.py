import math
import os

import keras
import numpy as np
import pytest

import keras_dmtl
from keras_dmtl import MultiLabelTask
from keras_dmtl import NominalTask
from keras_dmtl.coupling import CompoundExpressions
from keras_dmtl.coupling import CompoundHead
from keras_dmtl.coupling import compound_answers
from keras_dmtl.coupling.compound_expressions import DU2014_COMPOUNDS_FILE
from keras_dmtl.data import ACTION_UNITS
from keras_dmtl.data import CKPLUS_ACTION_UNITS
from keras_dmtl.data import EXPRESSIONS
from keras_dmtl.data import SyntheticFaces
from keras_dmtl.data import synthetic_tasks

SIZE = 32


def ckplus_compounds(**kwargs):
    return CompoundExpressions.for_tasks(
        MultiLabelTask("aus", CKPLUS_ACTION_UNITS),
        NominalTask("expression", EXPRESSIONS), **kwargs)


def aus_on(compounds, *numbers, on=0.99, off=0.01):
    names = [f"AU{n}" for n in numbers]
    return np.array([[on if a in names else off
                      for a in compounds.action_units]])


# === Zero-shot ===

def test_du2014_table_is_package_data_with_its_source():
    with open(DU2014_COMPOUNDS_FILE) as handle:
        header = handle.read()
    assert "doi:10.1073/pnas.1322355111" in header
    assert "jmgirard/facs" in header
    rows = {row["name"]: row for row in CompoundExpressions.du2014_compounds()}
    assert len(rows) == 15
    assert rows["happily surprised"] == {
        "name": "happily surprised", "expressions": ["happy", "surprise"],
        "prototypical": ["AU1", "AU2", "AU12", "AU25"],
        "variants": ["AU5", "AU26"]}
    assert rows["fearfully disgusted"]["variants"] == [
        "AU2", "AU5", "AU6", "AU9", "AU15"]
    for name, pair in (("appalled", ["disgust", "angry"]),
                       ("hatred", ["disgust", "angry"]),
                       ("awed", ["fear", "surprise"])):
        assert rows[name]["expressions"] == pair


@pytest.mark.parametrize("numbers, expected", [
    ((1, 2, 12, 25), "happily surprised"),
    ((4, 10, 17), "angrily disgusted"),
    ((1, 2, 5, 10), "disgustedly surprised"),
])
def test_zero_shot_names_the_compound_of_its_action_units(numbers,
                                                          expected):
    compounds = ckplus_compounds()
    answer, = compounds.answer(aus_on(compounds, *numbers))
    assert answer["label"] == expected
    assert list(answer["scores"]) == compounds.names
    assert max(answer["scores"], key=answer["scores"].get) == expected
    assert sum(answer["scores"].values()) == pytest.approx(1.0, abs=1e-5)


def test_basic_expressions_tip_compounds_of_the_same_action_units():
    compounds = ckplus_compounds()
    p = aus_on(compounds, 4, 10)  # prototypical in 4 compounds
    assert compounds.answer(p)[0]["label"] == "appalled"
    q = np.full((1, 7), 0.02)
    q[0, [EXPRESSIONS.index("sad"), EXPRESSIONS.index("disgust")]] = 0.45
    assert compounds.answer(p, q)[0]["label"] == "sadly disgusted"
    free = ckplus_compounds(expression_weight=0.0)
    np.testing.assert_allclose(free.scores(p, q), compounds.scores(p))


def test_log_score_by_hand():
    compounds = CompoundExpressions(
        ["AU1", "AU4", "AU12"], expressions=["happy", "sad", "surprise"],
        compounds=[
            {"name": "x", "expressions": ["happy", "surprise"],
             "prototypical": ["AU12"], "variants": [1]},
            {"name": "y", "expressions": ["sad", "surprise"],
             "prototypical": "4", "variants": []}])
    p, q = [0.5, 0.2, 0.9], [0.6, 0.1, 0.3]
    # theta: x = (0.5 variant, 0.2 other, 0.95 prototypical),
    #        y = (0.2 other, 0.95 prototypical, 0.2 other).
    x = (0.5 * math.log(0.5) + 0.5 * math.log(0.5)
         + 0.2 * math.log(0.2) + 0.8 * math.log(0.8)
         + 0.9 * math.log(0.95) + 0.1 * math.log(0.05)
         + (math.log(0.6) + math.log(0.3)) / 2)
    y = (0.5 * math.log(0.2) + 0.5 * math.log(0.8)
         + 0.2 * math.log(0.95) + 0.8 * math.log(0.05)
         + 0.9 * math.log(0.2) + 0.1 * math.log(0.8)
         + (math.log(0.1) + math.log(0.3)) / 2)
    np.testing.assert_allclose(compounds.log_scores(p, q), [[x, y]])
    np.testing.assert_allclose(
        compounds.scores(p, q),
        [[1 / (1 + math.exp(y - x)), 1 / (1 + math.exp(x - y))]])
    answer, = compounds.answer(p, q)
    assert answer == {"label": "x", "scores": {
        "x": round(1 / (1 + math.exp(y - x)), 6),
        "y": round(1 / (1 + math.exp(x - y)), 6)}}


def test_action_units_the_task_lacks_are_left_out_with_a_note():
    compounds = ckplus_compounds()
    assert compounds.dropped == {name: ["AU11"] for name in (
        "sadly angry", "sadly disgusted", "fearfully angry",
        "fearfully surprised")}
    assert any(note.startswith("sadly angry: variants AU11")
               for note in compounds.notes)
    row = compounds.template[compounds.names.index("sadly angry")]
    assert sorted(np.unique(row)) == [0.2, 0.5, 0.95]
    assert compounds.variants[compounds.names.index("sadly angry")] == [
        "AU6", "AU7", "AU17"]


@pytest.mark.parametrize("kwargs, message", [
    ({"compounds": [{"name": "x", "expressions": ["happy", "sad"],
                     "prototypical": ["AU12", "smile"]}]},
     r"compound 'x': 'smile' is not an action unit name"),
    ({"expressions": ["anger", "disgust", "fear", "happiness", "sadness",
                      "surprise"]},
     r"compound 'happily surprised' combines \['happy'\], not classes"),
    ({"action_units": ["AU1", "AU2"]},
     r"compound 'happily disgusted': none of its prototypical action units"),
    ({"compounds": [{"name": "x", "expressions": ["happy", "sad"],
                     "prototypical": [12], "variants": ["AU12"]}]},
     r"compound 'x': \['AU12'\] are both prototypical and variants"),
    ({"compounds": [{"name": "x", "expressions": ["happy", "happy"],
                     "prototypical": [12]}]},
     r"compound 'x' must combine two different basic expressions"),
    ({"other_probability": 1.0}, r"other_probability must lie in \(0, 1\)"),
])
def test_bad_tables_raise_one_line_errors(kwargs, message):
    kwargs.setdefault("action_units", CKPLUS_ACTION_UNITS)
    kwargs.setdefault("expressions", EXPRESSIONS)
    with pytest.raises(ValueError, match=message):
        CompoundExpressions(**kwargs)


def test_bad_probabilities_raise():
    compounds = CompoundExpressions(CKPLUS_ACTION_UNITS)
    with pytest.raises(ValueError, match=r"shape \(1, 3\)"):
        compounds.scores([[0.5, 0.5, 0.5]])
    with pytest.raises(ValueError, match="of face 0, AU2, is 1.5"):
        compounds.scores([[0.5, 1.5] + [0.5] * 15])
    with pytest.raises(ValueError, match="know no expression classes"):
        compounds.scores(np.full(17, 0.5), np.full(7, 1 / 7))


def test_config_round_trip_keeps_the_scores():
    compounds = ckplus_compounds(variant_probability=0.4)
    restored = CompoundExpressions.from_config(compounds.get_config())
    assert restored.get_config() == compounds.get_config()
    p, q = np.random.default_rng(0).random((2, 4, 17))[0], np.full((4, 7),
                                                                   1 / 7)
    np.testing.assert_allclose(restored.scores(p, q), compounds.scores(p, q))


# === Few-shot, and the answers of a model ===

@pytest.fixture(scope="module")
def support():
    """Dark faces of one compound and bright faces of another."""
    faces = SyntheticFaces(16, SIZE, seed=3).images // 4
    faces[8:] += 190
    labels = np.array(["awed"] * 8 + ["hatred"] * 8)
    pick = np.r_[0:4, 8:12]  # K = 4 per class; the others are held out
    held_out = np.setdiff1d(np.arange(16), pick)
    return faces[pick], labels[pick], faces[held_out], labels[held_out]


def tiny_model(**kwargs):
    # An untrained trunk's features are faint; a seed keeps them the same.
    keras.utils.set_random_seed(0)
    return keras_dmtl.DMTLModel(
        synthetic_tasks(["expression", "action_units"]),
        backbone="mobilenet_v2_0.35", image_size=SIZE, **kwargs)


@pytest.mark.parametrize("method", ["class_mean", "logistic"])
def test_few_shot_head_separates_two_classes(support, method):
    images, labels, held_images, held_labels = support
    model = tiny_model()
    head = CompoundHead(method=method).fit(model, images, labels)
    assert model.compound_head is head
    assert head.classes == ["awed", "hatred"] and head.branch == "shared"
    answers = head.decode(head.predict(model, held_images))
    assert [a["label"] for a in answers] == list(held_labels)


def test_few_shot_head_survives_save_and_load(support, tmp_path):
    images, labels, held_images, _ = support
    model = tiny_model()
    model.compile(run_eagerly=True)  # no tracing: a few seconds
    assert model.compound_head is None
    assert "compound_head" not in model.get_config()
    before = model.predict_attributes(held_images)
    head = CompoundHead(["hatred", "awed"]).fit(model, images, labels)
    assert model.predict_attributes(held_images) == before
    expected = head.predict(model, held_images)
    path = os.path.join(tmp_path, "m.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.run_eagerly
    assert isinstance(loaded.compound_head, CompoundHead)
    assert loaded.get_config() == model.get_config()
    np.testing.assert_allclose(
        loaded.compound_head.predict(loaded, held_images), expected,
        rtol=1e-5, atol=1e-6)

    compounds = CompoundExpressions.for_model(loaded,
                                              action_units="action_units")
    records = compound_answers(loaded, held_images, compounds)
    assert [r["compound_expression_few_shot"]["label"] for r in records] == (
        ["hatred" if p[0] > p[1] else "awed" for p in expected])
    for record, plain in zip(records, before):
        assert {k: record[k] for k in plain} == plain
        assert record["compound_expression"]["label"] in compounds.names


def test_compound_answers_of_a_flipping_model_match_its_own(support):
    images, labels, held_images, _ = support
    model = tiny_model()
    model.compile(run_eagerly=True)
    head = CompoundHead(["hatred", "awed"]).fit(model, images, labels)
    held_images = np.array(held_images)
    held_images[:, :, : SIZE // 3] //= 3  # lit from one side
    model.test_time_flip = True
    raw = model.predict(held_images, verbose=0)
    records = compound_answers(model, held_images)
    # The tasks answer as the model does: over the face and its mirror.
    for task in model.tasks:
        for record, answer in zip(records, task.decode(raw[task.name])):
            assert record[task.name] == answer
    # The few-shot head reads the features of both, averaged.
    pooled = keras.Model(model.input, model.get_layer("shared_pool").output)
    features = (pooled.predict(held_images, verbose=0)
                + pooled.predict(held_images[:, :, ::-1], verbose=0)) / 2
    expected = head.decode(head.probabilities(features))
    assert [r["compound_expression_few_shot"]["label"] for r in records] == [
        a["label"] for a in expected]


def test_compound_answers_read_the_aus_and_expression_tasks(support):
    tasks = [NominalTask("expression", EXPRESSIONS),
             MultiLabelTask("aus", ACTION_UNITS)]
    model = keras_dmtl.DMTLModel(tasks, backbone="mobilenet_v2_0.35",
                                 image_size=SIZE)
    model.compile(run_eagerly=True)
    records = compound_answers(model, support[2])
    raw = model.predict(support[2], verbose=0)
    p, q = (task.numpy_outputs(raw[task.name])[f"{task.name}_probabilities"]
            for task in (tasks[1], tasks[0]))
    expected = CompoundExpressions.for_model(model).scores(p, q)
    for record, row in zip(records, expected):
        assert set(record) == {"expression", "aus", "compound_expression"}
        answer = record["compound_expression"]
        np.testing.assert_allclose(list(answer["scores"].values()), row,
                                   atol=1e-6)


def test_compound_answers_need_an_action_unit_task_or_a_head(support):
    model = tiny_model()
    with pytest.raises(ValueError, match="no task 'aus' and no compound "
                                         "head"):
        compound_answers(model, support[0])


@pytest.mark.parametrize("labels, kwargs, message", [
    (["awed"] * 4 + ["calm"] * 4, {"classes": ["awed", "hatred"]},
     r"'calm' is not one of the head's classes"),
    (["awed"] * 8, {"classes": ["awed", "hatred"]},
     r"classes \['hatred'\] have no labelled face"),
    ([0, 1] * 4, {}, "give the labels as class names"),
    (["awed", "hatred"] * 4, {"branch": "ordinal"},
     r"no branch 'ordinal'; the model's branches are \['shared'\]"),
])
def test_bad_few_shot_labels_raise(support, labels, kwargs, message):
    with pytest.raises(ValueError, match=message):
        CompoundHead(**kwargs).fit(tiny_model(), support[0], labels)
