"""The per-epoch log of a run, rewritten whole after every epoch."""

import csv
import os

import keras

from keras_dmtl.atomic_files import write_text


class HistoryFile(keras.callbacks.Callback):
    """Writes `history.csv`: one row per epoch, safe to resume.

    Like `keras.callbacks.CSVLogger` (an `epoch` column, then every logged
    value in sorted order), but the file is replaced atomically after each
    epoch, and a resumed run drops the rows of epochs it trains again, so
    the file never holds a truncated row or one epoch twice.

    Args:
        path: the CSV file. Rows already in it are kept for the epochs
            before the one training starts from.

    Example:

    ```python
    model.fit(data, epochs=10, callbacks=[
        keras.callbacks.BackupAndRestore("run/.backup"),
        HistoryFile("run/history.csv")])
    ```
    """

    def __init__(self, path):
        super().__init__()
        self.path = path
        self._rows = []

    def on_train_begin(self, logs=None):
        self._rows = []
        if os.path.isfile(self.path):
            with open(self.path, newline="") as file:
                self._rows = [row for row in csv.DictReader(file)
                              if row.get("epoch", "").isdigit()]

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": str(epoch)}
        row.update({key: repr(float(value)) if _is_number(value) else
                    str(value) for key, value in (logs or {}).items()})
        self._rows = [r for r in self._rows if int(r["epoch"]) < epoch]
        self._rows.append(row)
        columns = ["epoch"] + sorted({key for r in self._rows for key in r}
                                     - {"epoch"})
        lines = [",".join(columns)]
        lines += [",".join(r.get(column, "") for column in columns)
                  for r in self._rows]
        write_text(self.path, "\n".join(lines) + "\n")


def _is_number(value):
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
