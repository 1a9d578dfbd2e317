import numpy as np
import pytest

from keras_dmtl import OrdinalTask


def test_ages_in_a_table_count_completed_years_before_grouping():
    groups = OrdinalTask("age_group", cut_points=[3, 7, 14],
                         rank_names=["0-2", "3-6", "7-13", "14+"])
    # 2.6 years old is 2: rounding would put the face in the next group.
    assert groups.parse_cell("2.6") == 2
    assert groups.label_index([groups.parse_cell("2.6")]).tolist() == [0]
    assert groups.parse_cell("30.5") == 30
    with pytest.raises(ValueError, match="too large"):
        groups.parse_cell("1e20")
    with pytest.raises(ValueError, match="negative"):
        groups.parse_cell("-3")


def test_fractional_ranks_are_refused():
    age = OrdinalTask("age", ranks=range(0, 117))
    assert age.parse_cell("31") == 31
    with pytest.raises(ValueError, match="not one of the ranks 0..116"):
        age.parse_cell("30.5")


# === Decoding: counting thresholds, or the expected rank ===

def _logits(probabilities):
    p = np.asarray(probabilities, "float64")
    return np.log(p / (1 - p))[None].astype("float32")


def _decode(task, probabilities):
    return task.decode(_logits(probabilities))[0]


def test_both_decodings_against_hand_values():
    count = OrdinalTask("age", ranks=[10, 20, 30, 40, 50])
    expected = OrdinalTask("age", ranks=[10, 20, 30, 40, 50],
                           decoding="expected")
    # Two thresholds above 0.5: rank 1 + 2, index 2, 30 years. Expected
    # index 0.9 + 0.6 + 0.4 + 0.1 = 2.0: the same rank, 10 + 2.0 * 10.
    assert _decode(count, [0.9, 0.6, 0.4, 0.1]) == {
        "value": 30, "label": "30", "index": 2}
    answer = _decode(expected, [0.9, 0.6, 0.4, 0.1])
    assert answer["value"] == pytest.approx(30.0, abs=1e-5)
    assert isinstance(answer["value"], float)
    assert (answer["label"], answer["index"]) == ("30", 2)
    # Two thresholds just below 0.5 move the expected rank, not the count:
    # 0.9 + 0.8 + 0.45 + 0.4 = 2.55 -> 10 + 25.5 = 35.5 years, nearest 40.
    noisy = [0.9, 0.8, 0.45, 0.4]
    assert _decode(count, noisy) == {"value": 30, "label": "30", "index": 2}
    answer = _decode(expected, noisy)
    assert answer["value"] == pytest.approx(35.5, abs=1e-5)
    assert (answer["label"], answer["index"]) == ("40", 3)
    assert expected.numpy_outputs(_logits(noisy))["age"] == pytest.approx(
        [35.5], abs=1e-5)
    assert expected.predict_index(_logits(noisy)).tolist() == [3]
    assert count.predict_index(_logits(noisy)).tolist() == [2]


def test_expected_decoding_of_uneven_ranks_interpolates_neighbours():
    # Expected index 0.9 + 0.8 + 0.45 + 0.4 = 2.55: 55 % of the way from
    # rank 2 (6) to rank 3 (13): 6 + 0.55 * 7 = 9.85, nearest rank 13.
    task = OrdinalTask("stage", ranks=[0, 2, 6, 13, 20], decoding="expected")
    answer = _decode(task, [0.9, 0.8, 0.45, 0.4])
    assert answer["value"] == pytest.approx(9.85, abs=1e-5)
    assert (answer["label"], answer["index"]) == ("13", 3)
    # 2.45 of the way: 6 + 0.45 * 7 = 9.15, nearest rank 6.
    answer = _decode(task, [0.9, 0.8, 0.4, 0.35])
    assert answer["value"] == pytest.approx(9.15, abs=1e-5)
    assert (answer["label"], answer["index"]) == ("6", 2)


