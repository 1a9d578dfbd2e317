"""Checks image files before training and fingerprints their bytes."""

import contextlib
import hashlib
import io
import json
import os
import re
import stat
import warnings

from keras_dmtl.progress import progress

CACHE_ENV = "KERAS_DMTL_CACHE"

MAX_FILE_BYTES = 64 * 2 ** 20
"""Image files larger than this (64 MiB) are refused without being read."""

MAX_IMAGE_PIXELS = 100_000_000
"""Images of more pixels than this (100 megapixels, 10000x10000) are refused
before they are decoded: a small file can claim a huge image (a
decompression bomb)."""

CHECK_VERSION = 2
"""The version of the verdicts in the cache: verdicts of another version
(version 1 decoded with Pillow only) are not trusted."""


def cache_dir():
    """The folder for keras-dmtl's caches (`$KERAS_DMTL_CACHE` or ~/.cache)."""
    return os.environ.get(CACHE_ENV) or os.path.join(
        os.path.expanduser("~"), ".cache", "keras_dmtl"
    )


def file_problem(path):
    """Why `path` is no image file to read, from its status alone, or None.

    Only a regular file of at most `MAX_FILE_BYTES` is read: a folder, a
    device (`/dev/zero`), a FIFO or a socket is refused, as is a larger
    file, without reading a byte of it.
    """
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return "missing file"
    except OSError as error:
        return f"cannot read the file ({error.strerror})"
    return _status_problem(status)


def _status_problem(status):
    mode = status.st_mode
    if not stat.S_ISREG(mode):
        kind = ("a folder" if stat.S_ISDIR(mode) else
                "a FIFO" if stat.S_ISFIFO(mode) else
                "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else
                "a socket" if stat.S_ISSOCK(mode) else "a special file")
        return f"not a regular file ({kind})"
    if status.st_size > MAX_FILE_BYTES:
        return (f"file of {status.st_size} bytes is larger than the limit "
                f"of {_size_words(MAX_FILE_BYTES)} for an image")
    return None


def _size_words(size):
    return (f"{size // 2 ** 20} MiB" if size and size % 2 ** 20 == 0
            else f"{size} bytes")


def read_image_file(path):
    """The bytes of an image file, read only if `file_problem` finds none.

    The file is opened without blocking and checked again once open, and
    at most `MAX_FILE_BYTES` + 1 bytes are read, so a path swapped for a
    FIFO or a growing file cannot hang or exhaust memory.

    Raises:
        ValueError: "<path>: <reason>".
    """
    problem = file_problem(path)
    if problem is None:
        try:
            handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError as error:
            problem = f"cannot read the file ({error.strerror})"
    if problem is None:
        with os.fdopen(handle, "rb") as file:
            problem = _status_problem(os.fstat(handle))
            data = b"" if problem else file.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            problem = (f"file is larger than the limit of "
                       f"{_size_words(MAX_FILE_BYTES)} for an image")
    if problem is not None:
        raise ValueError(f"{path}: {problem}")
    return data


def check_image_bytes(data):
    """Returns None if `data` decodes as the training stream decodes it.

    A file is usable when Pillow reads its size (at most
    `MAX_IMAGE_PIXELS`) and decodes it (as alignment and `predict` do) and
    TensorFlow decodes it as the training stream does
    (`keras_dmtl.data.pipeline.decode_image`: JPEG, PNG, GIF, BMP, WebP).
    A TIFF, PPM, ICO or TGA file, which Pillow reads but the stream does
    not, is refused whatever its name.

    Returns:
        None, or the reason on one line.
    """
    if not data:
        return "empty file (0 bytes)"
    return _pillow_problem(data) or _stream_problem(data)


class TooManyPixels(ValueError):
    """Raised for an image of more than `MAX_IMAGE_PIXELS`."""


@contextlib.contextmanager
def open_image(data):
    """Opens image file bytes with Pillow, refusing decompression bombs.

    Only the header is read before the image's size is compared with
    `MAX_IMAGE_PIXELS` (Pillow's own, larger limit is met with the same
    error); the pixels are decoded when the caller asks for them.

    Raises:
        TooManyPixels: for an image of more pixels than the limit.
        Pillow's errors: for data that is no image.
    """
    from PIL import Image

    with warnings.catch_warnings():
        # The pixel limit below replaces Pillow's own warning.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError as error:
            raise TooManyPixels(f"too many pixels ({error})") from None
        with image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise TooManyPixels(
                    f"{width}x{height} pixels is more than the "
                    f"{MAX_IMAGE_PIXELS // 10 ** 6} megapixel limit for an "
                    "image")
            yield image


def _pillow_problem(data):
    try:
        with open_image(data) as image:
            image.load()
    except TooManyPixels as error:
        return str(error)
    except Exception as error:  # PIL raises many kinds for bad data.
        return f"not a readable image ({_one_line(error)})"
    return None


def _stream_problem(data):
    from keras_dmtl.data.pipeline import decode_image

    try:
        decode_image(data)
    except Exception as error:  # tf.errors.InvalidArgumentError, mostly.
        return ("not decodable by the training stream "
                f"({_one_line(error, getattr(error, 'message', None))})")
    return None


