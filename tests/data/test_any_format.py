import pytest

from keras_dmtl import MultiLabelTask
from keras_dmtl import NominalTask
from keras_dmtl import RegressionTask
from keras_dmtl.data import FORMATS
from keras_dmtl.data import detect_format
from keras_dmtl.data import read_any
from tests.conftest import shared_path
from tests.conftest import write_image

TASKS = [MultiLabelTask("aus", labels=["AU1", "AU12"]),
         NominalTask("gender", ["male", "female"]),
         RegressionTask("affect", ["valence", "arousal"], bounds=(-1, 1))]


def test_a_table_is_read_for_the_tasks_whose_columns_it_has(tmp_path):
    for name in "ab":
        write_image(tmp_path / f"{name}.png")
    # All AU columns and gender, but only one of affect's two columns.
    (tmp_path / "faces.csv").write_text(
        "image,AU1,AU12,gender,valence\n"
        "a.png,1,0,female,0.5\n"
        "b.png,0,,male,-0.5\n")
    assert detect_format(str(tmp_path / "faces.csv")) == "table"
    examples = read_any(str(tmp_path / "faces.csv"), TASKS)
    assert examples.task_names == ["aus", "gender"]
    assert examples.labels["aus"].tolist() == [[1, 0], [0, -1]]
    assert examples.labels["gender"].tolist() == [1, 0]


def test_a_table_with_no_task_columns_names_them(tmp_path):
    (tmp_path / "other.csv").write_text("image,mood,AU1\n0.png,1,1\n")
    with pytest.raises(ValueError) as error:
        read_any(str(tmp_path / "other.csv"), TASKS)
    message = str(error.value)
    assert "no column for any of the model's tasks" in message
    assert "'aus' reads ['AU1', 'AU12']" in message
    assert "it has ['image', 'mood', 'AU1']" in message


def test_formats_and_real_layouts():
    assert {"ckplus", "diffusionfer_va"} <= set(FORMATS)
    assert detect_format(shared_path("data", "fer2013")) == "fer2013"
    assert detect_format(shared_path("data", "ckplus128")) == "ckplus"
    assert detect_format(shared_path("data", "diffusionfer_va")) == (
        "diffusionfer_va")


def test_an_unknown_folder_lists_the_layouts(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match="a CK\\+ or DiffusionFER folder"):
        detect_format(str(tmp_path))
