"""`keras-dmtl serve` in its own process, as a user starts it, for tests."""

import os
import subprocess
import sys
import time
import urllib.request

from tests.conftest import free_port


class ServedPage:
    """Runs `python -m keras_dmtl.cli serve --db URL` on a free port.

    Example:

    ```python
    with ServedPage("sqlite:///watch.db") as page:
        urllib.request.urlopen(page.url + "/sign-in")
    ```
    """

    def __init__(self, database_url, *extra):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = [sys.executable, "-m", "keras_dmtl.cli", "serve",
                        "--db", database_url, "--port", str(self.port),
                        *extra]
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen(
            self.command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("keras-dmtl serve ended: "
                                   + self.process.stdout.read())
            try:
                with urllib.request.urlopen(self.url + "/sign-in",
                                            timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("keras-dmtl serve did not answer in 120 s")

    def __exit__(self, *exc_info):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
