import numpy as np
import pytest

from keras_dmtl import MultiLabelTask
from keras_dmtl import NominalTask
from keras_dmtl import RegressionTask
from keras_dmtl.data import FaceExamples

AUS = MultiLabelTask("aus", labels=["AU1", "AU4", "AU12"])
AFFECT = RegressionTask("affect", outputs=["valence", "arousal"],
                        bounds=(-1, 1))
EXPRESSION = NominalTask("expression", 7)


def _examples():
    return FaceExamples(
        "ck", [AUS, EXPRESSION],
        {"aus": [[1, 0, 1], [0, -1, 0], [1, 1, 1], [0, 0, 0]],
         "expression": [0, 3, -1, 6]},
        paths=["a.png", "b.png", "c.png", "d.png"])


def test_labels_take_each_tasks_shape_and_dtype():
    examples = _examples()
    assert examples.labels["aus"].shape == (4, 3)
    assert examples.labels["aus"].dtype == np.int32
    part = examples.subset([3, 1])
    assert part.labels["aus"].tolist() == [[0, 0, 0], [0, -1, 0]]
    assert part.labels["expression"].tolist() == [6, 3]
    assert part.paths == ["d.png", "b.png"]


def test_wrong_label_shapes_and_values_name_the_task():
    with pytest.raises(ValueError) as error:
        FaceExamples("ck", [AUS], {"aus": [[1, 0], [0, 1]]},
                     paths=["a.png", "b.png"])
    assert str(error.value) == (
        "ck: labels of 'aus' have shape (2, 2); a multi_label task with 3 "
        "labels expects (2, 3)")
    with pytest.raises(ValueError, match=r"labels of 'expression' have "
                                         r"shape \(3,\).*expects \(2,\)"):
        FaceExamples("fer", [EXPRESSION], {"expression": [1, 2, 3]},
                     paths=["a.png", "b.png"])
    with pytest.raises(ValueError, match="'aus' label AU4 of example 1 is 2"):
        FaceExamples("ck", [AUS], {"aus": [[1, 0, 1], [0, 2, 0]]},
                     paths=["a.png", "b.png"])
    with pytest.raises(ValueError, match="valence of example 0 is 3.0"):
        FaceExamples("va", [AFFECT], {"affect": [[3.0, 0.0]]},
                     paths=["a.png"])


def test_labels_for_fills_missing_tasks_by_kind():
    examples = _examples()
    labels = examples.labels_for([AUS, AFFECT, NominalTask("gender", 2)])
    assert labels["aus"].shape == (4, 3)
    assert labels["affect"].shape == (4, 2)
    assert labels["affect"].dtype == np.float32
    assert np.isnan(labels["affect"]).all()
    assert labels["gender"].tolist() == [-1] * 4
    # Names still work; a name the examples lack is a -1 int32 vector.
    named = examples.labels_for(["expression", "age"])
    assert named["expression"].tolist() == [0, 3, -1, 6]
    assert named["age"].dtype == np.int32 and named["age"].tolist() == [-1] * 4


def test_labels_for_a_model_task_of_another_shape_is_an_error():
    other = MultiLabelTask("aus", labels=["AU1", "AU2", "AU4", "AU12"])
    with pytest.raises(ValueError, match=r"ck, for the model's task: labels "
                                         r"of 'aus' have shape \(4, 3\)"):
        _examples().labels_for([other])
