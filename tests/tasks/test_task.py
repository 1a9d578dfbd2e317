import keras
import numpy as np
import pytest

from keras_dmtl import MultiLabelTask
from keras_dmtl import NominalTask
from keras_dmtl import OrdinalTask
from keras_dmtl import RegressionTask
from keras_dmtl import Task
from keras_dmtl.tasks import deserialize_tasks
from keras_dmtl.tasks import serialize_tasks


def test_tasks_serialize_and_restore():
    tasks = [
        OrdinalTask("age", ranks=range(0, 117)),
        OrdinalTask("age_group", cut_points=[3, 10, 20], rank_consistent=True),
        NominalTask("gender", ["male", "female"]),
        MultiLabelTask("aus", ["AU1", "AU12"], thresholds=[0.4, 0.6],
                       positive_weights=[2.0, 1.0]),
        RegressionTask("affect", ["valence", "arousal"], bounds=(-1, 1),
                       objective="mse"),
    ]
    restored = deserialize_tasks(serialize_tasks(tasks))
    assert restored == tasks
    assert restored[1].rank_consistent


def test_ordinal_ranks_decode_to_values():
    age = OrdinalTask("age", ranks=range(0, 117))
    assert age.num_ranks == 117
    logits = np.array([[5.0] * 30 + [-5.0] * 86])
    record = age.decode(logits)[0]
    assert record == {"value": 30, "label": "30", "index": 30}


def test_cut_points_define_groups():
    group = OrdinalTask("age_group", cut_points=[3, 10, 70])
    assert group.names == ["<3", "3-9", "10-69", "70+"]
    np.testing.assert_array_equal(group.label_index([0, 3, 9, 10, 80]),
                                  [0, 1, 1, 2, 3])
    assert group.decode(np.array([[1.0, -1.0, -1.0]]))[0]["label"] == "3-9"


def test_nominal_decode_gives_class_and_probabilities():
    gender = NominalTask("gender", ["male", "female"])
    record = gender.decode(np.array([[0.0, np.log(3.0)]]))[0]
    assert record["label"] == "female"
    assert record["probabilities"]["female"] == pytest.approx(0.75)


def test_chance_metrics_guess_the_training_majority():
    gender = NominalTask("gender", 2)
    chance = gender.chance_metrics(np.array([1, 1, 0, -1]),
                                   np.array([1, 0, 0, 0, -1]))
    assert chance == {"accuracy": pytest.approx(0.25)}
    age = OrdinalTask("age", ranks=range(0, 101))
    chance = age.chance_metrics(np.array([10, 20, 20, 90]),
                                np.array([20, 30]))
    # Mode 20, median 20: one exact hit, errors 0 and 10 years.
    assert chance == {"accuracy": 0.5, "mae": 5.0}


def test_losses_and_metrics_follow_the_task():
    age = OrdinalTask("age", ranks=[0, 10, 20])
    assert age.loss().edges == [10, 20]
    assert [m.name for m in age.metrics()] == ["accuracy", "mae"]
    head = age.build_head()
    assert tuple(head(np.zeros((1, 4), "float32")).shape) == (1, 2)
    assert isinstance(NominalTask("x", 3).build_head(), keras.layers.Dense)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: OrdinalTask("age"), "exactly one"),
        (lambda: OrdinalTask("age", ranks=[3, 2]), "strictly ascending"),
        (lambda: OrdinalTask("age", ranks=[-1, 0, 1]), "missing label"),
        (lambda: OrdinalTask("age", ranks=["a", "b"]), "must be numbers"),
        (lambda: OrdinalTask("age", ranks=[0, 1], rank_names=["x"]),
         "rank_names"),
        (lambda: NominalTask("gender", ["m"]), "at least 2"),
        (lambda: NominalTask("gender", ["m", "m"]), "repeated"),
        (lambda: NominalTask("not a name", 2), "identifier"),
    ],
)
def test_rejects_bad_specifications(make, message):
    with pytest.raises(ValueError, match=message):
        make()


EVERY_KIND = [
    OrdinalTask("age", ranks=range(0, 117)),
    OrdinalTask("age_group", cut_points=[3, 10, 20, 30, 40, 50, 60, 70]),
    NominalTask("gender", ["male", "female"]),
    MultiLabelTask("aus", ["AU1", "AU2", "AU12"], thresholds=[0.3, 0.5, 0.7]),
    RegressionTask("affect", ["valence", "arousal"], bounds=(-1, 1)),
]


@pytest.mark.parametrize("task", EVERY_KIND, ids=lambda t: t.name)
def test_every_kind_is_registered_and_described(task):
    assert Task.KINDS[task.kind] is type(task)
    entry = task.describe()
    assert entry["name"] == task.name and entry["kind"] == task.kind
    assert entry["outputs"] == task.output_names()
    assert Task.from_description(entry) == task


