"""Face detection and five-point alignment, as DMTL prepares its faces."""

import hashlib
import os

import numpy as np

from keras_dmtl.data.image_check import TooManyPixels
from keras_dmtl.data.image_check import cache_dir
from keras_dmtl.data.image_check import open_image
from keras_dmtl.data.image_check import read_image_file

DETECT_SIDE = 1280
"""Photos are downscaled to at most this many pixels on their long side for
face detection (the landmarks are mapped back, and the faces aligned from
the full photo), which keeps an 8000x8000 photo to seconds and a few
hundred megabytes."""

FIVE_POINT_TEMPLATE = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
     [41.5493, 92.3655], [70.7299, 92.2041]], dtype="float64",
) / 112.0
"""Where the eyes, nose tip and mouth corners go, as fractions of the crop
(the widely used 112x112 ArcFace template), in image order: the eye on the
image's left first, then the other eye, the nose, the mouth corner on the
image's left, the other corner."""

_LANDMARKS = ["left_eye", "right_eye", "nose", "mouth_left", "mouth_right"]


def similarity_transform(source, target):
    """The similarity (scale, rotation, shift) taking `source` to `target`.

    Least squares over the point pairs (Umeyama 1991), without reflection.

    Args:
        source: array `(n, 2)` of points.
        target: array `(n, 2)` of points.

    Returns:
        A `(2, 3)` matrix M with target ~ M @ [x, y, 1].
    """
    source = np.asarray(source, "float64")
    target = np.asarray(target, "float64")
    mean_s, mean_t = source.mean(0), target.mean(0)
    s, t = source - mean_s, target - mean_t
    covariance = t.T @ s / len(source)
    u, d, vt = np.linalg.svd(covariance)
    sign = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[-1] = -1
    rotation = u @ np.diag(sign) @ vt
    scale = (d * sign).sum() / s.var(0).sum()
    matrix = np.zeros((2, 3))
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = mean_t - scale * rotation @ mean_s
    return matrix


def template_points(size, scale=0.8):
    """The five template points for a `size` x `size` crop.

    `scale` < 1 leaves more of the head and background around the inner
    face than the tight recognition template: 0.8 gives crops like the
    aligned UTKFace faces.
    """
    return ((FIVE_POINT_TEMPLATE - 0.5) * scale + 0.5) * size


def align_face(image, landmarks, size=224, scale=0.8):
    """Warps a face onto the five-point template and crops it.

    Args:
        image: array `(h, w, 3)` of uint8 RGB.
        landmarks: array `(5, 2)` of (x, y) points in template order.
        size: int, the side of the square output.
        scale: float, see `template_points`.

    Returns:
        A `(size, size, 3)` uint8 array.
    """
    from PIL import Image

    matrix = similarity_transform(landmarks, template_points(size, scale))
    inverse = np.linalg.inv(np.vstack([matrix, [0, 0, 1]]))[:2]
    warped = Image.fromarray(np.asarray(image, "uint8")).transform(
        (size, size), Image.Transform.AFFINE, data=inverse.flatten().tolist(),
        resample=Image.Resampling.BILINEAR,
    )
    return np.asarray(warped)


def load_rgb(path):
    """Reads an image file as uint8 RGB (grayscale, CMYK, palette: converted).

    Only a regular file of at most 64 MiB is read
    (`keras_dmtl.data.image_check.read_image_file`), and an image of more
    than 100 megapixels is refused before it is decoded.

    Raises:
        ValueError: "<path>: <reason>" for a file it refuses; Pillow's
            errors for one that is no image.
    """
    return decode_rgb(read_image_file(path), path)


def decode_rgb(data, where="image"):
    """Decodes image file bytes as uint8 RGB, applying EXIF orientation.

    Raises:
        ValueError: naming `where` for an image of more than
            `MAX_IMAGE_PIXELS` (`keras_dmtl.data.image_check.open_image`).
    """
    from PIL import ImageOps

    try:
        with open_image(data) as image:
            return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    except TooManyPixels as error:
        raise ValueError(f"{where}: {error}") from None


def downscale(image, side=DETECT_SIDE):
    """Shrinks an RGB array to at most `side` pixels on its long side.

    Returns:
        `(small, factor)`: the shrunk array (the image itself when it is
        small enough) and the factor (>= 1) from its coordinates to the
        image's.
    """
    from PIL import Image

    height, width = image.shape[:2]
    factor = max(height, width) / side
    if factor <= 1:
        return image, 1.0
    size = (max(1, round(width / factor)), max(1, round(height / factor)))
    small = Image.fromarray(image).resize(size, Image.Resampling.BILINEAR,
                                          reducing_gap=3.0)
    return np.asarray(small), factor