def test_expected_decoding_of_age_groups():
    # Adience's groups: the value is the expected group index.
    cuts = [3, 8, 15, 25, 38, 48, 60]
    count = OrdinalTask("age_group", cut_points=cuts)
    expected = OrdinalTask("age_group", cut_points=cuts, decoding="expected")
    noisy = [0.99, 0.95, 0.9, 0.45, 0.45, 0.45, 0.3]
    assert count.names[3:5] == ["15-24", "25-37"]
    assert _decode(count, noisy) == {"value": 3, "label": "15-24",
                                     "index": 3}
    # 0.99 + 0.95 + 0.9 + 3 * 0.45 + 0.3 = 4.49, nearest group 4.
    answer = _decode(expected, noisy)
    assert answer["value"] == pytest.approx(4.49, abs=1e-5)
    assert (answer["label"], answer["index"]) == ("25-37", 4)


def test_a_tie_goes_to_the_lower_rank_in_answers_and_metrics():
    from keras_dmtl.layers import ordinal_rank

    task = OrdinalTask("age", ranks=range(5), decoding="expected")
    logits = np.array([[30.0, 30.0, 0.0, -30.0]], "float32")  # 1 + 1 + 0.5
    assert task.numpy_outputs(logits)["age"].tolist() == [2.5]
    assert task.decode(logits)[0]["index"] == 2
    assert np.asarray(ordinal_rank(logits, "expected")).tolist() == [2]


def test_decoding_is_configured_and_described():
    from keras_dmtl import Task
    from keras_dmtl.tasks import deserialize_tasks
    from keras_dmtl.tasks import serialize_tasks

    task = OrdinalTask("age", ranks=range(0, 117), decoding="expected")
    assert task.get_config()["decoding"] == "expected"
    assert OrdinalTask.from_config(task.get_config()) == task
    assert deserialize_tasks(serialize_tasks([task])) == [task]
    entry = task.describe()
    assert entry["decoding"] == "expected"
    assert "expected" in entry["answer"]
    assert Task.from_description(entry).decoding == "expected"
    assert task != OrdinalTask("age", ranks=range(0, 117))
    # Configs and entries written before the option decode by counting.
    config = task.get_config()
    del config["decoding"]
    assert OrdinalTask.from_config(config).decoding == "count"
    old = {key: value for key, value in entry.items()
           if key not in ("config", "decoding")}
    assert Task.from_description(old) == OrdinalTask("age",
                                                     ranks=range(0, 117))
    assert OrdinalTask("age", ranks=[0, 1]).describe()["decoding"] == "count"


def test_decoding_of_a_trained_task_can_change():
    task = OrdinalTask("age", ranks=[10, 20, 30, 40, 50])
    task.decoding = "expected"
    assert _decode(task, [0.9, 0.8, 0.45, 0.4])["index"] == 3
    assert [m.decoding for m in task.metrics()] == ["expected", "expected"]
    with pytest.raises(ValueError, match="decoding must be one of"):
        task.decoding = "mean"
    with pytest.raises(ValueError, match="decoding must be one of"):
        OrdinalTask("age", ranks=[0, 1], decoding="median")
    # The labels read the same whatever the decoding.
    assert task.labels_match(OrdinalTask("age", ranks=[10, 20, 30, 40, 50]))
    assert not task.labels_match(OrdinalTask("age", ranks=[10, 20, 30]))


def test_the_decodings_are_the_metrics_decodings():
    from keras_dmtl.layers.ordinal_head import DECODINGS
    from keras_dmtl.tasks.ordinal_task import DECODERS

    assert sorted(DECODERS) == sorted(DECODINGS)


def test_groups_agree_on_the_nearest_group_and_scores_follow_decoding():
    task = OrdinalTask("age_group", cut_points=[3, 10, 20],
                       decoding="expected")
    reference = {"age_group": np.array([1.2, 2.51, 0.49], "float32")}
    outputs = {"age_group": np.array([1.2001, 2.49, 0.4899], "float32")}
    same, rule = task.agreement(reference, outputs)
    assert same.tolist() == [True, False, True] and rule == "same group"
    # Labels (ages) in groups 1, 2, 0; the nearest groups 1, 3, 0; the
    # errors |1.2 - 1|, |2.51 - 2|, |0.49 - 0| in groups.
    scores = task.scores(np.array([5, 12, 1]), reference)
    assert scores["accuracy"] == pytest.approx(2 / 3)
    assert scores["mae"] == pytest.approx((0.2 + 0.51 + 0.49) / 3, abs=1e-5)
