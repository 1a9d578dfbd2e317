import os

import numpy as np
import pytest

from keras_dmtl.data import BadInputError
from keras_dmtl.data import EXPRESSIONS
from keras_dmtl.data import read_fer2013
from keras_dmtl.data import read_fer2013_csv
from tests.conftest import shared_path
from tests.conftest import write_bad_files
from tests.conftest import write_image


def test_expressions_are_in_the_csv_label_order():
    assert EXPRESSIONS == ["angry", "disgust", "fear", "happy", "sad",
                           "surprise", "neutral"]


def test_folder_layout_with_bad_files(tmp_path):
    write_image(tmp_path / "train" / "happy" / "1.jpg", mode="L")
    write_image(tmp_path / "train" / "sad" / "2.png", mode="L")
    write_image(tmp_path / "train" / "bored" / "3.jpg", mode="L")
    write_bad_files(tmp_path / "train" / "fear", ["4.jpg", "5.jpg", "6.jpg"])
    examples = read_fer2013(str(tmp_path), "train")
    assert examples.labels["expression"].tolist() == [3, 4]
    assert len(examples.report.skipped) == 4  # bored folder + 3 bad files
    with pytest.raises(BadInputError, match="bored"):
        read_fer2013(str(tmp_path), "train", strict=True)


def write_csv(path, rows):
    with open(path, "w") as file:
        file.write("emotion,pixels,Usage\n")
        for row in rows:
            file.write(",".join(row) + "\n")


def test_csv_layout_with_bad_rows(tmp_path):
    good = " ".join(["128"] * 2304)
    rows = [
        ("3", good, "Training"),
        ("6", " ".join(["0"] * 2304), "PublicTest"),
        ("9", good, "Training"),                       # bad emotion
        ("2", " ".join(["1"] * 100), "Training"),      # short pixels
        ("2", good.replace("128", "300", 1), "Training"),  # out of range
        ("2", good, "Validation"),                     # unknown usage
    ]
    write_csv(tmp_path / "fer2013.csv", rows)
    train = read_fer2013_csv(str(tmp_path / "fer2013.csv"), "Training")
    assert train.images.shape == (1, 48, 48)
    assert train.labels["expression"].tolist() == [3]
    assert len(train.report.skipped) == 4
    every = read_fer2013_csv(str(tmp_path / "fer2013.csv"), None)
    assert every.labels["expression"].tolist() == [3, 6]
    with pytest.raises(BadInputError, match="fer2013.csv line 4: field emotion"):
        read_fer2013_csv(str(tmp_path / "fer2013.csv"), "Training",
                         strict=True)


@pytest.mark.shared
def test_reads_the_shared_fer2013_folders():
    directory = shared_path("data", "fer2013")
    train = read_fer2013(directory, "train", check_images=False)
    test = read_fer2013(directory, "test", check_images=False)
    assert len(train) + len(test) == 32298
    counts = np.bincount(train.labels["expression"], minlength=7)
    assert counts.min() > 0 and counts.argmax() == EXPRESSIONS.index("happy")
    on_disk = sum(len(os.listdir(os.path.join(directory, "test", e)))
                  for e in EXPRESSIONS)
    assert len(test) == on_disk
