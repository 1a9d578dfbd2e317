import os
import time

import numpy as np
import pytest

from keras_dmtl.watch.sources import ImageFolderSource
from keras_dmtl.watch.sources import LiveSource
from keras_dmtl.watch.sources import SourceEnded
from keras_dmtl.watch.sources import VideoFileSource
from keras_dmtl.watch.sources import open_source


def _video(path, frames=6, fps=10):
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps,
                             (64, 48))
    for i in range(frames):
        writer.write(np.full((48, 64, 3), 20 * i, np.uint8))
    writer.release()
    return str(path)


def _read_all(source):
    frames = []
    while True:
        try:
            frames.append(source.read())
        except SourceEnded:
            return frames


def test_a_video_file_gives_its_frames_on_its_own_clock(tmp_path):
    lines = []
    source = VideoFileSource("door", _video(tmp_path / "v.mp4"), lines.append,
                             start=1000.0)
    frames = _read_all(source)
    assert [round(t, 3) for t, _ in frames] == [1000.0 + i / 10
                                                for i in range(6)]
    assert frames[0][1].shape == (48, 64, 3)
    assert lines == [f"door: video ended after 6 frames ({source.uri})"]


def test_a_folder_skips_an_unreadable_image_and_says_so(tmp_path):
    from PIL import Image

    for i in range(3):
        Image.new("RGB", (32, 24), (i * 50, 0, 0)).save(tmp_path / f"{i}.png")
    (tmp_path / "1.png").write_bytes(b"not a png")
    (tmp_path / "notes.txt").write_text("ignored")
    lines = []
    source = ImageFolderSource("shelf", str(tmp_path), lines.append, fps=2,
                               start=0.0)
    frames = _read_all(source)
    assert frames[1] is None and source.frames_skipped == 1
    assert [t for t, _ in (frames[0], frames[2])] == [0.0, 1.0]
    assert "1.png unreadable, skipped" in lines[0]
    assert lines[-1].startswith("shelf: folder ended after 2 images")


def test_a_live_source_that_drops_reconnects_and_says_so_once(tmp_path):
    # A file read as a live source ends like a stream that drops; opening it
    # again is the stream coming back.
    lines = []
    source = LiveSource("hall", _video(tmp_path / "v.mp4", frames=3),
                        lines.append)
    got, deadline = [], time.time() + 10
    while len(got) < 5 and time.time() < deadline:
        frame = source.read()
        if frame is not None:
            got.append(frame)
    source.close()
    assert len(got) == 5
    assert lines[0].startswith("hall: no frames from")
    assert lines[1].startswith("hall: frames again after")
    assert len(lines) == 2


def test_open_source_names_and_picks_the_kind(tmp_path):
    video = _video(tmp_path / "entrance.mp4")
    assert isinstance(open_source(video), VideoFileSource)
    assert open_source(video).name == "entrance"
    named = open_source(f"door={video}")
    assert (named.name, named.uri) == ("door", video)
    os.makedirs(tmp_path / "shots")
    from PIL import Image

    Image.new("RGB", (8, 8)).save(tmp_path / "shots" / "a.jpg")
    assert isinstance(open_source(str(tmp_path / "shots")), ImageFolderSource)
    with pytest.raises(ValueError, match="no such file or folder"):
        open_source(str(tmp_path / "missing.mp4"))
    with pytest.raises(ValueError, match="no source after the name"):
        open_source("door=")
    with pytest.raises(ValueError, match="not a video OpenCV can read"):
        (tmp_path / "broken.mp4").write_bytes(b"\0" * 100)
        open_source(str(tmp_path / "broken.mp4"))
