"""Reads CK+ (Extended Cohn-Kanade): FACS action units and emotions."""

from keras_dmtl.data.labels_folder import read_labels_folder
from keras_dmtl.data.synthetic_faces import EXPRESSIONS
from keras_dmtl.labels import MISSING_LABEL
from keras_dmtl.tasks.multi_label_task import MultiLabelTask
from keras_dmtl.tasks.nominal_task import NominalTask

CKPLUS_ACTION_UNITS = ["AU1", "AU2", "AU4", "AU5", "AU6", "AU7", "AU9",
                       "AU10", "AU12", "AU14", "AU15", "AU17", "AU20", "AU23",
                       "AU24", "AU25", "AU26"]
"""The 17 action units coded in CK+'s `labels.csv`, in its column order."""

CKPLUS_EMOTIONS = {
    "anger": "angry",
    "contempt": "contempt",
    "disgust": "disgust",
    "fear": "fear",
    "happy": "happy",
    "happiness": "happy",
    "sadness": "sad",
    "surprise": "surprise",
    "neutral": "neutral",
}
"""CK+'s emotion names, mapped onto FER2013's names (`EXPRESSIONS`)."""

_COLUMNS = ["file", "subject", "emotion"]


def ckplus_tasks(expressions=EXPRESSIONS):
    """CK+'s tasks: the 17 action units and the expression.

    Args:
        expressions: the expression class names, by default FER2013's.

    Returns:
        `[MultiLabelTask("aus", CKPLUS_ACTION_UNITS),
        NominalTask("expression", expressions)]`.
    """
    return [MultiLabelTask("aus", labels=CKPLUS_ACTION_UNITS),
            NominalTask("expression", expressions)]


def read_ckplus(folder, expressions=EXPRESSIONS, strict=False,
                check_images=True):
    """Reads a CK+ folder: `labels.csv` and `images/`.

    The layout of `ckplus/` (the last 3 frames of each emotion sequence) and
    `ckplus128/` (apex frames, and neutral first frames with every AU 0):
    `labels.csv` has the columns `file` (a file in `images/`), `subject`,
    `emotion` and one column of 1/0 per action unit of
    `CKPLUS_ACTION_UNITS`; other columns are ignored.

    CK+ emotion names are mapped onto `expressions` (anger -> angry,
    sadness -> sad, happiness -> happy, neutral -> neutral when the list
    has it). A face whose emotion is not in `expressions` (contempt, for
    FER2013's classes) keeps its action units and is not annotated for
    `expression`; the report counts those faces per emotion. A row with a
    bad cell (an AU other than 1, 0 or blank, an unknown emotion, no file
    or subject) or an unreadable image is skipped and counted, naming the
    row and column (strict mode: raise `BadInputError`).

    `subjects` holds the `subject` column: the frames of one person are
    near-duplicates, so `split_examples` keeps each subject on one side.

    Args:
        folder: the folder holding `labels.csv` and `images/`.
        expressions: the expression class names, by default FER2013's.
        strict: raise on the first bad row instead of skipping it.
        check_images: decode every image once (cached) to catch bad files.

    Returns:
        `FaceExamples` with `aus` (`(n, 17)` of 1/0) and `expression`
        labels, and `subjects`.

    Example:

    ```python
    examples = keras_dmtl.data.read_ckplus("shared/data/ckplus128")
    train, test = keras_dmtl.data.split_examples(examples, 0.2)
    ```
    """
    tasks = ckplus_tasks(expressions)
    aus = tasks[0]

    def parse_row(row):
        subject = (row["subject"] or "").strip()
        if not subject:
            raise ValueError("field subject: empty")
        au_label = aus.parse_cells({c: row[c] for c in CKPLUS_ACTION_UNITS})
        emotion, other = _expression_index(row["emotion"], expressions)
        return (au_label, emotion), subject, other

    return read_labels_folder(
        folder, "CK+", tasks, _COLUMNS + CKPLUS_ACTION_UNITS, parse_row,
        strict=strict, check_images=check_images, outside_field="emotion",
        kept="action units")


def _expression_index(text, expressions):
    """The class index of a CK+ emotion in `expressions`.

    Returns `(index, None)`, or `(MISSING_LABEL, emotion)` when the emotion
    is blank or not one of `expressions`; raises a `ValueError` starting
    "field emotion: " for a name that is no CK+ emotion.
    """
    emotion = (text or "").strip().lower()
    if not emotion:
        return MISSING_LABEL, None
    if emotion not in CKPLUS_EMOTIONS:
        raise ValueError(f"field emotion: {text!r} is not a CK+ emotion "
                         f"({', '.join(sorted(CKPLUS_EMOTIONS))})")
    mapped = CKPLUS_EMOTIONS[emotion]
    if mapped in expressions:
        return expressions.index(mapped), None
    return MISSING_LABEL, emotion
