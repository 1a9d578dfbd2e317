import os

import numpy as np
import pytest
from PIL import Image

from keras_dmtl.data import align_examples
from keras_dmtl.data import read_utkface
from keras_dmtl.data import split_examples
from tests.conftest import shared_path

FACES = ("26_0_0_20170103181004512.jpg.chip.jpg",
         "35_1_1_20170109132740903.jpg.chip.jpg",
         "4_1_2_20161219141110241.jpg.chip.jpg")


@pytest.fixture
def utkface_folder(tmp_path, monkeypatch):
    """Three real UTKFace chips and a grey picture with no face, under
    UTKFace names; the alignment cache in the test's own folder."""
    source = shared_path("data", "utkface")
    folder = tmp_path / "utkface"
    folder.mkdir()
    for name in FACES:
        if not os.path.isfile(os.path.join(source, name)):
            pytest.skip(f"needs {name} in the shared UTKFace")
        os.symlink(os.path.join(source, name), folder / name)
    Image.fromarray(np.full((200, 200, 3), 128, "uint8")).save(
        folder / "50_0_3_20170119180000000.jpg.chip.jpg", format="JPEG")
    monkeypatch.setenv("KERAS_DMTL_CACHE", str(tmp_path / "cache"))
    return folder


def test_faces_are_aligned_as_watch_aligns_them_and_no_face_is_counted(
        utkface_folder, tmp_path, monkeypatch):
    from keras_dmtl.data.alignment import FaceAligner
    from keras_dmtl.data.alignment import align_face

    examples = read_utkface(str(utkface_folder))
    assert len(examples) == 4
    aligned = align_examples(examples, size=64)
    assert len(aligned) == 3
    assert "skipped 1: 1 no face found by the detector" in aligned.summary()
    ages = dict(zip(examples.paths, examples.labels["age"]))
    for crop in aligned.paths:
        assert crop.startswith(str(tmp_path / "cache" / "aligned_faces"))
        pixels = np.asarray(Image.open(crop))
        assert pixels.shape == (64, 64, 3)
    # The labels follow their faces.
    kept = [p for p in examples.paths if "50_0_3" not in p]
    assert list(aligned.labels["age"]) == [ages[p] for p in kept]
    # The crop is what `watch` makes of that face: MTCNN, then align_face.
    aligner = FaceAligner(64, cache=False)
    image = np.asarray(Image.open(kept[0]).convert("RGB"))
    face = aligner.detect(image)[0]
    expected = align_face(image, face["landmarks"], 64, 0.8)
    assert np.abs(np.asarray(Image.open(aligned.paths[0])).astype(int)
                  - expected.astype(int)).max() <= 1


def test_a_second_run_reads_the_crops_back_without_the_detector(
        utkface_folder, monkeypatch):
    from keras_dmtl.data.alignment import FaceAligner

    examples = read_utkface(str(utkface_folder))
    first = align_examples(examples, size=64)

    def refuse(self, image):
        raise AssertionError("the detector ran again")

    monkeypatch.setattr(FaceAligner, "align", refuse)
    again = align_examples(examples, size=64)
    assert again.paths == first.paths and len(again) == 3
    # The aligned faces split like any other examples.
    train, test = split_examples(again, 0.34, seed=0)
    assert len(train) + len(test) == 3


def test_in_memory_images_are_refused_with_the_dataset_name():
    from keras_dmtl.data import SyntheticFaces

    faces = SyntheticFaces(4, 32, seed=0).examples(["gender"])
    with pytest.raises(ValueError, match="align_examples takes image files"):
        align_examples(faces, size=32)
