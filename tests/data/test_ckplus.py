import numpy as np
import pytest

from keras_dmtl.data import CKPLUS_ACTION_UNITS
from keras_dmtl.data import EXPRESSIONS
from keras_dmtl.data import BadInputError
from keras_dmtl.data import ckplus_tasks
from keras_dmtl.data import detect_format
from keras_dmtl.data import read_any
from keras_dmtl.data import read_ckplus
from keras_dmtl.data import split_examples
from tests.conftest import shared_path
from tests.conftest import write_image

HEADER = ("file,subject,sequence,frame,emotion," + ",".join(
    CKPLUS_ACTION_UNITS) + ",peak_frame,other_aus,note\n")


def _row(file, subject, emotion, aus=(), cells=None):
    values = {au: "1" if au in aus else "0" for au in CKPLUS_ACTION_UNITS}
    values.update(cells or {})
    return (f"{file},{subject},001,1,{emotion},"
            + ",".join(values[au] for au in CKPLUS_ACTION_UNITS) + ",1,,\n")


def _write_ckplus(folder, rows, images=None):
    for row in rows:
        file = row.split(",")[0]
        if images is None or file in images:
            write_image(folder / "images" / file, mode="L")
    (folder / "labels.csv").write_text(HEADER + "".join(rows))
    return str(folder)


def test_real_ckplus_labels_counts_and_subject_split():
    folder = shared_path("data", "ckplus")
    examples = read_ckplus(folder)
    assert len(examples) == 780 and not examples.report.skipped
    assert examples.labels["aus"].shape == (780, 17)
    assert examples.labels["aus"].dtype == np.int32
    row = [p.endswith("S011_004_00000019.png") for p in examples.paths]
    aus = examples.labels["aus"][row.index(True)]
    active = [au for au, v in zip(CKPLUS_ACTION_UNITS, aus) if v == 1]
    assert active == ["AU4", "AU7", "AU17", "AU23", "AU24"]
    assert examples.labels["expression"][row.index(True)] == (
        EXPRESSIONS.index("angry"))
    # Contempt is no FER2013 class: expression missing, AUs kept, counted.
    expression = examples.labels["expression"]
    assert (expression == -1).sum() == 42
    assert (examples.labels["aus"][expression == -1] >= 0).all()
    assert examples.report.unannotated["expression"] == 42
    assert any("42 faces with emotion 'contempt'" in n
               for n in examples.report.notes)
    train, test = split_examples(examples, 0.2, seed=0)
    assert len(train) + len(test) == 780
    assert not set(train.subjects) & set(test.subjects)
    assert detect_format(folder) == "ckplus"


def test_real_ckplus128_neutral_frames_follow_the_class_list():
    folder = shared_path("data", "ckplus128")
    examples = read_ckplus(folder)
    assert len(examples) == 741
    expression = examples.labels["expression"]
    neutral = expression == EXPRESSIONS.index("neutral")
    assert neutral.sum() == 481
    assert (examples.labels["aus"][neutral] == 0).all()
    # Without a neutral class, neutral and contempt faces are unannotated.
    six = [e for e in EXPRESSIONS if e != "neutral"]
    examples = read_ckplus(folder, expressions=six)
    assert (examples.labels["expression"] == -1).sum() == 481 + 14
    assert examples.tasks[1].classes == six


def test_bad_cells_are_skipped_naming_row_and_column(tmp_path):
    folder = _write_ckplus(tmp_path, [
        _row("a.png", "S001", "anger", ["AU4", "AU7"]),
        _row("b.png", "S001", "happy", cells={"AU12": "2"}),
        _row("c.png", "S002", "joy"),
        _row("d.png", "S002", "contempt", ["AU14"]),
        _row("e.png", "S003", "sadness", ["AU1", "AU15"],
             cells={"AU26": ""}),
        _row("gone.png", "S003", "fear"),
    ], images=["a.png", "b.png", "c.png", "d.png", "e.png"])
    examples = read_ckplus(folder)
    assert len(examples) == 3
    reasons = {w.split(" row ")[-1]: r for w, r in examples.report.skipped
               if " row " in w}
    assert reasons["3"] == "field AU12: '2' is not 1, 0 or blank"
    assert reasons["4"].startswith("field emotion: 'joy' is not a CK+ emotion")
    assert any("missing file" in r for _, r in examples.report.skipped)
    assert examples.labels["expression"].tolist() == [
        EXPRESSIONS.index("angry"), -1, EXPRESSIONS.index("sad")]
    # A blank AU cell is "not annotated", the others stay 0/1.
    last = examples.labels["aus"][2]
    assert last[CKPLUS_ACTION_UNITS.index("AU26")] == -1
    assert last[CKPLUS_ACTION_UNITS.index("AU15")] == 1
    assert examples.subjects.tolist() == ["S001", "S002", "S003"]
    with pytest.raises(BadInputError,
                       match=r"labels.csv row 3: field AU12: '2'"):
        read_ckplus(folder, strict=True)


def test_read_any_and_tasks(tmp_path):
    folder = _write_ckplus(tmp_path / "ck", [
        _row("a.png", "S001", "surprise", ["AU1", "AU2", "AU25"])])
    assert detect_format(folder) == "ckplus"
    assert detect_format(folder + "/labels.csv") == "ckplus"
    aus, expression = ckplus_tasks(["surprise", "other"])
    assert aus.labels == CKPLUS_ACTION_UNITS
    examples = read_any(folder, [aus, expression])
    assert examples.labels["expression"].tolist() == [0]
    assert examples.tasks == [aus, expression]


def test_missing_columns_are_listed(tmp_path):
    (tmp_path / "labels.csv").write_text("file,subject,emotion,AU1\n")
    with pytest.raises(ValueError, match=r"missing column\(s\) \['AU2', "
                                         r"'AU4', 'AU5'"):
        read_ckplus(str(tmp_path))
