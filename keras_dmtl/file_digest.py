"""The SHA-256 of a file, or of a folder's files."""

import hashlib
import os


def sha256_of(path):
    """The hex SHA-256 of a file, or of every file in a folder (sorted by
    path), read a megabyte at a time.

    Example:

    ```python
    sha256_of("runs/utkface/model.keras")[:12]
    ```
    """
    path = os.path.abspath(os.fspath(path))
    files = ([os.path.join(root, f) for root, _, names in os.walk(path)
              for f in names] if os.path.isdir(path) else [path])
    digest = hashlib.sha256()
    for name in sorted(files):
        with open(name, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()