class FaceAligner:
    """Detects faces with MTCNN and aligns each on five landmarks.

    MTCNN (Zhang et al. 2016) finds each face's box and its eyes, nose tip
    and mouth corners, on a copy of the photo downscaled to at most
    `detect_side` pixels on its long side (the box and points are mapped
    back); `align_face` maps the points onto a canonical template with a
    similarity transform and crops the full-resolution photo. The `mtcnn`
    package ships its weights, so nothing is downloaded. Aligned crops of
    files can be cached on disk, so each photo is aligned once.

    Args:
        size: int, side of the aligned crops. Defaults to 224.
        scale: float, template scale (see `template_points`).
        min_confidence: float, faces the detector is less sure of are
            dropped. Defaults to 0.9.
        cache: bool, keep aligned crops of files on disk (in
            `$KERAS_DMTL_CACHE/aligned`).
        detect_side: int, the longest side the detector sees (see
            `DETECT_SIDE`); faces smaller than about 20 pixels at that
            size are not found.

    Example:

    ```python
    aligner = keras_dmtl.data.FaceAligner(size=224)
    faces = aligner.align_file("photo.jpg")
    faces[0]["image"].shape  # (224, 224, 3)
    faces[0]["box"]          # [x, y, width, height] in the photo
    ```
    """

    def __init__(self, size=224, scale=0.8, min_confidence=0.9, cache=True,
                 detect_side=DETECT_SIDE):
        self.size = int(size)
        self.scale = float(scale)
        self.min_confidence = float(min_confidence)
        self.cache = cache
        self.detect_side = int(detect_side)
        self._detector = None

    @property
    def detector(self):
        if self._detector is None:
            from mtcnn import MTCNN

            self._detector = MTCNN(device="CPU:0")
        return self._detector

    def detect(self, image):
        """Faces in an RGB array: dicts with box, confidence, landmarks.

        The detector sees the image downscaled to `detect_side`; the box and
        landmarks are in the coordinates of `image`.
        """
        image = np.asarray(image, "uint8")
        small, factor = downscale(image, self.detect_side)
        found = self.detector.detect_faces(small) or []
        faces = []
        for face in found:
            if face["confidence"] < self.min_confidence:
                continue
            points = np.array([face["keypoints"][k] for k in _LANDMARKS],
                              dtype="float64") * factor
            faces.append({
                "box": [int(round(v * factor)) for v in face["box"]],
                "confidence": float(face["confidence"]),
                "landmarks": points,
            })
        faces.sort(key=lambda f: -f["box"][2] * f["box"][3])
        return faces

    def align(self, image):
        """Detects and aligns every face, largest first.

        Returns:
            A list of dicts: `image` (the aligned crop), `box`,
            `confidence` and `landmarks` (in the input image).
        """
        faces = self.detect(image)
        for face in faces:
            face["image"] = align_face(image, face["landmarks"], self.size,
                                       self.scale)
        return faces

    def align_file(self, path):
        """`align` for an image file, with the crops cached on disk.

        Raises:
            ValueError: naming the file when it is no regular file, is
                larger than 64 MiB or has more than 100 megapixels (see
                `load_rgb`).
        """
        content = read_image_file(path)
        if not self.cache:
            return self.align(decode_rgb(content, path))
        digest = hashlib.sha1(content).hexdigest()
        folder = os.path.join(cache_dir(), "aligned",
                              f"{digest}_{self.size}_{self.scale}_"
                              f"{self.detect_side}")
        record = os.path.join(folder, "faces.npz")
        if os.path.isfile(record):
            with np.load(record) as data:
                return [
                    {"image": data["images"][i], "box": data["boxes"][i].tolist(),
                     "confidence": float(data["confidences"][i]),
                     "landmarks": data["landmarks"][i]}
                    for i in range(len(data["boxes"]))
                ]
        faces = self.align(decode_rgb(content, path))
        os.makedirs(folder, exist_ok=True)
        temporary = os.path.join(folder, f"faces.{os.getpid()}.tmp.npz")
        np.savez(
            temporary,
            images=np.array([f["image"] for f in faces], "uint8").reshape(
                -1, self.size, self.size, 3),
            boxes=np.array([f["box"] for f in faces], "int64").reshape(-1, 4),
            confidences=np.array([f["confidence"] for f in faces]),
            landmarks=np.array([f["landmarks"] for f in faces]).reshape(
                -1, 5, 2),
        )
        os.replace(temporary, record)
        return faces
