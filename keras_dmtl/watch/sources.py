"""Where frames come from: a camera, a video file, a stream, a folder."""

import os
import time as clock

import numpy as np

STREAM_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://",
                  "udp://", "tcp://")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")


class SourceEnded(Exception):
    """A source has no more frames (a video or a folder came to its end)."""


class FrameSource:
    """A named source of RGB frames with their times.

    `read()` gives the next `(seconds, rgb)` or None when no frame could be
    read this time (an unreadable frame, a stream that dropped: logged, and
    the caller goes on), and raises `SourceEnded` when the source has no
    more. `open_source` picks the kind from what the user wrote.

    Args:
        name: str, the name stored with the source's tracks.
        uri: str, what the user gave (a path, a URL or a camera index).
        log: a callable taking one line of text.
    """

    kind = None

    def __init__(self, name, uri, log=print):
        self.name = name
        self.uri = uri
        self.log = log
        self.frames_read = 0
        self.frames_skipped = 0

    def read(self):
        raise NotImplementedError

    def close(self):
        pass

    def __repr__(self):
        return f"{type(self).__name__}({self.name!r}, {self.uri!r})"


class VideoFileSource(FrameSource):
    """Frames of a video file, timed by the video's own clock.

    A frame's time is `start + index / fps`, so one file gives the same
    times at any speed of processing. A frame that cannot be decoded is
    skipped and counted; the end of the file ends the source.

    Args:
        name, uri, log: see `FrameSource`.
        start: float, POSIX time of the first frame (default: now).
    """

    kind = "video"

    def __init__(self, name, uri, log=print, start=None):
        import cv2

        super().__init__(name, uri, log)
        self.capture = cv2.VideoCapture(uri)
        if not self.capture.isOpened():
            raise ValueError(f"{uri}: not a video OpenCV can read")
        fps = self.capture.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and fps > 0 else 25.0
        self.frame_count = int(self.capture.get(cv2.CAP_PROP_FRAME_COUNT))
        self.start = clock.time() if start is None else float(start)
        self.index = 0

    def read(self):
        import cv2

        ok, frame = self.capture.read()
        index = self.index
        self.index += 1
        if not ok or frame is None:
            if self.frame_count <= 0 or index >= self.frame_count - 1:
                self.log(f"{self.name}: video ended after "
                         f"{self.frames_read} frames ({self.uri})")
                raise SourceEnded(self.name)
            self.frames_skipped += 1
            self.log(f"{self.name}: frame {index} of {self.uri} unreadable, "
                     "skipped")
            return None
        self.frames_read += 1
        return (self.start + index / self.fps,
                cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))

    def close(self):
        self.capture.release()


class LiveSource(FrameSource):
    """A camera or a network stream, timed by the wall clock.

    When frames stop coming (a stream that drops, a camera unplugged) the
    source says so once, then tries to open it again after 1, 2, 4, ...
    seconds (at most `max_wait`), and says when it is back. It never ends
    on its own.

    Args:
        name, uri, log: see `FrameSource`.
        max_wait: float, the longest wait between two reconnections.
    """

    kind = "live"

    def __init__(self, name, uri, log=print, max_wait=30.0):
        super().__init__(name, uri, log)
        self.max_wait = float(max_wait)
        self.capture = None
        self.down_since = None
        self.next_try = 0.0
        self.wait = 1.0
        self._open()
        if self.capture is None:
            raise ValueError(f"{uri}: cannot open this camera or stream")

    def _target(self):
        return int(self.uri) if str(self.uri).isdigit() else self.uri

    def _open(self):
        import cv2

        capture = cv2.VideoCapture(self._target())
        if capture.isOpened():
            self.capture = capture
        else:
            capture.release()
            self.capture = None

    def read(self):
        now = clock.time()
        if self.capture is None:
            if now < self.next_try:
                clock.sleep(min(0.05, self.next_try - now))
                return None
            self._open()
            if self.capture is None:
                self.wait = min(self.wait * 2, self.max_wait)
                self.next_try = clock.time() + self.wait
                return None
        ok, frame = self.capture.read()
        if not ok or frame is None:
            if self.down_since is None:
                self.down_since = now
                self.log(f"{self.name}: no frames from {self.uri}; "
                         "reconnecting")
            self.capture.release()
            self.capture = None
            self.next_try = now + self.wait
            return None
        if self.down_since is not None:
            self.log(f"{self.name}: frames again after "
                     f"{now - self.down_since:.1f} s")
            self.down_since, self.wait = None, 1.0
        import cv2

        self.frames_read += 1
        return now, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)

    def close(self):
        if self.capture is not None:
            self.capture.release()


class ImageFolderSource(FrameSource):
    """The images of a folder in name order, as frames `1 / fps` apart.

    An unreadable image is skipped, counted and named in the log.

    Args:
        name, uri, log: see `FrameSource`.
        fps: float, the frame rate the images stand for. Defaults to 25.
        start: float, POSIX time of the first image (default: now).
    """

    kind = "folder"

    def __init__(self, name, uri, log=print, fps=25.0, start=None):
        super().__init__(name, uri, log)
        self.files = sorted(
            os.path.join(uri, f) for f in os.listdir(uri)
            if f.lower().endswith(IMAGE_SUFFIXES))
        if not self.files:
            raise ValueError(f"{uri}: no images ({', '.join(IMAGE_SUFFIXES)})"
                             " in this folder")
        self.fps = float(fps)
        self.start = clock.time() if start is None else float(start)
        self.index = 0

    def read(self):
        from keras_dmtl.data.alignment import load_rgb

        if self.index >= len(self.files):
            self.log(f"{self.name}: folder ended after {self.frames_read} "
                     f"images ({self.uri})")
            raise SourceEnded(self.name)
        index, path = self.index, self.files[self.index]
        self.index += 1
        try:
            image = load_rgb(path)
        except (OSError, ValueError) as error:
            self.frames_skipped += 1
            self.log(f"{self.name}: {path} unreadable, skipped ({error})")
            return None
        self.frames_read += 1
        return self.start + index / self.fps, np.asarray(image, "uint8")


def open_source(spec, log=print, start=None):
    """Opens a source from what the user wrote: `[NAME=]WHAT`.

    WHAT is a camera index (`0`), a stream URL (`rtsp://...`,
    `http://...`), a folder of images or a video file. Without a name, the
    file's or folder's name (or `camera0`) is used.

    Raises:
        ValueError: naming the source when it is none of these or cannot be
            opened.
    """
    name, _, what = spec.partition("=") if _named(spec) else ("", "", spec)
    if not what:
        raise ValueError(f"{spec!r}: no source after the name")
    if what.isdigit():
        return LiveSource(name or f"camera{what}", what, log)
    if what.lower().startswith(STREAM_SCHEMES):
        return LiveSource(name or what.split("//", 1)[1].split("/")[0],
                          what, log)
    base = os.path.basename(os.path.normpath(what))
    if os.path.isdir(what):
        return ImageFolderSource(name or base, what, log, start=start)
    if os.path.isfile(what):
        return VideoFileSource(name or os.path.splitext(base)[0], what, log,
                               start=start)
    raise ValueError(f"{what}: no such file or folder, and not a camera "
                     "index or a stream URL")


def _named(spec):
    """Whether `spec` starts with `NAME=` (a URL's `=` in a query is not)."""
    head = spec.split("=", 1)[0]
    return "=" in spec and "/" not in head and ":" not in head
