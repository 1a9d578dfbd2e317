"""A training run's folder: one complete run, or plainly an unfinished one."""

import atexit
import glob
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time

from keras_dmtl.atomic_files import atomic_path
from keras_dmtl.atomic_files import write_json
from keras_dmtl.atomic_files import write_text

RUN_FILE = "run.json"
UNFINISHED_FILE = "run.unfinished.json"
BACKUP_FOLDER = ".backup"
LOCK_FILE = ".run.lock"
# What recipes of release 0.1 wrote, for folders whose run.json lists no files.
RELEASE_0_1_FILES = ["model.keras", "history.csv", "metrics.json",
                     "test_set.csv", "test_*.csv", "history_fold*.csv",
                     "folds.csv", "summary.json", RUN_FILE]


class RunFolder:
    """The output folder of a training run, written so that it never lies.

    While a run trains, `run.unfinished.json` holds its settings, the files
    it has written so far and a fingerprint of its test faces; every file
    is written under a temporary name and renamed into place; Keras's
    `BackupAndRestore` keeps the model and optimizer state of the last
    finished epoch in `.backup/`. `commit` writes `run.json` last, then
    removes the marker and the backup. So a folder holds either one complete
    run (`run.json`, no marker) or says plainly that its run is unfinished.

    Opening a folder decides what the run does:
    - a new or empty folder: a new run;
    - an unfinished run with the same settings: it resumes from its last
      finished epoch (`resuming`);
    - a finished run with the same settings: nothing to do (`finished`);
    - a run with other settings: refused, unless `overwrite`, which first
      removes the files that run wrote, and only those (an unfinished run
      that wrote nothing yet, such as one stopped by a wrong `--data`, is
      replaced without asking);
    - a non-empty folder that holds no run: refused, always.

    Several machines training one run (`--strategy multi_worker`) all run
    the same recipe, but only the chief writes the folder. Every other
    worker (`chief=False`) writes the same files, its backup included, into
    a private temporary folder that is removed when it finishes or exits.
    It opens the run by reading the chief's folder, if it can, and never
    writes there: it takes the chief's decision (finished, refused, new or
    resuming), and to resume it copies the chief's backup into its own
    folder. So a multi-worker run resumes when `--out` is on storage every
    machine sees (the same path on each). Otherwise the other workers start
    from the first epoch while the chief resumes from its backup, and `fit`
    refuses to train, on every worker, with a one-line error, rather than
    let the workers' models drift apart: put `--out` on shared storage, or
    start again in a new `--out`.

    Args:
        path: the run folder.
        settings: dict of the run's settings, such as a recipe's
            `vars(args)`. Keys in `IGNORED_SETTINGS` do not count.
        overwrite: bool, replace a run with other settings.
        chief: bool, whether this process writes the folder: False for
            every worker of a multi-worker run but the chief (see
            `keras_dmtl.training.is_chief`).

    Example:

    ```python
    run = RunFolder("runs/utkface", {"epochs": 40, "seed": 0})
    if not run.finished:
        run.check_split(test)
        run.fit(model, train_data, epochs=40)
        run.save_model(model)
        run.commit()
    ```
    """

    # How a run is spread over devices does not change what it trains.
    IGNORED_SETTINGS = ("out", "overwrite", "debug", "quiet", "strategy")

    def __init__(self, path, settings, overwrite=False, chief=True):
        self.path = path
        self.settings = settings
        self.overwrite = overwrite
        self.chief = chief
        self.chief_path = path
        self.finished = False
        self.resuming = False
        self._state = {}
        self._lock = None
        if not chief:
            self._open_as_worker()
            return
        had_lock = os.path.exists(self.file(LOCK_FILE))
        try:
            self._open()
        except BaseException:
            if self._lock is not None:
                self._lock.close()
                self._lock = None
                if not had_lock and os.path.exists(self.file(LOCK_FILE)):
                    os.remove(self.file(LOCK_FILE))
            raise

    @classmethod
    def from_arguments(cls, args, strategy=None):
        """The run folder of a recipe's command line, for a script.

        Opens `args.out` with the settings `vars(args)` and
        `args.overwrite`, and prints what it holds. Exits the process with
        code 0 when the run finished before, and with a one-line message
        when the folder is refused.

        Args:
            args: the `argparse.Namespace` of `add_training_arguments`.
            strategy: the `tf.distribute.Strategy` of the run, made before;
                None for one process. Only its chief writes `args.out`.
        """
        chief = True
        if strategy is not None:
            from keras_dmtl.training.distribution import is_chief

            chief = is_chief(strategy)
        try:
            run = cls(args.out, vars(args), overwrite=args.overwrite,
                      chief=chief)
        except ValueError as error:
            sys.exit(f"error: {error}")
        print(run.status)
        if run.finished:
            sys.exit(0)
        return run

    def file(self, name):
        """The path of `name` inside the folder."""
        return os.path.join(self.path, name)

    @property
    def status(self):
        """One line on what the folder holds for this run."""
        if not self.chief:
            what = ("finished: nothing to do" if self.finished else
                    "resuming from the chief's backup" if self.resuming
                    else "a new run")
            return (f"{self.chief_path}: {what}; this worker is not the "
                    f"chief and writes into {self.path} (removed when it "
                    "finishes).")
        if self.finished:
            return (f"{self.path} holds this run, finished: nothing to do "
                    "(pass --overwrite to train it again).")
        if self.resuming:
            return (f"Resuming the unfinished run in {self.path} from its "
                    "last finished epoch.")
        return f"New run in {self.path}."

    def _open(self):
        if os.path.lexists(self.path) and not os.path.isdir(self.path):
            raise ValueError(f"{self.path} is not a folder; choose another "
                             "--out")
        os.makedirs(self.path, exist_ok=True)
        foreign = [name for name in os.listdir(self.path) if name != LOCK_FILE]
        self._lock = _lock(self.file(LOCK_FILE))
        self._remove_partial_files()
        unfinished = _read_json(self.file(UNFINISHED_FILE))
        finished = None if unfinished else _read_json(self.file(RUN_FILE))
        previous = unfinished or finished
        if previous is None:
            if foreign:
                raise ValueError(
                    f"{self.path} is not empty and holds no keras-dmtl run; "
                    "choose another --out (nothing in it was changed)")
            self._start()
            return
        if unfinished and not unfinished.get("files"):
            self._remove(unfinished)  # it stopped before writing anything
            self._start()
            return
        settings = previous.get("settings", previous)
        changed = self._changed(settings)
        if not changed:
            if unfinished:
                self.resuming = True
                self._state = unfinished
            else:
                self.finished = True
                self.close()
            return
        if not self.overwrite:
            kind = "an unfinished" if unfinished else "a finished"
            raise ValueError(
                f"{self.path} holds {kind} run with other settings "
                f"({'; '.join(changed)}); pass --overwrite to replace it, "
                "or choose another --out")
        self._remove(previous)
        self._start()

    def _open_as_worker(self):
        """Opens a private folder, following the chief's folder if seen."""
        unfinished = finished = None
        if os.path.isdir(self.chief_path):
            unfinished = _read_json(os.path.join(self.chief_path,
                                                 UNFINISHED_FILE))
            if not unfinished:
                finished = _read_json(os.path.join(self.chief_path,
                                                   RUN_FILE))
        previous = unfinished or finished
        # What the chief may be writing as this reads does not count.
        if previous is None and os.path.isdir(self.chief_path) and [
                name for name in os.listdir(self.chief_path)
                if name != LOCK_FILE and ".partial-" not in name]:
            raise ValueError(
                f"{self.chief_path} is not empty and holds no keras-dmtl "
                "run; choose another --out (nothing in it was changed)")
        if previous is not None and not (unfinished
                                         and not unfinished.get("files")):
            changed = self._changed(previous.get("settings", previous))
            if changed and not self.overwrite:
                kind = "an unfinished" if unfinished else "a finished"
                raise ValueError(
                    f"{self.chief_path} holds {kind} run with other settings"
                    f" ({'; '.join(changed)}); pass --overwrite to replace "
                    "it, or choose another --out")
            if not changed:
                self.finished = finished is not None
                self.resuming = unfinished is not None
        if self.finished:
            return
        self.path = tempfile.mkdtemp(prefix="keras-dmtl-worker-")
        atexit.register(shutil.rmtree, self.path, True)
        backup = os.path.join(self.chief_path, BACKUP_FOLDER)
        if self.resuming and os.path.isdir(backup):
            shutil.copytree(backup, self.file(BACKUP_FOLDER))
        self._state = {"settings": self.settings, "files": [],
                       "started": _now()}
        if self.resuming and "split" in unfinished:
            self._state["split"] = unfinished["split"]
        write_json(self.file(UNFINISHED_FILE), self._state)

    def _changed(self, before):
        """The settings that differ from `before`, as 'name: old -> new'."""
        now = _comparable(self.settings, self.IGNORED_SETTINGS)
        before = _comparable(before, self.IGNORED_SETTINGS)
        return [f"{key}: {before.get(key)!r} -> {now.get(key)!r}"
                for key in sorted(set(now) | set(before))
                if now.get(key) != before.get(key)]

    def _start(self):
        self._state = {"settings": self.settings, "files": [],
                       "started": _now(),
                       "note": "This run has not finished; rerun the same "
                               "command to resume it."}
        write_json(self.file(UNFINISHED_FILE), self._state)
        if os.path.lexists(self.file(RUN_FILE)):
            os.remove(self.file(RUN_FILE))

    def _remove(self, previous):
        """Removes what the previous run wrote, and nothing else."""
        names = previous.get("files")
        if names is None:  # a run.json of release 0.1: the settings alone
            names = RELEASE_0_1_FILES
        names = list(names) + [BACKUP_FOLDER, UNFINISHED_FILE, RUN_FILE]
        for name in names:
            for path in glob.glob(self.file(name)):
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                elif os.path.lexists(path):
                    os.remove(path)

    def _remove_partial_files(self):
        """Removes files a killed run of this folder left half-written."""
        partial = [path for path in glob.glob(self.file(".*.partial-*"))
                   if os.path.isfile(path)]
        for path in partial:
            os.remove(path)
        if partial:
            print(f"Removed {len(partial)} half-written file(s) of a killed "
                  f"run from {self.path}.")

    def record(self, name):
        """Records a file or folder of this run, so that `--overwrite`
        removes it too (the writers here call it; a tuner's folder needs it
        called by hand)."""
        if name not in self._state["files"]:
            self._state["files"].append(name)
            write_json(self.file(UNFINISHED_FILE), self._state)

    def check_split(self, examples):
        """Records the test faces; a resumed run must have the same ones.

        Args:
            examples: the `FaceExamples` (or a list of them) held out.

        Returns:
            The test faces' fingerprint, as `run.json` records it
            (`"split"`).

        Raises:
            ValueError: resuming, and the data give other test faces than
                the interrupted run had (the data changed).
        """
        digest = _fingerprint(examples)
        if self.resuming and self._state.get("split") not in (None, digest):
            raise ValueError(
                f"{self.path}: the data give other test faces than the "
                "unfinished run had (the data changed since); pass "
                "--overwrite to start again")
        self._state["split"] = digest
        write_json(self.file(UNFINISHED_FILE), self._state)
        return digest

    def write_json(self, name, value):
        """Writes a JSON file of this run atomically."""
        self.record(name)
        write_json(self.file(name), value)

    def write_text(self, name, text):
        """Writes a text file of this run atomically."""
        self.record(name)
        write_text(self.file(name), text)

    def write_examples(self, name, examples):
        """Writes `examples.to_csv` (a test set) atomically."""
        self.record(name)
        with atomic_path(self.file(name)) as temporary:
            examples.to_csv(temporary)

    def write_table(self, name, frame, **kwargs):
        """Writes a pandas DataFrame as CSV atomically."""
        self.record(name)
        with atomic_path(self.file(name)) as temporary:
            frame.to_csv(temporary, **kwargs)

    def save_model(self, model, name="model.keras"):
        """Saves the model atomically: the old one stays until it is whole."""
        self.record(name)
        with atomic_path(self.file(name)) as temporary:
            model.save(temporary)

    def fit(self, model, data, history="history.csv", backup=BACKUP_FOLDER,
            callbacks=(), **kwargs):
        """`model.fit` that resumes after a kill and stops cleanly on Ctrl-C.

        The model and optimizer state of every finished epoch go to
        `backup` (Keras `BackupAndRestore`, two generations kept, so a
        kill while it writes loses one epoch at most); `history` gets one
        row per epoch. Ctrl-C or SIGTERM ends the command with a one-line
        message and exit code 130; rerunning it resumes.

        Args:
            model: a compiled, built model.
            data: the training data.
            history: the per-epoch log file, in the folder.
            backup: the backup folder, in the folder.
            callbacks: more callbacks.
            **kwargs: passed to `model.fit`.

        Returns:
            The `History` of the epochs trained by this call.
        """
        import keras

        from keras_dmtl.training.history_file import HistoryFile
        from keras_dmtl.training.same_start import SameStart
        from keras_dmtl.training.same_start import WorkersDisagree
        from keras_dmtl.training.stop_on_signal import StopOnSignal

        self.record(history)
        self.record(backup)
        restore = keras.callbacks.BackupAndRestore(
            self.file(backup), double_checkpoint=True,
            delete_checkpoint=False)
        stop = StopOnSignal()
        callbacks = [restore, SameStart(self.chief_path),
                     HistoryFile(self.file(history)), *callbacks, stop]
        stop.install()
        try:
            from keras_dmtl.progress import fit_verbose

            # Per-step progress on a terminal, a line per epoch otherwise;
            # the datasets shuffle themselves.
            kwargs.setdefault("verbose", fit_verbose())
            kwargs.setdefault("shuffle", False)
            return model.fit(data, callbacks=callbacks, **kwargs)
        except WorkersDisagree as error:
            sys.exit(f"error: {error}")
        except KeyboardInterrupt:
            print(f"\nInterrupted: {self.chief_path} keeps the last "
                  "finished epoch; rerun the same command to resume.",
                  file=sys.stderr)
            raise SystemExit(130) from None
        finally:
            stop.restore()

    def commit(self):
        """Writes `run.json` last; removes the marker and the backup.

        A worker that is not the chief removes its private folder.
        """
        if not self.chief:
            self.finished = True
            self.close()
            return
        state = {"settings": self.settings, "files": self._state["files"],
                 "started": self._state.get("started"), "finished": _now()}
        if "split" in self._state:
            state["split"] = self._state["split"]
        write_json(self.file(RUN_FILE), state)
        os.remove(self.file(UNFINISHED_FILE))
        for name in self._state["files"]:
            if name.startswith(BACKUP_FOLDER):
                shutil.rmtree(self.file(name), ignore_errors=True)
        self.finished = True
        self.close()

    def close(self):
        """Lets another process open the folder (as this one's exit does).

        A worker that is not the chief removes its private folder.
        """
        if not self.chief:
            if self.path != self.chief_path:
                shutil.rmtree(self.path, ignore_errors=True)
            return
        if self._lock is not None:
            if self.finished and os.path.exists(self.file(LOCK_FILE)):
                os.remove(self.file(LOCK_FILE))
            self._lock.close()
            self._lock = None


def _read_json(path):
    if not os.path.isfile(path):
        return None
    try:
        with open(path) as file:
            value = json.load(file)
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: not a readable run file ({error}); move "
                         "it away or choose another --out") from None
    if not isinstance(value, dict):
        raise ValueError(f"{path}: not a run file (a JSON object expected)")
    return value


def _lock(path):
    """Holds an exclusive lock on `path` while this process lives."""
    import fcntl

    handle = open(path, "a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise ValueError(f"{os.path.dirname(path)}: another process is "
                         "writing this run folder") from None
    return handle


def _comparable(settings, ignored):
    """Settings as JSON would give them back, without the ignored keys."""
    return {key: value for key, value in
            json.loads(json.dumps(settings, default=str)).items()
            if key not in ignored}


def _fingerprint(examples):
    parts = examples if isinstance(examples, (list, tuple)) else [examples]
    digest = hashlib.sha256()
    for part in parts:
        if part.paths is not None:
            digest.update("\n".join(part.paths).encode())
        else:
            digest.update(part.images.tobytes())
        for name in sorted(part.labels):
            digest.update(name.encode())
            digest.update(part.labels[name].tobytes())
    return digest.hexdigest()[:16]


def _now():
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
