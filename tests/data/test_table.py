import numpy as np
import pandas as pd
import pytest

from keras_dmtl import MultiLabelTask
from keras_dmtl import NominalTask
from keras_dmtl import OrdinalTask
from keras_dmtl import RegressionTask
from keras_dmtl.data import BadInputError
from keras_dmtl.data import FaceExamples
from keras_dmtl.data import read_fairface
from keras_dmtl.data import read_table
from tests.conftest import write_image


def test_dataframe_with_names_indices_and_blanks(tmp_path):
    for name in "abcdef":
        write_image(tmp_path / f"{name}.png")
    frame = pd.DataFrame({
        "image": [f"{n}.png" for n in "abcdef"] + ["missing.png"],
        "gender": ["female", "0", "", "male", "7", "1", "1"],
        "age": [30, 40, 50, float("nan"), 20, 200, 10],
    })
    tasks = [NominalTask("gender", ["male", "female"]),
             OrdinalTask("age", ranks=range(0, 117))]
    examples = read_table(frame, "image", tasks, image_root=str(tmp_path))
    assert examples.labels["gender"].tolist() == [1, 0, -1, 0]
    assert examples.labels["age"].tolist() == [30, 40, 50, -1]
    reasons = [r for _, r in examples.report.skipped]
    assert any("field gender: class index 7" in r for r in reasons)
    assert any("field age: 200.0 is not one of the ranks" in r for r in reasons)
    assert any("missing file" in r for r in reasons)
    assert examples.report.unannotated == {"gender": 1, "age": 1}
    with pytest.raises(BadInputError, match="row 6: field gender"):
        read_table(frame, "image", tasks, image_root=str(tmp_path),
                   strict=True)


def test_missing_column_is_a_clear_error(tmp_path):
    frame = pd.DataFrame({"path": ["a.png"]})
    with pytest.raises(ValueError, match=r"missing column\(s\) \['gender'\]"):
        read_table(frame, "path", [NominalTask("gender", 2)])


def test_fairface_csv(tmp_path):
    (tmp_path / "train").mkdir()
    for i in range(1, 4):
        write_image(tmp_path / "train" / f"{i}.jpg")
    (tmp_path / "labels.csv").write_text(
        "file,age,gender,race,service_test\n"
        "train/1.jpg,50-59,Male,East Asian,True\n"
        "train/2.jpg,more than 70,Female,Indian,False\n"
        "train/3.jpg,ancient,Female,Indian,False\n")
    examples = read_fairface(str(tmp_path / "labels.csv"))
    assert examples.labels["age_group"].tolist() == [6, 8]
    assert examples.labels["gender"].tolist() == [0, 1]
    assert examples.labels["race"].tolist() == [3, 5]
    assert "field age: 'ancient' is not a number" in (
        examples.report.skipped[0][1])


def _multi_kind_tasks():
    return [MultiLabelTask("aus", labels=["AU1", "AU4", "AU12"]),
            RegressionTask("affect", outputs=["valence", "arousal"],
                           bounds=(-1, 1))]


def test_multi_label_and_regression_columns(tmp_path):
    for name in "abcdef":
        write_image(tmp_path / f"{name}.png")
    (tmp_path / "labels.csv").write_text(
        "image,AU1,AU4,AU12,v,a\n"
        "a.png,1,0,,-1,0.5\n"
        "b.png,1,2,0,0.1,0.2\n"
        "c.png,0,0,1,3,0.2\n"
        "d.png,0,0,1,inf,0.2\n"
        "e.png,,,,,\n"
        "f.png,1.0,0,0,0.25,abc\n")
    tasks = _multi_kind_tasks()
    columns = {"affect": ["v", "a"]}
    examples = read_table(str(tmp_path / "labels.csv"), "image", tasks,
                          columns=columns)
    assert examples.labels["aus"].tolist() == [[1, 0, -1], [-1, -1, -1]]
    affect = examples.labels["affect"]
    assert affect.dtype == np.float32 and affect.shape == (2, 2)
    np.testing.assert_array_equal(affect[0], [-1, 0.5])
    assert np.isnan(affect[1]).all()
    assert examples.report.skipped == [
        ("labels.csv row 3", "field AU4: '2' is not 1, 0 or blank"),
        ("labels.csv row 4", "field v: 3 is outside [-1, 1]"),
        ("labels.csv row 5", "field v: inf is outside [-1, 1]"),
        ("labels.csv row 7", "field a: 'abc' is not a number"),
    ]
    assert examples.report.unannotated == {"aus": 1, "affect": 1}
    with pytest.raises(BadInputError,
                       match=r"labels.csv row 3: field AU4: '2'"):
        read_table(str(tmp_path / "labels.csv"), "image", tasks,
                   columns=columns, strict=True)


def test_every_missing_column_is_listed(tmp_path):
    frame = pd.DataFrame({"path": ["a.png"], "AU4": ["1"]})
    with pytest.raises(ValueError) as error:
        read_table(frame, "image", _multi_kind_tasks())
    message = str(error.value)
    assert ("missing column(s) ['image', 'AU1', 'AU12', 'valence', "
            "'arousal']") in message
    assert "task 'aus' reads ['AU1', 'AU4', 'AU12']" in message
    assert "it has ['path', 'AU4']" in message


def test_to_csv_round_trips_every_kind(tmp_path):
    paths = [write_image(tmp_path / f"{i}.png") for i in range(3)]
    tasks = [OrdinalTask("age", ranks=range(0, 117)),
             NominalTask("gender", ["male", "female"])] + _multi_kind_tasks()
    labels = {
        "age": [30, -1, 7],
        "gender": [1, 0, -1],
        "aus": [[1, 0, -1], [0, 0, 0], [-1, -1, -1]],
        "affect": [[0.1, -1.0], [np.nan, 0.3], [np.nan, np.nan]],
    }
    examples = FaceExamples("x", tasks, labels, paths=paths)
    examples.to_csv(tmp_path / "out.csv")
    text = (tmp_path / "out.csv").read_text().splitlines()
    assert text[0] == "image,age,gender,AU1,AU4,AU12,valence,arousal"
    assert text[1].endswith(",30,1,1,0,,0.1,-1.0")
    back = read_table(str(tmp_path / "out.csv"), "image", tasks)
    for name, values in examples.labels.items():
        np.testing.assert_array_equal(back.labels[name], values)
