"""Procedurally drawn faces whose appearance follows their labels."""

import numpy as np

from keras_dmtl.tasks.multi_label_task import MultiLabelTask
from keras_dmtl.tasks.nominal_task import NominalTask
from keras_dmtl.tasks.ordinal_task import OrdinalTask
from keras_dmtl.tasks.regression_task import RegressionTask

GENDERS = ["male", "female"]
RACES = ["white", "black", "asian", "indian", "others"]
EXPRESSIONS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
"""Expressions in FER2013's label order (the `emotion` column of its CSV)."""
ACTION_UNITS = ["AU1", "AU2", "AU4", "AU6", "AU12", "AU15", "AU25", "AU26"]
# P(action unit | expression) of Du et al. 2014 (the table shipped in
# keras_dmtl/coupling), restricted to the drawn units; rows follow
# EXPRESSIONS. A face's units are drawn with probability 0.1 + 0.8 * P, so
# they follow its expression as on real faces, but not always.
_AU_GIVEN_EXPRESSION = np.array(
    [[0, 0, 1, 0, 0, 0, 0, 0],            # angry
     [0, 0, 0.31, 0, 0, 0, 0, 0],         # disgust
     [1, 0.57, 1, 0, 0, 0, 1, 0.33],      # fear
     [0, 0, 0, 0.51, 1, 0, 1, 0],         # happy
     [0.6, 0, 1, 0.5, 0, 1, 0, 0],        # sad
     [1, 1, 0, 0, 0, 0, 1, 1],            # surprise
     [0, 0, 0, 0, 0, 0, 0, 0]],           # neutral
    dtype="float32")

# Skin tone per race, RGB.
_SKIN = np.array(
    [[240, 205, 185], [95, 60, 45], [235, 205, 120], [180, 110, 70],
     [215, 140, 150]],
    dtype="float32",
)
_HAIR = np.array(
    [[40, 30, 25], [95, 60, 30], [170, 130, 70], [20, 20, 20]], dtype="float32"
)
# Mouth curvature and opening, eyebrow slant and eye opening per expression.
_EXPRESSION_SHAPES = {
    "angry": (-0.05, 0.0, 0.35, 0.8),
    "disgust": (-0.10, 0.02, 0.15, 0.6),
    "fear": (-0.02, 0.08, -0.25, 1.5),
    "happy": (0.22, 0.03, 0.0, 0.9),
    "neutral": (0.0, 0.0, 0.0, 1.0),
    "sad": (-0.20, 0.0, -0.30, 0.8),
    "surprise": (0.0, 0.16, -0.15, 1.6),
}


def synthetic_tasks(names=("age", "gender", "race")):
    """The task specifications matching the synthetic labels.

    Args:
        names: which of `"age"` (ordinal, 0..116 years), `"age_group"`
            (ordinal, 8 groups), `"gender"`, `"race"` and `"expression"`
            (nominal), `"action_units"` (multi-label, the 8
            `ACTION_UNITS`) and `"affect"` (regression: valence and
            arousal in [-1, 1]) to return.

    Example:

    ```python
    tasks = keras_dmtl.data.synthetic_tasks(
        ["age", "expression", "action_units", "affect"])
    model = keras_dmtl.DMTLModel(tasks, image_size=64)
    ```
    """
    available = {
        "age": OrdinalTask("age", ranks=range(0, 117)),
        "age_group": OrdinalTask(
            "age_group", cut_points=[3, 10, 20, 30, 40, 50, 60, 70]
        ),
        "gender": NominalTask("gender", GENDERS),
        "race": NominalTask("race", RACES),
        "expression": NominalTask("expression", EXPRESSIONS),
        "action_units": MultiLabelTask("action_units", ACTION_UNITS),
        "affect": RegressionTask("affect", ["valence", "arousal"],
                                 bounds=(-1, 1)),
    }
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ValueError(
            f"No synthetic labels for {unknown}; choose from {list(available)}."
        )
    return [available[n] for n in names]


