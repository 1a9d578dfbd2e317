import os

import numpy as np
import pytest

import keras
from keras_dmtl import MultiLabelTask
from keras_dmtl import NominalTask
from keras_dmtl.coupling import TaskRelatedness
from keras_dmtl.data import CKPLUS_ACTION_UNITS
from keras_dmtl.data import EXPRESSIONS
from keras_dmtl.data import FaceExamples


def hand_examples():
    tasks = [NominalTask("expression", ["happy", "sad", "neutral"]),
             MultiLabelTask("aus", labels=["AU1", "AU12"])]
    labels = {
        "expression": [0, 0, 0, 1, 1, -1, 0],
        "aus": [[0, 1], [1, 1], [-1, 0], [1, 0], [1, -1], [1, 1],
                [-1, -1]],
    }
    return FaceExamples("t", tasks, labels,
                        images=np.zeros((7, 8, 8, 3), "uint8"))


def test_from_examples_counts_faces_label_by_label():
    table = TaskRelatedness.from_examples(hand_examples(), "expression",
                                          "aus")
    # happy: AU1 annotated on faces 0, 1 (one present); AU12 on 0, 1, 2
    # (two present). sad: AU1 on 3, 4 (both); AU12 on 3 (absent).
    # neutral: no face. The unlabelled-expression face 5 and the face 6
    # without annotated AUs count nowhere.
    np.testing.assert_array_equal(table.counts, [[2, 3], [2, 1], [0, 0]])
    np.testing.assert_allclose(table.matrix,
                               [[0.5, 2 / 3], [1.0, 0.0], [0.0, 0.0]])
    assert table.classes == ["happy", "sad", "neutral"]
    assert table.labels == ["AU1", "AU12"]


def test_from_examples_names_a_missing_task():
    with pytest.raises(ValueError, match="action_units"):
        TaskRelatedness.from_examples(hand_examples(), target="action_units")


def test_du2014_loads_the_published_table():
    table = TaskRelatedness.du2014()
    assert table.matrix.shape == (7, 17)
    assert table.classes == EXPRESSIONS
    assert table.labels == CKPLUS_ACTION_UNITS
    assert "AU11" not in table.labels
    assert table.probability("happy", "AU12") == 1.0
    assert table.probability("sad", "AU17") == 0.67
    assert table.probability("surprise", "AU10") == 0.0
    np.testing.assert_array_equal(
        table.matrix[table.classes.index("neutral")], 0.0)
    assert "Du" in table.citation and table.counts is None


def test_du2014_csv_is_package_data():
    from keras_dmtl.coupling import task_relatedness

    assert os.path.isfile(task_relatedness.DU2014_FILE)
    import configparser

    setup = configparser.ConfigParser()
    setup.read(os.path.join(os.path.dirname(__file__), "..", "..",
                            "setup.cfg"))
    patterns = setup["options.package_data"]["keras_dmtl"].split()
    assert "coupling/*.csv" in patterns


@pytest.mark.parametrize("matrix, message", [
    ([[1.5, 0.0], [0.0, 0.0]], r"P\(AU1 \| a\) \(row 0, column 0\) is 1.5"),
    ([[0.0, 0.0], [0.0, np.nan]], r"P\(AU2 \| b\) .* is NaN"),
    ([[0.0, -0.1], [0.0, 0.0]], r"P\(AU2 \| a\) .* is -0.1"),
    ([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], r"shape \(2, 3\).*\(2, 2\)"),
    ([0.5, 0.5], r"shape \(2,\)"),
])
def test_bad_tables_raise_at_construction(matrix, message):
    with pytest.raises(ValueError, match=message):
        TaskRelatedness("e", "aus", ["a", "b"], ["AU1", "AU2"], matrix)


def test_repeated_names_raise():
    with pytest.raises(ValueError, match=r"\['a'\] repeat"):
        TaskRelatedness("e", "aus", ["a", "a"], ["AU1"], [[0.0], [1.0]])
    with pytest.raises(ValueError, match=r"\['AU1'\] repeat"):
        TaskRelatedness("e", "aus", ["a"], ["AU1", "AU1"], [[0.0, 1.0]])


def test_bad_counts_raise():
    with pytest.raises(ValueError, match=r"counts at P\(AU1 \| a\).* -1"):
        TaskRelatedness("e", "aus", ["a"], ["AU1"], [[0.5]], counts=[[-1]])


def test_for_tasks_reorders_rows_and_columns():
    table = TaskRelatedness.du2014()
    expression = NominalTask("expression", ["neutral", "happy", "sad"])
    aus = MultiLabelTask("aus", labels=["AU17", "AU12", "AU6"])
    aligned = table.for_tasks(expression, aus)
    np.testing.assert_allclose(aligned.matrix, [[0, 0, 0], [0, 1, 0.51],
                                                [0.67, 0, 0.5]])
    assert aligned.classes == ["neutral", "happy", "sad"]


def test_for_tasks_names_what_the_table_lacks():
    table = TaskRelatedness.du2014()
    aus = MultiLabelTask("aus", labels=["AU12", "AU43", "AU11"])
    with pytest.raises(ValueError, match=r"\['contempt'\]"):
        table.for_tasks(NominalTask("expression", ["happy", "contempt"]),
                        MultiLabelTask("aus", labels=["AU12"]))
    with pytest.raises(ValueError, match=r"\['AU43', 'AU11'\].*missing=0.0"):
        table.for_tasks(NominalTask("expression", ["happy", "sad"]), aus)
    aligned = table.for_tasks(NominalTask("expression", ["happy", "sad"]),
                              aus, missing=0.0)
    np.testing.assert_allclose(aligned.matrix, [[1, 0, 0], [0, 0, 0]])
    with pytest.raises(ValueError, match="task 'emotion'"):
        table.for_tasks(NominalTask("emotion", ["happy", "sad"]), aus)


def test_config_round_trip_and_heatmap(tmp_path):
    table = TaskRelatedness.from_examples(hand_examples())
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(table))
    assert restored == table
    np.testing.assert_array_equal(restored.counts, table.counts)
    path = os.path.join(tmp_path, "du2014.png")
    TaskRelatedness.du2014().heatmap(path)
    assert os.path.getsize(path) > 1000
