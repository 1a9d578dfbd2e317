import io
import os
import sys

import pytest

from keras_dmtl.progress import QUIET_ENV
from keras_dmtl.progress import fit_verbose
from keras_dmtl.progress import predict_verbose
from keras_dmtl.progress import progress
from keras_dmtl.progress import set_quiet
from keras_dmtl.progress import showing
from tests.conftest import write_bad_files
from tests.conftest import write_image


class FakeTerminal(io.StringIO):
    """A stream that says it is a terminal, keeping what is written."""

    def isatty(self):
        return True


@pytest.fixture(autouse=True)
def not_quiet(monkeypatch):
    """Each test starts without KERAS_DMTL_QUIET (set_quiet sets it)."""
    monkeypatch.delenv(QUIET_ENV, raising=False)


# pytest sets sys.stdout and sys.stderr anew for each test phase, so the
# tests replace them in their own body, not in a fixture.


def use_terminal(monkeypatch):
    """stderr and stdout as terminals; returns the fake stderr."""
    stderr = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", stderr)
    monkeypatch.setattr(sys, "stdout", FakeTerminal())
    return stderr


def use_files(monkeypatch):
    """stderr and stdout as plain files (a log, a pipe); returns stderr."""
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    return stderr


def test_no_bar_when_stderr_is_not_a_terminal(monkeypatch):
    no_terminal = use_files(monkeypatch)
    items = [1, 2, 3]
    assert not showing()
    assert progress(items, description="Counting") is items
    assert no_terminal.getvalue() == ""


def test_no_bar_under_pytest_capture():
    # pytest's capture is not a terminal, so test output holds no bar.
    assert not showing()


def test_bar_on_a_terminal(monkeypatch):
    terminal = use_terminal(monkeypatch)
    assert showing()
    items = list(progress(range(5), description="Counting", unit="face"))
    assert items == [0, 1, 2, 3, 4]
    drawn = terminal.getvalue()
    assert "Counting" in drawn
    assert "5/5" in drawn
    assert "face" in drawn


def test_bar_of_unknown_length_counts(monkeypatch):
    terminal = use_terminal(monkeypatch)
    items = list(progress(iter("abc"), description="Reading"))
    assert items == ["a", "b", "c"]
    assert "Reading" in terminal.getvalue()
    assert "3" in terminal.getvalue()


def test_bar_is_closed_when_the_loop_raises(monkeypatch):
    terminal = use_terminal(monkeypatch)
    with pytest.raises(ValueError):
        for item in progress(range(10), description="Failing"):
            if item == 3:
                raise ValueError("bad input")
    # Closed: the error that follows starts on a line of its own.
    assert terminal.getvalue().endswith("\n")


def test_set_quiet_turns_bars_off_for_children_too(monkeypatch):
    terminal = use_terminal(monkeypatch)
    set_quiet(True)
    assert os.environ[QUIET_ENV] == "1"  # inherited by subprocesses
    assert not showing()
    items = [1, 2]
    assert progress(items, description="Counting") is items
    assert terminal.getvalue() == ""


def test_set_quiet_false_keeps_an_earlier_quiet(monkeypatch):
    use_terminal(monkeypatch)
    set_quiet(False)
    assert showing()
    set_quiet(True)
    set_quiet(False)  # a recipe's set_quiet(args.quiet) after `--quiet`
    assert not showing()


@pytest.mark.parametrize("value, shows", [("1", False), ("yes", False),
                                          ("0", True), ("", True)])
def test_environment_variable(monkeypatch, value, shows):
    use_terminal(monkeypatch)
    monkeypatch.setenv(QUIET_ENV, value)
    assert showing() is shows


def test_verbose_on_a_terminal(monkeypatch):
    use_terminal(monkeypatch)
    assert fit_verbose() == 1
    assert predict_verbose() == 1


def test_verbose_without_a_terminal(monkeypatch):
    use_files(monkeypatch)
    assert fit_verbose() == 2
    assert predict_verbose() == 0


