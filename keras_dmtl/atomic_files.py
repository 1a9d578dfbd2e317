"""Files written whole or not at all.

A file a command produces is written under a hidden temporary name in its
own folder, flushed to disk, then renamed into place: a reader, or a run
killed at any moment, sees the old file or the new one, never half of one.
"""

import contextlib
import json
import os


def temporary_path(path):
    """A hidden name beside `path`, unique to this process, same suffix.

    The suffix is kept because some writers choose the format from it
    (`model.save` wants `.keras`).
    """
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{name}.partial-{os.getpid()}-{name}")


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path; renames it to `path` if the block succeeds.

    If the block raises, the temporary file is removed and `path` is left
    as it was.

    Args:
        path: the file to produce.

    Example:

    ```python
    with atomic_path("runs/a/model.keras") as temporary:
        model.save(temporary)
    ```
    """
    temporary = temporary_path(path)
    try:
        yield temporary
        _sync(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.lexists(temporary):
            os.remove(temporary)
    _sync_folder(os.path.dirname(os.path.abspath(path)))


def write_text(path, text):
    """Writes `text` to `path` atomically."""
    with atomic_path(path) as temporary:
        with open(temporary, "w") as file:
            file.write(text)


def write_json(path, value):
    """Writes `value` as indented JSON to `path` atomically."""
    write_text(path, json.dumps(value, indent=2) + "\n")


def _sync(path):
    if os.path.isfile(path):
        with open(path, "rb") as file:
            os.fsync(file.fileno())


def _sync_folder(folder):
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