def _one_line(error, message=None):
    """An exception as one line, without TensorFlow's op decorations."""
    text = message if message is not None else (
        f"{type(error).__name__}: {error}")
    text = re.sub(r"\{\{[^}]*\}\}", "", text)
    text = re.sub(r"\[Op:[^\]]*\].*", "", text, flags=re.S)
    text = re.sub(r"<_io\.BytesIO object at 0x[0-9a-fA-F]+>", "data", text)
    return " ".join(text.split()).rstrip(". ")


def check_image_files(paths, report, use_cache=True, names=None,
                      decode=True):
    """Decodes every file once, recording the unusable ones in `report`.

    A file that is missing, empty, truncated, corrupt or not an image, that
    the training stream cannot decode (`check_image_bytes`), that is no
    regular file (a folder named `x.jpg`, a device, a FIFO) or larger than
    `MAX_FILE_BYTES`, or whose image has more than `MAX_IMAGE_PIXELS`, is
    skipped and counted (or, in a strict report, raises naming the file).
    Each file's verdict and SHA-1 are cached by path, size and modification
    time, so a second run reads no image twice. A progress bar shows
    while the files are read (`keras_dmtl.progress`).

    Args:
        paths: list of image paths.
        report: the reader's `ReadReport`.
        use_cache: keep verdicts in the cache folder.
        names: optional list naming each path in the report (such as
            "<path> (<table> row N, field image)"); defaults to the paths.
        decode: False to look at each file's status only (`file_problem`:
            missing, no regular file, too large), reading none; the
            digests are then all None.

    Returns:
        `(keep, digests)`: a list of bool per path, and the SHA-1 hex digest
        of each kept file (None for skipped ones).
    """
    if not decode:
        problems = [file_problem(path) for path in paths]
        for name, problem in zip(names or paths, problems):
            if problem is not None:
                report.skip(name, problem)
        return [p is None for p in problems], [None] * len(paths)
    cache_file = os.path.join(cache_dir(),
                              f"image_checks.v{CHECK_VERSION}.json")
    cache = _load_cache(cache_file) if use_cache else {}
    changed = False
    keep, digests = [], []
    checked = progress(
        zip(paths, names or paths), total=len(paths), unit="image",
        description=f"Checking {getattr(report, 'source', None) or 'images'}")
    for path, name in checked:
        reason, digest, new = _file_verdict(path, cache)
        changed = changed or new
        if reason is not None:
            report.skip(name, reason)
            keep.append(False)
            digests.append(None)
        else:
            keep.append(True)
            digests.append(digest)
    if use_cache and changed:
        _save_cache(cache_file, cache)
    return keep, digests


def _file_verdict(path, cache):
    """`(reason, digest, new)` of one file, from `cache` or by reading it.

    A file's status is looked at first: a special or oversized file is
    refused without being read or cached. A verdict read from the file is
    added to `cache` (`new` is True).
    """
    try:
        status = os.stat(path)
    except OSError:
        return file_problem(path), None, False
    problem = _status_problem(status)
    if problem is not None:
        return problem, None, False
    key = f"{os.path.abspath(path)}|{status.st_size}|{status.st_mtime_ns}"
    if key in cache:
        reason, digest = cache[key]
        return reason, digest, False
    try:
        data = read_image_file(path)
    except ValueError as error:
        return str(error)[len(f"{path}: "):], None, False
    reason, digest = check_image_bytes(data), hashlib.sha1(data).hexdigest()
    cache[key] = [reason, digest]
    return reason, digest, True


def _load_cache(cache_file):
    if not os.path.isfile(cache_file):
        return {}
    try:
        with open(cache_file) as file:
            cache = json.load(file)
    except (OSError, ValueError):
        return {}
    return cache if isinstance(cache, dict) else {}


def _save_cache(cache_file, cache):
    os.makedirs(os.path.dirname(cache_file), exist_ok=True)
    temporary = f"{cache_file}.{os.getpid()}.tmp"
    with open(temporary, "w") as file:
        json.dump(cache, file)
    os.replace(temporary, cache_file)


def keep_readable(paths, report, *columns, names=None, decode=True):
    """`check_image_files`, then drops the unreadable files' entries.

    Args:
        paths: list of image paths.
        report: the reader's `ReadReport`.
        *columns: lists with one entry per path (labels, subjects, ...),
            filtered alongside.
        names: optional list naming each path in the report.
        decode: False to check each file's status only (see
            `check_image_files`).

    Returns:
        `(paths, *columns, digests)`, each holding the readable files only.
    """
    keep, digests = check_image_files(paths, report, names=names,
                                      decode=decode)
    return tuple([v for v, k in zip(values, keep) if k]
                 for values in (paths, *columns, digests))


def duplicate_groups(digests):
    """Indices of byte-identical files, as lists of 2 or more."""
    groups = {}
    for index, digest in enumerate(digests):
        if digest is not None:
            groups.setdefault(digest, []).append(index)
    return [group for group in groups.values() if len(group) > 1]
