import pandas as pd
import pytest

from keras_dmtl import NominalTask
from keras_dmtl import OrdinalTask
from keras_dmtl.data import BadInputError
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
    assert "field age_group: 'ancient' is not a number" in (
        examples.report.skipped[0][1])
