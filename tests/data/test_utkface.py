import os

import numpy as np
import pytest

from keras_dmtl.data import image_file_dataset
from keras_dmtl.data import parse_utkface_name
from keras_dmtl.data import read_utkface
from keras_dmtl.data import split_indices
from tests.conftest import shared_path


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
        ("130_0_0_20170112215240346.jpg.chip.jpg", "age 130"),
        ("30_2_0_20170112215240346.jpg.chip.jpg", "gender 2"),
        ("30_0_7_20170112215240346.jpg.chip.jpg", "race 7"),
        ("notes.txt", "malformed"),
    ],
)
def test_bad_names_name_the_file_and_field(name, field):
    with pytest.raises(ValueError, match=field) as error:
        parse_utkface_name(name)
    assert name in str(error.value)


def test_reader_skips_and_counts_bad_names(tmp_path):
    from PIL import Image

    for name in ["20_0_1_1.jpg.chip.jpg", "30_1_2_2.jpg.chip.jpg", "bad.jpg"]:
        Image.new("RGB", (20, 20), (200, 100, 50)).save(tmp_path / name)
    index = read_utkface(str(tmp_path))
    assert len(index.paths) == 2
    assert index.labels["age"].tolist() == [20, 30]
    assert [name for name, _ in index.skipped] == ["bad.jpg"]
    assert "skipped 1" in index.summary()

    data = image_file_dataset(index.paths, index.labels, 16, batch_size=2)
    images, labels = next(iter(data))
    assert tuple(images.shape) == (2, 16, 16, 3)
    np.testing.assert_allclose(np.asarray(images)[0, 8, 8], [200, 100, 50],
                               atol=2)
    assert np.asarray(labels["race"]).tolist() == [1, 2]


def test_split_is_deterministic_and_disjoint():
    train, test = split_indices(100, 0.2, seed=1)
    assert len(test) == 20 and not set(train) & set(test)
    assert np.array_equal(test, split_indices(100, 0.2, seed=1)[1])


def test_reads_the_shared_utkface_faces():
    directory = shared_path("data", "utkface")
    index = read_utkface(directory)
    # 18,911 files; the two names without a race field are skipped.
    assert len(index.paths) == len(os.listdir(directory)) - 2 == 18909
    assert sorted(name for name, _ in index.skipped) == [
        "39_1_20170116174525125.jpg.chip.jpg",
        "61_1_20170109150557335.jpg.chip.jpg",
    ]
