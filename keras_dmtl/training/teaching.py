"""`--teacher`: a trained model teaches the run's model (distillation)."""


class TeacherError(ValueError):
    """The `--teacher` model cannot teach the model about to train."""


def check_teacher_file(path, out=None):
    """The `--teacher` path, checked before a run reads its data.

    Raises:
        TeacherError: one line naming the file: nothing there, a folder,
            not a `.keras` file, or a file inside the run folder `out`.
    """
    from keras_dmtl.models.load_model import check_model_option

    try:
        return check_model_option(path, "--teacher", out)
    except ValueError as error:
        raise TeacherError(str(error)) from None


def attach_teacher(model, args):
    """Loads `--teacher` and lets it teach `model` with `--teacher-weight`
    and `--temperature` (`DMTLModel.distill_from`).

    Call it inside the run's `strategy.scope()`, after any `--start-from`.

    Returns:
        The bound `keras_dmtl.models.Teacher`.

    Raises:
        TeacherError: one line naming the file: it does not load as a
            keras-dmtl model, or cannot teach this one (image size, tasks).
    """
    from keras_dmtl.models.load_model import load_dmtl_model
    from keras_dmtl.models.teacher import Teacher

    try:
        given = {"weight": args.teacher_weight,
                 "temperature": args.temperature}
        teacher = Teacher(load_dmtl_model(args.teacher),
                          **{k: v for k, v in given.items() if v is not None})
        model.distill_from(teacher)
    except ValueError as error:
        raise TeacherError(f"--teacher {args.teacher}: {error}") from None
    taught = ", ".join(task.name for task in teacher.taught)
    flip = (", answering over each face and its mirror: twice its cost"
            if teacher.model.test_time_flip else "")
    print(f"Teacher {args.teacher} teaches {taught} (weight "
          f"{teacher.weight:g}, temperature {teacher.temperature:g}{flip})")
    return teacher
