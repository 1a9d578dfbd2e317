"""Wall time per stage of a pipeline, for the watcher's benchmark."""

import contextlib
import time


class StageTimes:
    """Adds up the wall seconds spent in named stages.

    Example:

    ```python
    times = StageTimes()
    with times("decode"):
        frame = source.read()
    times.as_dict()  # {"decode": {"seconds": 0.01, "calls": 1}}
    ```
    """

    def __init__(self):
        self.seconds = {}
        self.calls = {}

    @contextlib.contextmanager
    def __call__(self, stage):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = (self.seconds.get(stage, 0.0)
                                   + time.perf_counter() - start)
            self.calls[stage] = self.calls.get(stage, 0) + 1

    def as_dict(self):
        """`{stage: {"seconds": total, "calls": count}}`."""
        return {stage: {"seconds": round(seconds, 4),
                        "calls": self.calls[stage]}
                for stage, seconds in self.seconds.items()}