class SyntheticFaces:
    """A built-in data set of drawn faces for every kind of face attribute.

    Each image is a face-like drawing whose look depends on its labels, so a
    model can learn them: skin tone follows race; hair length and a beard
    shadow follow gender; head shape, eye size, grey hair and forehead
    wrinkles follow age; mouth, eyebrows and eye opening follow the
    expression, and each action unit moves one of them. Position, size,
    background, lighting and noise vary at random, so no single pixel gives
    a label away. Images are deterministic under the seed.

    Labels: `age` (0..116 years), `age_group` (the same ages, for the
    task with cut points 3, 10, ..., 70), `gender`, `race`, `expression` (class
    indices), `action_units` (`(n, 8)` of 0/1, one column per
    `ACTION_UNITS` entry, drawn from the expression with Du et al. 2014's
    probabilities, so that the tasks are related as on real faces),
    `valence`, `arousal` (floats in [-1, 1], near
    the expression's typical values) and `affect` (`(n, 2)`: valence and
    arousal side by side, the labels of the `"affect"` task).

    Args:
        num_examples: int, the number of faces.
        image_size: int, height and width in pixels.
        seed: int, the random seed.

    Example:

    ```python
    faces = keras_dmtl.data.SyntheticFaces(1024, image_size=64)
    faces.images.shape  # (1024, 64, 64, 3), uint8
    examples = faces.examples(["age", "gender", "action_units", "affect"])
    dataset = keras_dmtl.data.face_dataset(examples, batch_size=32)
    ```
    """

    def __init__(self, num_examples=2048, image_size=64, seed=0):
        if num_examples < 1:
            raise ValueError(f"num_examples must be positive: {num_examples}")
        if image_size < 16:
            raise ValueError(f"image_size must be at least 16: {image_size}")
        self.num_examples = int(num_examples)
        self.image_size = int(image_size)
        self.seed = int(seed)
        rng = np.random.default_rng(seed)
        self.labels = _draw_labels(rng, self.num_examples)
        self.images = np.stack(
            [
                _draw_face(rng, self.image_size, self._labels_of(i))
                for i in range(self.num_examples)
            ]
        )

    def _labels_of(self, index):
        return {name: values[index] for name, values in self.labels.items()}

    def examples(self, task_names=("age", "gender", "race")):
        """The faces as `FaceExamples` labelled for `task_names`.

        Args:
            task_names: names accepted by `synthetic_tasks`.
        """
        from keras_dmtl.data.face_examples import FaceExamples

        tasks = synthetic_tasks(task_names)
        return FaceExamples(
            "synthetic faces", tasks,
            {task.name: self.labels[task.name] for task in tasks},
            images=self.images,
        )


def _draw_labels(rng, n):
    young = rng.uniform(0, 18, n)
    adult = rng.normal(34, 12, n)
    old = rng.uniform(45, 100, n)
    pick = rng.choice(3, size=n, p=[0.2, 0.55, 0.25])
    age = np.clip(np.where(pick == 0, young, np.where(pick == 1, adult, old)),
                  0, 116).round().astype("int32")
    expression = rng.integers(0, len(EXPRESSIONS), n).astype("int32")
    valence = np.array([-0.5, -0.6, -0.7, 0.8, -0.7, 0.3, 0.0])[expression]
    arousal = np.array([0.7, 0.3, 0.8, 0.5, -0.4, 0.9, -0.2])[expression]
    # Drawn in this order so that a seed gives the labels it always gave.
    gender = rng.integers(0, 2, n).astype("int32")
    race = rng.integers(0, len(RACES), n).astype("int32")
    au_probability = 0.1 + 0.8 * _AU_GIVEN_EXPRESSION[expression]
    action_units = (rng.random((n, len(ACTION_UNITS)))
                    < au_probability).astype("int32")
    valence = np.clip(valence + rng.normal(0, 0.15, n), -1, 1).astype(
        "float32")
    arousal = np.clip(arousal + rng.normal(0, 0.15, n), -1, 1).astype(
        "float32")
    return {
        "age": age,
        "age_group": age,  # a cut-point task's labels are raw ages
        "gender": gender,
        "race": race,
        "expression": expression,
        "action_units": action_units,
        "valence": valence,
        "arousal": arousal,
        "affect": np.stack([valence, arousal], axis=1),
    }


def _ellipse(x, y, cx, cy, rx, ry):
    return ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1.0


