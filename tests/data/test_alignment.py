import numpy as np
import pytest

from keras_dmtl.data.alignment import FaceAligner
from keras_dmtl.data.alignment import align_face
from keras_dmtl.data.alignment import load_rgb
from keras_dmtl.data.alignment import similarity_transform
from keras_dmtl.data.alignment import template_points
from tests.conftest import shared_path


def test_similarity_transform_recovers_a_known_transform():
    angle, scale, shift = 0.3, 1.7, np.array([5.0, -2.0])
    rotation = np.array([[np.cos(angle), -np.sin(angle)],
                         [np.sin(angle), np.cos(angle)]])
    source = np.random.default_rng(0).normal(size=(5, 2)) * 20
    target = source @ (scale * rotation).T + shift
    matrix = similarity_transform(source, target)
    np.testing.assert_allclose(matrix[:, :2], scale * rotation, atol=1e-9)
    np.testing.assert_allclose(matrix[:, 2], shift, atol=1e-9)


def test_align_face_puts_landmarks_on_the_template():
    image = np.zeros((100, 100, 3), "uint8")
    landmarks = template_points(60) + 20  # a face at (20, 20), 60 px wide
    image[int(landmarks[0, 1]), int(landmarks[0, 0])] = 255
    crop = align_face(image, landmarks, size=120, scale=0.8)
    target = template_points(120)[0]
    peak = np.unravel_index(crop[..., 0].argmax(), crop.shape[:2])
    assert abs(peak[0] - target[1]) <= 2 and abs(peak[1] - target[0]) <= 2


@pytest.mark.shared
def test_a_real_photograph_is_detected_and_aligned(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_DMTL_CACHE", str(tmp_path))
    photo = shared_path("photos", "astronaut.png")
    aligner = FaceAligner(size=224)
    faces = aligner.align_file(photo)
    assert len(faces) == 1
    face = faces[0]
    assert face["image"].shape == (224, 224, 3)
    assert face["confidence"] > 0.95
    x, y, w, h = face["box"]
    assert 150 < x < 220 and 40 < y < 100 and 60 < w < 120
    # Detected again on the crop, the eyes sit on the template, level.
    again = aligner.detect(face["image"])[0]["landmarks"]
    template = template_points(224)
    assert np.abs(again[:2] - template[:2]).max() < 8
    assert abs(again[0, 1] - again[1, 1]) < 4
    # The second call reads the cached crop instead of detecting again.
    aligner._detector = "not used"
    cached = aligner.align_file(photo)
    np.testing.assert_array_equal(cached[0]["image"], face["image"])
    assert cached[0]["box"] == face["box"]
    assert load_rgb(photo).shape == (512, 512, 3)
