import os

import pytest

from tests.conftest import run_once
from tests.conftest import shared_path
from tests.export.conftest import model_file  # noqa: F401 (a fixture)

START = "2026-11-24T09:00:00+00:00"
"""The time `watch --start-time` gives the test video's first frame."""


@pytest.fixture(scope="session")
def watch_tflite(model_file, tmp_path_factory):  # noqa: F811
    """The small test model as a TFLite file, exported once per run."""
    from keras_dmtl.export import export_model

    def build(folder):
        result = export_model(model_file, "tflite", folder, "fp32",
                              parity_images=16)
        return [path for path in result.reports if path.endswith(".tflite")][0]

    return run_once(tmp_path_factory, "watch_tflite", build)


@pytest.fixture(scope="session")
def test_video(tmp_path_factory):
    """8 s of three real UTKFace faces crossing a room, with the truth."""
    utkface = shared_path("data", "utkface")

    def build(folder):
        from keras_dmtl.watch.test_video import choose_faces
        from keras_dmtl.watch.test_video import make_test_video

        make_test_video(folder, choose_faces(utkface, 3, seed=1),
                        seconds=8.0, fps=25, size=(640, 480), max_in_view=2,
                        seed=1)
        return folder

    folder = run_once(tmp_path_factory, "test_video", build)
    return os.path.join(folder, "video.mp4"), folder


@pytest.fixture(scope="session")
def watched_sqlite(test_video, watch_tflite, tmp_path_factory):
    """`keras-dmtl watch` run once on the test video into SQLite: the
    database file and what the command printed."""
    def build(folder):
        import contextlib
        import io

        from keras_dmtl.cli import main

        path = os.path.join(folder, "watch.db")
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            main(["watch", f"door={test_video[0]}", "--model", watch_tflite,
                  "--db", f"sqlite:///{path}", "--start-time", START,
                  "--threads", "1"])
        return {"db": path, "out": printed.getvalue()}

    return run_once(tmp_path_factory, "watched_sqlite", build)
