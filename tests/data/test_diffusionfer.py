import numpy as np
import pytest

from keras_dmtl.data import EXPRESSIONS
from keras_dmtl.data import BadInputError
from keras_dmtl.data import detect_format
from keras_dmtl.data import diffusionfer_tasks
from keras_dmtl.data import read_any
from keras_dmtl.data import read_diffusionfer_va
from tests.conftest import shared_path
from tests.conftest import write_image

HEADER = "file,valence,arousal,expression,expression_name\n"


def _write(folder, lines, images=None):
    for line in lines:
        file = line.split(",")[0]
        if images is None or file in images:
            write_image(folder / "images" / file)
    (folder / "labels.csv").write_text(HEADER + "".join(lines))
    return str(folder)


def test_real_diffusionfer_va():
    folder = shared_path("data", "diffusionfer_va")
    examples = read_diffusionfer_va(folder)
    assert len(examples) == 1047 and not examples.report.skipped
    affect = examples.labels["affect"]
    assert affect.shape == (1047, 2) and affect.dtype == np.float32
    assert not np.isnan(affect).any() and np.abs(affect).max() <= 1
    # aksjlkjl_0.jpg: valence -0.1, arousal 0.1, neutral.
    first = [p.endswith("aksjlkjl_0.jpg") for p in examples.paths].index(True)
    np.testing.assert_allclose(affect[first], [-0.1, 0.1])
    assert examples.labels["expression"][first] == EXPRESSIONS.index(
        "neutral")
    counts = np.bincount(examples.labels["expression"], minlength=7)
    assert counts[EXPRESSIONS.index("happy")] == 281
    assert counts[EXPRESSIONS.index("angry")] == 128
    assert detect_format(folder) == "diffusionfer_va"


def test_bad_values_are_skipped_naming_row_and_column(tmp_path):
    folder = _write(tmp_path, [
        "a.jpg,-1,1,6,angry\n",
        "b.jpg,3,0.2,1,happy\n",
        "c.jpg,0.1,abc,1,happy\n",
        "d.jpg,0.1,inf,1,happy\n",
        "e.jpg,,0.5,,\n",
        "f.jpg,0.2,0.3,3,happy\n",
        "g.jpg,0.2,0.3,,bored\n",
        "h.jpg,0.0,0.0,0,neutral\n",
    ])
    examples = read_diffusionfer_va(folder)
    reasons = {where.split(" row ")[1]: reason
               for where, reason in examples.report.skipped}
    assert all(w.startswith(f"{tmp_path.name}/labels.csv row ")
               for w, _ in examples.report.skipped)
    assert reasons["3"] == "field valence: 3 is outside [-1, 1]"
    assert reasons["4"] == "field arousal: 'abc' is not a number"
    assert reasons["5"].startswith("field arousal: inf is outside")
    assert reasons["7"] == ("field expression: 3 (surprise) disagrees with "
                            "expression_name 'happy'")
    assert reasons["8"].startswith(
        "field expression_name: 'bored' is not an AffectNet expression")
    affect = examples.labels["affect"]
    # -1 is a value, not "missing"; a blank cell is NaN.
    np.testing.assert_array_equal(affect[0], [-1, 1])
    assert np.isnan(affect[1, 0]) and affect[1, 1] == 0.5
    assert examples.labels["expression"].tolist() == [
        EXPRESSIONS.index("angry"), -1, EXPRESSIONS.index("neutral")]
    assert examples.report.unannotated["expression"] == 1
    with pytest.raises(BadInputError,
                       match="row 3: field valence: 3 is outside"):
        read_diffusionfer_va(folder, strict=True)


def test_expressions_outside_the_classes_keep_their_affect(tmp_path):
    folder = _write(tmp_path / "va", ["a.jpg,0.5,0.5,1,happy\n",
                                      "b.jpg,-0.5,0.1,0,neutral\n"])
    affect, expression = diffusionfer_tasks(["happy", "sad"])
    examples = read_any(folder, [affect, expression])
    assert examples.labels["expression"].tolist() == [0, -1]
    np.testing.assert_allclose(examples.labels["affect"][1], [-0.5, 0.1])
    assert any("1 faces with expression 'neutral'" in n
               for n in examples.report.notes)
