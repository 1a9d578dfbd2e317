"""Whether and how long operations show their progress.

A bar shows only where a person watches: when stderr is a terminal, and
neither `set_quiet(True)` (the command's `--quiet`) nor the environment
variable `KERAS_DMTL_QUIET=1` asks for silence. Output to a file, a pipe
or a test's capture gets no bar, so logs and results read the same with
and without one.
"""

import os
import sys

QUIET_ENV = "KERAS_DMTL_QUIET"
"""Environment variable: `1` turns progress off (subprocesses inherit it)."""


def set_quiet(quiet=True):
    """Turns progress bars off for this process and those it starts.

    Quiet sets `KERAS_DMTL_QUIET=1`, which processes started from this one
    inherit. `set_quiet(False)` changes nothing: quiet, once asked, stays
    (so a recipe's `set_quiet(args.quiet)` keeps a `keras-dmtl --quiet`
    given before the command's name).

    Args:
        quiet: bool, True for no progress bars.

    Example:

    ```python
    keras_dmtl.progress.set_quiet(args.quiet)
    ```
    """
    if quiet:
        os.environ[QUIET_ENV] = "1"


def _environment_quiet():
    return os.environ.get(QUIET_ENV, "").strip() not in ("", "0")


def _is_terminal(stream):
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def showing():
    """Whether progress shows: stderr is a terminal and nothing asks quiet.

    Returns:
        bool.
    """
    return not _environment_quiet() and _is_terminal(sys.stderr)


def progress(iterable, total=None, description=None, unit="it"):
    """`iterable`, drawing a progress bar on stderr when `showing()`.

    The items are the same with or without the bar; without it (output
    not to a terminal, quiet, or tqdm missing) `iterable` itself is
    returned.

    Args:
        iterable: what to iterate over.
        total: int, the number of items, when `len(iterable)` cannot say.
        description: str, shown before the bar, such as
            `"Checking UTKFace images"`.
        unit: str, what one item is, such as `"image"`.

    Returns:
        An iterable over the items of `iterable`.

    Example:

    ```python
    for path in progress(paths, description="Checking images",
                         unit="image"):
        check(path)
    ```
    """
    if not showing():
        return iterable
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, desc=description, unit=unit,
                file=sys.stderr, dynamic_ncols=True)


def fit_verbose():
    """The `verbose` for `model.fit`: a bar per step where one shows.

    Keras draws its bar on stdout, so both stdout and stderr must be
    terminals (and nothing ask quiet) for the per-step bar.

    Returns:
        1 (Keras's per-step progress bar) or 2 (one line per epoch).

    Example:

    ```python
    model.fit(data, epochs=10, verbose=fit_verbose())
    ```
    """
    return 1 if showing() and _is_terminal(sys.stdout) else 2


def predict_verbose():
    """The `verbose` for `model.predict`: a bar where one shows.

    Returns:
        1 (Keras's progress bar, on stdout) or 0 (silent); see
        `fit_verbose`.

    Example:

    ```python
    outputs = model.predict(images, verbose=predict_verbose())
    ```
    """
    return 1 if showing() and _is_terminal(sys.stdout) else 0
