import keras
import numpy as np
import pytest

from keras_dmtl import DMTLModel
from keras_dmtl import NominalTask
from keras_dmtl.data import SyntheticFaces
from keras_dmtl.data import synthetic_tasks
from keras_dmtl.losses.distillation import softmax_distillation
from keras_dmtl.models import Teacher

SIZE = 32
NAMES = ["age", "gender", "race"]


def model(tasks=None, size=SIZE, seed=0):
    keras.utils.set_random_seed(seed)
    return DMTLModel(tasks or synthetic_tasks(), backbone="mobilenet_v2_0.35",
                     image_size=size)


@pytest.fixture(scope="module")
def faces():
    return SyntheticFaces(48, SIZE, seed=3)


def unlabelled(faces):
    return {name: np.full_like(np.asarray(faces.labels[name]), -1)
            for name in NAMES}


def test_a_teacher_pulls_the_student_toward_its_answers(faces):
    teacher_model = model(seed=1)
    teacher_model.get_layer("gender_head").bias.assign([3.0, -3.0])
    target = teacher_model(faces.images, training=False)["gender"]

    def distance(student):
        answers = student(faces.images, training=True)["gender"]
        return float(np.mean(softmax_distillation(target, answers)))

    def trained(teacher):
        student = model(seed=2)
        # Eager steps: tracing the training graph of a tiny model takes
        # longer than its 12 steps.
        student.compile(optimizer=keras.optimizers.Adam(3e-3),
                        run_eagerly=True)
        if teacher is not None:
            student.distill_from(teacher)
        # No face has a label: the teacher is the only signal.
        student.fit(faces.images, unlabelled(faces), batch_size=16,
                    epochs=4, shuffle=False, verbose=0)
        return distance(student)

    before = distance(model(seed=2))
    taught = trained(Teacher(teacher_model, weight=1.0, temperature=1.0,
                             tasks=["gender"]))
    alone = trained(None)
    assert taught < 0.2 * before, (taught, before)
    assert taught < 0.2 * alone, (taught, alone)


def test_the_teacher_leaves_evaluation_and_the_saved_model_alone(
        faces, tmp_path):
    student = model(seed=2)
    student.compile(optimizer=keras.optimizers.Adam(1e-3))
    labels = {name: faces.labels[name] for name in NAMES}
    plain = student.evaluate(faces.images, labels, verbose=0,
                             return_dict=True)
    student.distill_from(Teacher(model(seed=1), weight=0.9))
    taught = student.evaluate(faces.images, labels, verbose=0,
                              return_dict=True)
    assert taught["loss"] == pytest.approx(plain["loss"], rel=1e-6)
    path = tmp_path / "student.keras"
    student.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.teacher is None
    assert len(loaded.weights) == len(student.weights)
    # distill_from(None) stops the teaching.
    student.distill_from(None)
    assert student.teacher is None


def test_the_teacher_teaches_the_tasks_both_models_have():
    student = model()
    teacher = Teacher(model([NominalTask("gender", ["male", "female"]),
                             NominalTask("expression", 7)]))
    assert [t.name for t in teacher.bind(student).taught] == ["gender"]


@pytest.mark.parametrize("teacher_tasks, size, tasks, message", [
    (None, 48, None, "the teacher takes 48x48 faces, the model 32x32"),
    ([NominalTask("expression", 7)], SIZE, None, "shares no task"),
    ([NominalTask("gender", ["m", "f", "x"])], SIZE, None,
     "'gender' reads other labels"),
    (None, SIZE, ["expression"], "no task 'expression'"),
])
def test_a_teacher_that_cannot_teach_is_refused(teacher_tasks, size, tasks,
                                                message):
    teacher = Teacher(model(teacher_tasks, size=size), tasks=tasks)
    with pytest.raises(ValueError, match=message):
        model().distill_from(teacher)


@pytest.mark.parametrize("options, message", [
    ({"weight": 0.0}, "weight must be in"),
    ({"weight": 1.5}, "weight must be in"),
    ({"temperature": 0.0}, "temperature must be positive"),
])
def test_bad_settings_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        Teacher(model(), **options)
