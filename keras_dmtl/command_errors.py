"""How a command ends on an error: one line and an exit status."""

import sys

INTERRUPTED = 130
"""The exit status of a command stopped by Ctrl-C (128 + SIGINT)."""
PLAIN_ERRORS = (ValueError, RuntimeError, FileNotFoundError, FileExistsError,
                NotADirectoryError, IsADirectoryError, PermissionError)
"""Exceptions whose message is clear alone; others show their type too."""
MAX_MESSAGE = 2000


def error_line(error):
    """An exception as one line: its message, with its type where needed.

    The messages of `PLAIN_ERRORS` and of keras-dmtl's own exceptions
    (written to name the file and field at fault), and of errors of the
    system that name a file, stand alone; any other exception (a JSON or
    runtime library's error, a `KeyError`), or one with no message, is
    shown as `Type: message`. Line breaks become spaces, and a very long
    message is cut.

    Args:
        error: an `Exception`.

    Returns:
        A string without line breaks.
    """
    text = str(error).strip()
    if isinstance(error, KeyError) and len(error.args) == 1:
        text = repr(error.args[0])
    plain = (type(error) in PLAIN_ERRORS
             or type(error).__module__.startswith("keras_dmtl")
             or isinstance(error, OSError) and error.filename is not None)
    if not text or not plain:
        name = type(error).__name__
        text = f"{name}: {text}" if text else name
    text = " ".join(text.split())
    if len(text) > MAX_MESSAGE:
        text = text[:MAX_MESSAGE - 3] + "..."
    return text


def run_guarded(function, command, debug=False):
    """Calls `function()`; an error becomes one line and an exit status.

    Args:
        function: what the command does, without arguments.
        command: the command's name in messages, such as `"export"`.
        debug: bool, let exceptions through with their traceback.

    Returns:
        What `function` returns.

    Raises:
        SystemExit: 1 with `keras-dmtl <command>: <message>` for any error,
            130 with `interrupted` for Ctrl-C; with `debug`, the exception
            itself instead.
    """
    try:
        return function()
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"keras-dmtl {command}: interrupted", file=sys.stderr)
        sys.exit(INTERRUPTED)
    except Exception as error:
        if debug:
            raise
        sys.exit(f"keras-dmtl {command}: {error_line(error)}")
