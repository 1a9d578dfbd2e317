"""Checks image files before training and fingerprints their bytes."""

import hashlib
import io
import json
import os

CACHE_ENV = "KERAS_DMTL_CACHE"


def cache_dir():
    """The folder for keras-dmtl's caches (`$KERAS_DMTL_CACHE` or ~/.cache)."""
    return os.environ.get(CACHE_ENV) or os.path.join(
        os.path.expanduser("~"), ".cache", "keras_dmtl"
    )


def check_image_bytes(data):
    """Returns None if `data` decodes as an image, else the reason."""
    from PIL import Image

    if not data:
        return "empty file (0 bytes)"
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except Exception as error:  # PIL raises many kinds for bad data.
        return f"not a readable image ({type(error).__name__}: {error})"
    return None


def check_image_files(paths, report, use_cache=True):
    """Decodes every file once, recording the unusable ones in `report`.

    A file that is missing, empty, truncated, corrupt or not an image is
    skipped and counted (or, in a strict report, raises naming the file).
    Each file's verdict and SHA-1 are cached by path, size and modification
    time, so a second run reads no image twice.

    Args:
        paths: list of image paths.
        report: the reader's `ReadReport`.
        use_cache: keep verdicts in the cache folder.

    Returns:
        `(keep, digests)`: a list of bool per path, and the SHA-1 hex digest
        of each kept file (None for skipped ones).
    """
    cache_file = os.path.join(cache_dir(), "image_checks.json")
    cache = {}
    if use_cache and os.path.isfile(cache_file):
        try:
            with open(cache_file) as file:
                cache = json.load(file)
        except (OSError, ValueError):
            cache = {}
    changed = False
    keep, digests = [], []
    for path in paths:
        try:
            stat = os.stat(path)
        except OSError:
            report.skip(path, "missing file")
            keep.append(False)
            digests.append(None)
            continue
        key = f"{os.path.abspath(path)}|{stat.st_size}|{stat.st_mtime_ns}"
        if key not in cache:
            with open(path, "rb") as file:
                data = file.read()
            cache[key] = [check_image_bytes(data),
                          hashlib.sha1(data).hexdigest()]
            changed = True
        reason, digest = cache[key]
        if reason is not None:
            report.skip(path, reason)
            keep.append(False)
            digests.append(None)
        else:
            keep.append(True)
            digests.append(digest)
    if use_cache and changed:
        os.makedirs(os.path.dirname(cache_file), exist_ok=True)
        temporary = f"{cache_file}.{os.getpid()}.tmp"
        with open(temporary, "w") as file:
            json.dump(cache, file)
        os.replace(temporary, cache_file)
    return keep, digests


def keep_readable(paths, report, *columns):
    """`check_image_files`, then drops the unreadable files' entries.

    Args:
        paths: list of image paths.
        report: the reader's `ReadReport`.
        *columns: lists with one entry per path (labels, subjects, ...),
            filtered alongside.

    Returns:
        `(paths, *columns, digests)`, each holding the readable files only.
    """
    keep, digests = check_image_files(paths, report)
    return tuple([v for v, k in zip(values, keep) if k]
                 for values in (paths, *columns, digests))


def duplicate_groups(digests):
    """Indices of byte-identical files, as lists of 2 or more."""
    groups = {}
    for index, digest in enumerate(digests):
        if digest is not None:
            groups.setdefault(digest, []).append(index)
    return [group for group in groups.values() if len(group) > 1]
