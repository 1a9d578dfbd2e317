"""A real PostgreSQL server for tests, started from Debian's binaries.

`initdb` and `pg_ctl` of the `postgresql` package run a throwaway cluster
on a free port in a temporary folder. PostgreSQL refuses to run as root, so
under root (CI) the cluster belongs to the `postgres` user the package
creates. Where the binaries are missing, `PostgresServer.start` skips the
test with a message.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from tests.conftest import free_port


def _binaries():
    """The folder of `initdb` and `pg_ctl`, newest version first, or None."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                         key=lambda p: int(p.split("/")[-2]), reverse=True):
        if os.path.isfile(os.path.join(folder, "pg_ctl")):
            return folder
    found = shutil.which("pg_ctl")
    return os.path.dirname(found) if found else None


class PostgresServer:
    """A PostgreSQL cluster in `folder`, listening on 127.0.0.1 only.

    Example:

    ```python
    server = PostgresServer()
    server.start()
    url = server.url  # postgresql+psycopg://postgres@127.0.0.1:PORT/postgres
    server.stop(); server.start()  # the same data, the same port
    server.remove()  # stops it and deletes its folder
    ```
    """

    def __init__(self):
        # in /tmp itself: the `postgres` user cannot enter pytest's
        # root-only temporary folders
        self.folder = tempfile.mkdtemp(prefix="keras_dmtl_pg_")
        self.data = os.path.join(self.folder, "data")
        self.port = free_port()
        self.bin = _binaries()
        self.user = None
        if os.geteuid() == 0:
            try:
                self.user = pwd.getpwnam("postgres")
            except KeyError:
                self.user = None

    @property
    def url(self):
        return (f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"
                "/postgres")

    def _run(self, *command, check=True):
        command = [os.path.join(self.bin, command[0]), *command[1:]]
        if self.user is not None:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, capture_output=True,
                              text=True, timeout=120)

    def start(self):
        """Creates the cluster on first use, then starts it and waits."""
        if self.bin is None:
            pytest.skip("needs PostgreSQL's binaries (Debian package "
                        "postgresql: initdb, pg_ctl); not installed")
        if os.geteuid() == 0 and self.user is None:
            pytest.skip("running as root without a 'postgres' user, which "
                        "PostgreSQL needs")
        if not os.path.isdir(self.data):
            if self.user is not None:
                os.chown(self.folder, self.user.pw_uid, self.user.pw_gid)
            self._run("initdb", "-D", self.data, "-U", "postgres",
                      "--auth=trust", "-E", "UTF8")
        self._run("pg_ctl", "-D", self.data, "-w", "-t", "60", "-l",
                  os.path.join(self.folder, "server.log"), "-o",
                  f"-p {self.port} -k {self.folder} -c listen_addresses="
                  "127.0.0.1 -c fsync=off", "start")
        self._wait(up=True)

    def stop(self):
        """Stops the server (fast shutdown: open connections are cut)."""
        self._run("pg_ctl", "-D", self.data, "-w", "-m", "fast", "stop",
                  check=False)
        self._wait(up=False)

    def _wait(self, up, seconds=30):
        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.5):
                    reachable = True
            except OSError:
                reachable = False
            if reachable == up:
                return
            time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL on port {self.port} did not "
                           f"{'start' if up else 'stop'} in {seconds} s")

    def remove(self):
        """Stops the server and deletes its folder."""
        if self.bin is not None and os.path.isdir(self.data):
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
