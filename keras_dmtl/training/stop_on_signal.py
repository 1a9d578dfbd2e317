"""Ctrl-C and SIGTERM stop training between two steps, never inside one."""

import signal

import keras


class StopOnSignal(keras.callbacks.Callback):
    """Turns Ctrl-C (SIGINT) and SIGTERM into a `KeyboardInterrupt` raised
    at the end of the current training step.

    Python runs a signal handler wherever the main thread happens to be; a
    `KeyboardInterrupt` raised while an epoch's backup is being written
    can land in a finaliser, where Python prints it and carries on, and the
    run goes on as if nothing was pressed. Here the handler only notes the
    signal; the callback raises at the end of the step (or epoch) that is
    running, from plain Python code, so the run always stops and the
    caller's `except KeyboardInterrupt` sees it. A second signal before
    then raises at once, for a step that hangs.

    Handlers are installed by `install()` and put back by `restore()`
    (call it in a `finally`); off the main thread both do nothing.

    Example:

    ```python
    stop = StopOnSignal()
    stop.install()
    try:
        model.fit(data, epochs=10, callbacks=[stop])
    except KeyboardInterrupt:
        print("interrupted; the last finished epoch is kept")
    finally:
        stop.restore()
    ```
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        super().__init__()
        self.requested = False
        self._previous = {}

    def install(self):
        self.requested = False
        for number in self.SIGNALS:
            try:
                self._previous[number] = signal.signal(number, self._note)
            except ValueError:  # not the main thread
                return

    def restore(self):
        for number, previous in self._previous.items():
            signal.signal(number, previous)
        self._previous = {}

    def _note(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def _stop_if_requested(self):
        if self.requested:
            self.requested = False
            raise KeyboardInterrupt

    def on_train_batch_end(self, batch, logs=None):
        self._stop_if_requested()

    def on_epoch_end(self, epoch, logs=None):
        self._stop_if_requested()