def _draw_face(rng, size, labels):
    age = float(labels["age"])
    aus = dict(zip(ACTION_UNITS, labels["action_units"]))
    coords = (np.arange(size, dtype="float32") + 0.5) / size * 2 - 1
    x, y = np.meshgrid(coords, coords)

    # Background: a random colour with a gradient.
    image = np.empty((size, size, 3), dtype="float32")
    base = rng.uniform(40, 220, 3)
    slope = rng.uniform(-40, 40, 3)
    image[:] = base + slope * y[..., None]

    growth = min(age, 18.0) / 18.0
    scale = rng.uniform(0.9, 1.1) * (0.78 + 0.22 * growth)
    cx, cy = rng.uniform(-0.08, 0.08, 2)
    rx = 0.50 * scale
    ry = rx * (1.0 + 0.28 * growth)
    face = _ellipse(x, y, cx, cy, rx, ry)

    skin = _SKIN[labels["race"]] * rng.uniform(0.95, 1.05)
    hair = _HAIR[rng.integers(len(_HAIR))]
    # Hair greys steadily from 25 to 75.
    grey = np.clip((age - 25.0) / 50.0, 0.0, 1.0)
    hair = hair * (1 - grey) + np.array([215.0, 215.0, 215.0]) * grey
    female = labels["gender"] == 1

    # Hair: a cap above the forehead whose hairline recedes with age from
    # 15 to 85; long hair falls beside the face.
    hairline = 0.2 + 0.45 * np.clip((age - 15.0) / 70.0, 0.0, 1.0)
    cap = _ellipse(x, y, cx, cy - 0.12 * ry, rx * 1.12, ry * 1.0) & (
        y < cy - hairline * ry
    )
    if female:
        cap |= _ellipse(x, y, cx, cy + 0.35 * ry, rx * 1.3, ry * 1.35) & (
            np.abs(x - cx) > rx * 0.78
        )
    image[face] = skin
    image[cap] = hair

    # Beard shadow for adult men.
    if not female and age >= 16:
        beard = face & (y > cy + 0.35 * ry)
        image[beard] = skin * 0.72

    # Forehead wrinkles: one more line for every 12 years after 35.
    wrinkles = int(np.clip((age - 35.0) / 12.0, 0, 4))
    for k in range(wrinkles):
        line_y = cy - 0.55 * ry + k * 0.07 * ry
        band = face & (np.abs(y - line_y) < 0.012 + 0.004 * scale) & (
            np.abs(x - cx) < 0.45 * rx
        )
        image[band] = skin * 0.6

    brow_slant, eye_open = _EXPRESSION_SHAPES[EXPRESSIONS[labels["expression"]]][2:]
    curve, mouth_open = _EXPRESSION_SHAPES[EXPRESSIONS[labels["expression"]]][:2]
    eye_open *= 1.3 if aus["AU26"] else 1.0
    eye_r = 0.085 * rx / 0.5 * (1.35 - 0.35 * growth)
    eye_y = cy - 0.12 * ry
    for side in (-1, 1):
        ex = cx + side * 0.38 * rx
        white = _ellipse(x, y, ex, eye_y, eye_r * 1.5, eye_r * 0.8 * eye_open)
        image[white & face] = (240, 240, 240)
        pupil = _ellipse(x, y, ex, eye_y, eye_r * 0.6, eye_r * 0.6)
        image[pupil & face] = (30, 25, 20)
        # Eyebrows, a dark shade of the skin on a patch of bare forehead
        # (so a fringe never hides them): AU1 raises their inner ends, AU2
        # their outer ends, AU4 lowers them; the emotion slants them.
        rest_y = eye_y - 2.3 * eye_r
        span = np.abs(x - ex) < eye_r * 1.6
        forehead = face & span & (np.abs(y - rest_y) < 0.12)
        image[forehead] = skin
        outer = np.clip((x - ex) * side / (eye_r * 1.6), -1, 1)
        lift = (0.08 * aus["AU1"] * (1 - outer) / 2
                + 0.08 * aus["AU2"] * (1 + outer) / 2 - 0.06 * aus["AU4"])
        brow_y = rest_y - lift + brow_slant * (x - cx) * side * 0.5
        brow = (np.abs(y - brow_y) < 0.025) & span
        image[brow & face] = skin * 0.45

    # Mouth: a curve (smile up, frown down), opened for surprise or AU25.
    curve += 0.12 * aus["AU12"] - 0.12 * aus["AU15"]
    mouth_open += 0.05 * aus["AU25"]
    mouth_y = cy + 0.5 * ry
    dx = x - cx
    mouth_line = mouth_y - curve * (1 - (dx / (0.35 * rx)) ** 2) * 0.5 * ry
    mouth = (np.abs(y - mouth_line) < 0.02 + mouth_open) & (
        np.abs(dx) < 0.35 * rx
    )
    image[mouth & face] = (120, 30, 40)
    if aus["AU6"]:
        for side in (-1, 1):
            cheek = _ellipse(x, y, cx + side * 0.45 * rx, cy + 0.2 * ry,
                             0.12 * rx, 0.08 * ry)
            image[cheek & face] = 0.5 * skin + (115.0, 40.0, 40.0)

    # Lighting and sensor noise.
    image *= rng.uniform(0.9, 1.1)
    image += rng.normal(0, 6, image.shape)
    return np.clip(image, 0, 255).astype("uint8")
