import os

import numpy as np
import pytest

from keras_dmtl.data import BadInputError
from keras_dmtl.data import parse_utkface_name
from keras_dmtl.data import read_utkface
from keras_dmtl.data import split_examples
from tests.conftest import shared_path
from tests.conftest import write_bad_files
from tests.conftest import write_image


@pytest.mark.parametrize(
    "name, labels",
    [
        ("100_0_0_20170112215240346.jpg.chip.jpg", (100, 0, 0)),
        ("24_0_1_20170116220224657 .jpg.chip.jpg", (24, 0, 1)),
        ("55_0_0_20170116232725357jpg.chip.jpg", (55, 0, 0)),
        ("28_1_2_201701161846515488.jpg.chip.jpg", (28, 1, 2)),
        ("1_1_4_20161221193016140.jpg", (1, 1, 4)),
    ],
)
def test_parses_names_with_the_release_quirks(name, labels):
    assert parse_utkface_name(name) == labels


@pytest.mark.parametrize(
    "name, field",
    [
        ("39_1_20170116174525125.jpg.chip.jpg", "malformed"),
        ("130_0_0_20170112215240346.jpg.chip.jpg", "field age 130"),
        ("30_2_0_20170112215240346.jpg.chip.jpg", "field gender 2"),
        ("30_0_7_20170112215240346.jpg.chip.jpg", "field race 7"),
        ("notes.txt", "malformed"),
    ],
)
def test_bad_names_name_the_file_and_field(name, field):
    with pytest.raises(ValueError, match=field) as error:
        parse_utkface_name(name)
    assert name in str(error.value)


def make_folder(folder):
    write_image(folder / "20_0_1_1.jpg.chip.jpg", color=(200, 100, 50))
    write_image(folder / "30_1_2_2.jpg.chip.jpg", color=(50, 100, 200))
    write_image(folder / "40_1_3_3.jpg.chip.jpg", color=(50, 200, 100))
    # A byte-identical copy with other labels, as UTKFace ships them.
    with open(folder / "40_1_3_3.jpg.chip.jpg", "rb") as file:
        data = file.read()
    with open(folder / "41_0_3_4.jpg.chip.jpg", "wb") as file:
        file.write(data)
    write_image(folder / "bad_name.jpg")
    write_bad_files(folder, ["50_0_0_5.jpg.chip.jpg", "51_0_0_6.jpg.chip.jpg",
                             "52_0_0_7.jpg.chip.jpg"])


def test_lenient_reader_skips_and_counts_every_bad_file(tmp_path):
    make_folder(tmp_path)
    examples = read_utkface(str(tmp_path))
    assert len(examples) == 4
    assert examples.labels["age"].tolist() == [20, 30, 40, 41]
    group = examples.tasks[1]
    assert examples.labels["age_group"].tolist() == [20, 30, 40, 41]
    assert group.label_index(examples.labels["age_group"]).tolist() == [
        3, 4, 5, 5]
    skipped = dict(examples.report.skipped)
    assert set(os.path.basename(p) for p in skipped) == {
        "bad_name.jpg", "50_0_0_5.jpg.chip.jpg", "51_0_0_6.jpg.chip.jpg",
        "52_0_0_7.jpg.chip.jpg"}
    summary = examples.summary()
    assert "4 examples kept" in summary and "skipped 4" in summary
    assert "empty file" in summary and "not a readable image" in summary
    assert "1 groups of byte-identical files (2 files), 1 with different" \
        in summary


def test_strict_reader_names_the_bad_file(tmp_path):
    make_folder(tmp_path)
    with pytest.raises(BadInputError, match="bad_name.jpg: not a UTKFace"):
        read_utkface(str(tmp_path), strict=True)
    os.remove(tmp_path / "bad_name.jpg")
    with pytest.raises(BadInputError, match="50_0_0_5.jpg.chip.jpg: empty"):
        read_utkface(str(tmp_path), strict=True)


def test_split_keeps_byte_identical_copies_together(tmp_path):
    make_folder(tmp_path)
    examples = read_utkface(str(tmp_path))
    for seed in range(10):
        train, test = split_examples(examples, 0.5, seed)
        ages = [set(part.labels["age"]) for part in (train, test)]
        assert any({40, 41} <= side for side in ages)
        assert len(train) + len(test) == 4


def test_configurable_age_groups(tmp_path):
    make_folder(tmp_path)
    examples = read_utkface(str(tmp_path), age_groups=[25, 35])
    group = examples.tasks[1]
    assert group.label_index(examples.labels["age_group"]).tolist() == [
        0, 1, 2, 2]
    assert examples.tasks[1].names == ["<25", "25-34", "35+"]


@pytest.mark.shared
def test_reads_the_shared_utkface_faces():
    directory = shared_path("data", "utkface")
    examples = read_utkface(directory)
    assert len(examples) == 18909
    assert sorted(name for name, _ in examples.report.skipped) == [
        "39_1_20170116174525125.jpg.chip.jpg",
        "61_1_20170109150557335.jpg.chip.jpg",
    ]
    assert "280 groups of byte-identical files (569 files)" in (
        examples.summary())
    train, test = split_examples(examples, 0.2, seed=0)
    assert not set(train.content_ids) & set(test.content_ids)
    assert abs(len(test) / len(examples) - 0.2) < 0.01
    assert np.bincount(examples.labels["race"]).tolist() == [
        8031, 3620, 2750, 3152, 1356]