@pytest.mark.parametrize("task", EVERY_KIND, ids=lambda t: t.name)
def test_every_kind_has_labels_of_its_own_shape(task):
    missing = task.missing_labels(3)
    assert missing.shape == (3,) + task.label_shape
    assert str(missing.dtype) == task.label_dtype
    assert not task.annotated(missing).any()
    with pytest.raises(ValueError, match=f"labels of '{task.name}'"):
        task.as_labels(np.zeros((2, 5, 5)), 2, where="faces.csv")


@pytest.mark.parametrize("task", EVERY_KIND, ids=lambda t: t.name)
def test_answers_are_the_same_from_raw_and_from_outputs(task):
    raw = np.random.default_rng(0).normal(size=(4, _raw_width(task)))
    if task.kind == "regression":
        raw = np.tanh(raw)
    outputs = task.numpy_outputs(raw.astype("float32"))
    assert sorted(outputs) == sorted(task.output_names())
    assert task.decode(raw) == [task.answer(outputs, i) for i in range(4)]
    same, rule = task.agreement(outputs, outputs)
    assert same.all() and rule


def _raw_width(task):
    return {"ordinal": getattr(task, "num_ranks", 2) - 1,
            "nominal": getattr(task, "num_classes", 2),
            "multi_label": getattr(task, "num_labels", 1),
            "regression": getattr(task, "num_outputs", 1)}[task.kind]


def test_descriptions_of_the_previous_release_load():
    """model_info.json entries written before entries held a config."""
    age = Task.from_description({
        "name": "age", "kind": "ordinal", "values": [0.0, 1.0, 2.0],
        "labels": ["0", "1", "2"], "values_are_ranks": True})
    assert age == OrdinalTask("age", ranks=[0, 1, 2])
    group = Task.from_description({
        "name": "age_group", "kind": "ordinal",
        "values": [0.0, 1.0, 2.0], "labels": ["<3", "3-9", "10+"],
        "values_are_ranks": False})
    assert group == OrdinalTask("age_group", cut_points=[3, 10])
    custom = Task.from_description({
        "name": "stage", "kind": "ordinal", "values": [0.0, 1.0],
        "labels": ["young", "old"], "values_are_ranks": False})
    assert custom.names == ["young", "old"]
    assert custom.answer({"stage": np.array([1.0])}, 0)["label"] == "old"
    gender = Task.from_description({"name": "gender", "kind": "nominal",
                                    "labels": ["male", "female"]})
    assert gender == NominalTask("gender", ["male", "female"])
    with pytest.raises(ValueError, match="kind 'colour'"):
        Task.from_description({"name": "x", "kind": "colour"})


def test_a_track_is_summarised_per_task_kind():
    age = OrdinalTask("age", ranks=range(0, 117))
    # the median resists one bad frame; the nearest rank is the label
    summary = age.summarize([{"value": v} for v in (30, 31, 33, 90, 32)])
    assert summary["value"] == 32 and summary["label"] == "32"
    assert summary["interquartile"] == [31.0, 33.0] and summary["frames"] == 5

    gender = NominalTask("gender", ["male", "female"])
    # summed probability, not the vote: two unsure "male" frames lose to
    # one sure "female" frame
    frames = [{"probabilities": {"male": 0.55, "female": 0.45}},
              {"probabilities": {"male": 0.55, "female": 0.45}},
              {"probabilities": {"male": 0.01, "female": 0.99}}]
    summary = gender.summarize(frames)
    assert summary["label"] == "female" and summary["index"] == 1
    assert summary["probabilities"]["male"] == pytest.approx(1.11 / 3)

    aus = MultiLabelTask("aus", ["AU1", "AU12"], thresholds=[0.5, 0.3])
    summary = aus.summarize([{"probabilities": {"AU1": 0.6, "AU12": 0.2}},
                             {"probabilities": {"AU1": 0.2, "AU12": 0.5}}])
    assert summary["active"] == ["AU12"]  # 0.4 < 0.5; 0.35 >= 0.3
    assert aus.time_series and not gender.time_series

    affect = RegressionTask("affect", ["valence", "arousal"])
    summary = affect.summarize([{"valence": 0.2, "arousal": -0.5},
                                {"valence": 0.6, "arousal": -0.1}])
    assert summary["mean"] == {"valence": pytest.approx(0.4),
                               "arousal": pytest.approx(-0.3)}
    assert summary["std"]["valence"] == pytest.approx(0.2)
    assert affect.time_series


def test_a_kind_that_tunes_something_reads_answers_by_default():
    class Tuned(RegressionTask):  # a user's kind: calibrate, nothing else
        def calibrate(self, labels, outputs, options=None):
            return {"seen": float(np.mean(outputs[self.name]))}

    assert Tuned("affect", ["valence"]).calibration_reads_answers()
    assert not RegressionTask("affect", ["valence"]).calibration_reads_answers()
    assert not OrdinalTask("age", ranks=range(10)).calibration_reads_answers()