def test_verbose_when_quiet(monkeypatch):
    use_terminal(monkeypatch)
    set_quiet(True)
    assert fit_verbose() == 2
    assert predict_verbose() == 0


def test_verbose_when_stdout_is_a_file(monkeypatch):
    # Keras draws its bar on stdout: a log file gets one line an epoch.
    monkeypatch.setattr(sys, "stderr", FakeTerminal())
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert showing()
    assert fit_verbose() == 2
    assert predict_verbose() == 0


def test_stream_without_isatty(monkeypatch):
    monkeypatch.setattr(sys, "stderr", object())
    assert not showing()
    closed = open(os.devnull, "w")
    closed.close()  # isatty() of a closed file raises ValueError
    monkeypatch.setattr(sys, "stderr", closed)
    assert not showing()


def _check_folder(tmp_path):
    from keras_dmtl.data.image_check import check_image_files
    from keras_dmtl.data.report import ReadReport

    paths = [write_image(tmp_path / f"face_{i}.png", color=(i, 50, 90))
             for i in range(3)]
    paths += list(write_bad_files(tmp_path, ["empty.jpg", "cut.jpg",
                                             "text.jpg"]))
    report = ReadReport("my faces")
    keep, digests = check_image_files(paths, report, use_cache=False)
    return keep, digests, report.skipped


def test_folder_check_shows_a_bar_on_a_terminal(monkeypatch, tmp_path):
    terminal = use_terminal(monkeypatch)
    keep, _, skipped = _check_folder(tmp_path)
    assert keep == [True] * 3 + [False] * 3
    assert len(skipped) == 3
    drawn = terminal.getvalue()
    assert "Checking my faces" in drawn
    assert "6/6" in drawn


def test_folder_check_is_silent_and_the_same_without(monkeypatch, tmp_path):
    no_terminal = use_files(monkeypatch)
    without = _check_folder(tmp_path / "a")
    assert no_terminal.getvalue() == ""
    monkeypatch.setattr(sys, "stderr", FakeTerminal())
    shown = _check_folder(tmp_path / "b")
    assert shown[0] == without[0]
    assert shown[1] == without[1]
    assert [r for _, r in shown[2]] == [r for _, r in without[2]]


def test_cli_quiet_before_and_after_the_command(tmp_path, capsys):
    from keras_dmtl.cli import main

    missing = str(tmp_path / "no_run")
    for argv in (["--quiet", "compare", missing],
                 ["compare", "--quiet", missing]):
        os.environ.pop(QUIET_ENV, None)
        with pytest.raises(SystemExit):
            main(argv)
        assert os.environ.get(QUIET_ENV) == "1", argv
    os.environ.pop(QUIET_ENV, None)
    with pytest.raises(SystemExit):
        main(["compare", missing])
    assert QUIET_ENV not in os.environ


class _FixedModel:
    """Answers each batch with fixed gender logits, as a model would."""

    def __init__(self):
        from keras_dmtl.tasks import NominalTask

        self.tasks = [NominalTask("gender", ["male", "female"])]

    def predict_on_batch(self, images):
        import numpy as np

        logits = np.stack([images[:, 0], -images[:, 0]], axis=1)
        return {"gender": logits}


def test_evaluation_predictions_show_a_bar_and_the_same_answers(
        monkeypatch):
    import numpy as np

    from keras_dmtl.evaluation.predictions import collect_predictions

    batches = [(np.array([[1.0], [-2.0]]), {"gender": np.array([0, 1])}),
               (np.array([[3.0]]), {"gender": np.array([1])})]
    no_terminal = use_files(monkeypatch)
    plain = collect_predictions(_FixedModel(), batches)["gender"]
    assert no_terminal.getvalue() == ""
    terminal = use_terminal(monkeypatch)
    shown = collect_predictions(_FixedModel(), batches)["gender"]
    assert "Predicting" in terminal.getvalue()
    assert "2/2" in terminal.getvalue()
    for name, value in plain.outputs.items():
        np.testing.assert_array_equal(shown.outputs[name], value)
    np.testing.assert_array_equal(shown.labels, plain.labels)
