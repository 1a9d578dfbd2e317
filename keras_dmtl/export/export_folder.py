"""The output folder of `export_model`: what it may replace, what it cleans.

An export builds its files in a staging folder inside the output folder,
then moves them into place. Two rules keep the folder honest:

- **Only what this tool wrote is replaced.** The output folder's marker
  file `.keras-dmtl-export` lists the entries that exports wrote there. An
  export whose files would replace anything else is refused before it
  starts, naming the entry, and the folder is left as it was. A folder
  exported by an earlier release (no marker, but a keras-dmtl
  `model_info.json`) counts its artifacts with their `.parity.json`, and
  beside a `build_engine_<precision>.sh` the TensorRT helpers and engines,
  as written by this tool.
- **A killed export's staging folder is removed by the next export.** A
  staging folder is named `.keras-dmtl-staging-*` and holds the marker
  `.keras-dmtl-staging`, which records the host and the process id (and,
  on Linux, the process's start time) of its export. The next export into
  the folder removes the staging folders whose process is gone, and only
  those: a folder without the marker, or whose process still runs (or runs
  on another host), is left alone.
"""

import json
import os
import re
import shutil
import socket
import tempfile

from keras_dmtl.export.model_info import FORMAT
from keras_dmtl.export.model_info import INFO_FILE

EXPORT_MARKER = ".keras-dmtl-export"
"""The output folder's list of the entries that exports wrote there."""
STAGING_PREFIX = ".keras-dmtl-staging-"
"""How the name of an export's staging folder starts."""
STAGING_MARKER = ".keras-dmtl-staging"
"""A file in every staging folder: its export's host and process."""
PARITY_SUFFIX = ".parity.json"
TENSORRT_HELPERS = ("build_engine.py", "parity.py", "keras_dmtl",
                    "parity_images.npy", "parity_reference.npz",
                    "calibration_images.npy", "calibration.cache")


def check_export_folder(out, names):
    """Refuses an export that would replace what this tool did not write.

    Args:
        out: the output folder (it need not exist).
        names: the entries the export writes into `out`.

    Raises:
        ValueError: naming the folder and the entries at stake, when `out`
            is not a folder or holds one of `names` that no export wrote.
    """
    if not os.path.lexists(out):
        return
    if not os.path.isdir(out):
        raise ValueError(f"{out}: exists and is not a folder; give a folder "
                         "for the export")
    ours = exported_entries(out)
    clashes = [name for name in names
               if os.path.lexists(os.path.join(out, name))
               and name not in ours]
    if clashes:
        raise ValueError(
            f"{out}: holds {', '.join(clashes)}, which keras-dmtl export did "
            f"not write (they are not listed in {EXPORT_MARKER}); nothing was "
            "changed. Move them away or give another folder for the export.")


def exported_entries(out):
    """The entries of `out` that exports wrote, as a set of names.

    The names listed in the folder's `.keras-dmtl-export`; without that
    file, those of an earlier release's export (see the module's notes).
    An unreadable marker lists nothing.
    """
    marker = os.path.join(out, EXPORT_MARKER)
    if os.path.lexists(marker):
        try:
            with open(marker, encoding="utf-8") as file:
                entries = json.load(file).get("entries")
        except (OSError, ValueError, AttributeError):
            return set()
        if not isinstance(entries, list):
            return set()
        return {e for e in entries if isinstance(e, str)}
    return _earlier_export_entries(out)


def _earlier_export_entries(out):
    """What an export of release 0.1 wrote into `out` (it left no marker)."""
    try:
        with open(os.path.join(out, INFO_FILE), encoding="utf-8") as file:
            info = json.load(file)
    except (OSError, ValueError):
        return set()
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        return set()
    names = set(os.listdir(out))
    ours = {INFO_FILE}
    for name in names:
        if name.endswith(PARITY_SUFFIX):
            ours |= {name, name[:-len(PARITY_SUFFIX)]}
    scripts = {n for n in names if re.fullmatch(r"build_engine_\w+\.sh", n)}
    if scripts:  # a TensorRT export
        ours |= scripts | (names & set(TENSORRT_HELPERS))
        ours |= {n for n in names if re.fullmatch(r"model_\w+\.engine", n)}
    return ours & names


def record_entries(out, names, later=()):
    """Adds `names` to the folder's list of entries written by exports.

    Args:
        out: the output folder.
        names: the entries this export is about to move into `out`.
        later: entries the export's own scripts write later (a TensorRT
            engine built on the device); listed only where `out` holds no
            other entry of that name.
    """
    ours = exported_entries(out)
    entries = {n for n in ours if os.path.lexists(os.path.join(out, n))}
    entries |= set(names)
    entries |= {n for n in later
                if n in ours or not os.path.lexists(os.path.join(out, n))}
    marker = os.path.join(out, EXPORT_MARKER)
    temporary = f"{marker}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as file:
        json.dump({"written_by": "keras-dmtl export",
                   "note": "the entries of this folder that keras-dmtl "
                           "export wrote, and may replace",
                   "entries": sorted(entries)}, file, indent=2)
    os.replace(temporary, marker)


def make_staging(out):
    """Creates a staging folder in `out`, marked with this process.

    Returns:
        The staging folder's path.
    """
    staging = tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out)
    pid = os.getpid()
    status = _process_status(pid)
    with open(os.path.join(staging, STAGING_MARKER), "w") as file:
        json.dump({"written_by": "keras-dmtl export", "host": _host(),
                   "pid": pid,
                   "process_start": status[1] if status else None}, file)
    return staging


def staged_entries(staging):
    """The entries of a staging folder to move into place (not its marker)."""
    return [e for e in sorted(os.listdir(staging)) if e != STAGING_MARKER]


def remove_stale_staging(out):
    """Removes the staging folders in `out` of exports that were killed.

    Only folders named `.keras-dmtl-staging-*` that hold the marker
    `.keras-dmtl-staging` are considered, and only those whose export's
    process (on this host) no longer runs are removed.

    Returns:
        A one-line note naming the removed folders, or None if none was.
    """
    removed = []
    for name in sorted(os.listdir(out)):
        path = os.path.join(out, name)
        if (not name.startswith(STAGING_PREFIX) or os.path.islink(path)
                or not os.path.isdir(path)):
            continue
        try:
            with open(os.path.join(path, STAGING_MARKER)) as file:
                record = json.load(file)
        except (OSError, ValueError):
            continue
        if not isinstance(record, dict) or _still_running(record):
            continue
        shutil.rmtree(path, ignore_errors=True)
        if not os.path.exists(path):
            removed.append(f"{name} (pid {record['pid']})")
    if not removed:
        return None
    return (f"Removed {len(removed)} staging folder(s) of interrupted exports "
            f"from {out}: {', '.join(removed)}.")


def _host():
    return socket.gethostname()


def _still_running(record):
    """Whether a staging marker's export may still be running.

    Unknown (another host, no usable process id, a process that exists but
    cannot be inspected) counts as running.
    """
    pid = record.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return True
    if record.get("host") != _host():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, as another user's
        return True
    status = _process_status(pid)
    if status is None:
        return True
    state, start = status
    if state in ("Z", "X"):  # killed, not yet reaped by its parent
        return False
    started = record.get("process_start")
    return started is None or started == start  # else: the pid was reused


def _process_status(pid):
    """`(state, start time)` of a process from /proc, or None where unknown."""
    try:
        with open(f"/proc/{pid}/stat") as file:
            stat = file.read()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()
    if len(fields) < 20:
        return None
    return fields[0], fields[19]
