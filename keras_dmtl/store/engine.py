"""Connecting to the store: URLs (parsed, masked) and configured engines.

On SQLite every connection gets `journal_mode=WAL` (readers and one writer
at the same time), a `busy_timeout`, `foreign_keys=ON`, and SQLAlchemy
emits the BEGIN itself (pysqlite would leave DDL and reads outside the
transaction): `BEGIN IMMEDIATE` for writers, so a transaction waits for
the write lock at its start instead of failing halfway.
"""

import json
import os
import re

from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.exc import NoSuchModuleError
from sqlalchemy.pool import StaticPool

from keras_dmtl.store.records import json_ready

URL_EXAMPLES = ("sqlite:///watch.db or "
                "postgresql+psycopg://user:password@host/database")


def mask_url(url):
    """A database URL as text with its password replaced by `***`.

    Args:
        url: str (even a malformed one) or `sqlalchemy.URL`.

    Returns:
        str.

    Example:

    ```python
    mask_url("postgresql+psycopg://me:secret@db/watch")
    # 'postgresql+psycopg://me:***@db/watch'
    ```
    """
    if not isinstance(url, str):
        return url.render_as_string(hide_password=True)
    # Up to the last "@": a password may hold "@" or "/" itself.
    return re.sub(r"^([^:/@]*://)?([^:/@]*:).*@", r"\1\2***@", url)


def parse_url(url):
    """A `sqlalchemy.URL`, or `ValueError` naming the (masked) URL."""
    try:
        return make_url(url)
    except (ArgumentError, ValueError, TypeError):
        raise ValueError(f"not a database URL: {mask_url(str(url))!r} "
                         f"(expected e.g. {URL_EXAMPLES})") from None


def _dumps(value):
    return json.dumps(json_ready(value), ensure_ascii=False,
                      separators=(",", ":"))


def is_memory(url):
    """Whether a `sqlalchemy.URL` is an in-memory SQLite database."""
    return url.get_backend_name() == "sqlite" and url.database in (
        None, "", ":memory:")


def create_store_engine(url, busy_timeout=5.0, read_only=False):
    """An engine for the store; on SQLite with its pragmas and BEGINs.

    A SQLite file's folder is created. JSON values go through
    `json_ready` (NumPy values, NaN) before `json.dumps`.

    Args:
        url: a `sqlalchemy.URL`.
        busy_timeout: float, seconds SQLite waits for a lock.
        read_only: bool; on SQLite, connections get `PRAGMA query_only=ON`
            and transactions start with a plain (deferred) BEGIN.

    Returns:
        A SQLAlchemy `Engine`.

    Raises:
        ValueError: an unknown dialect or a missing driver.

    Example:

    ```python
    engine = create_store_engine(parse_url("sqlite:///watch.db"))
    ```
    """
    options = {"json_serializer": _dumps, "pool_pre_ping": True}
    sqlite = url.get_backend_name() == "sqlite"
    if sqlite and is_memory(url):
        options.update(poolclass=StaticPool,
                       connect_args={"check_same_thread": False})
    elif sqlite and not str(url.database).startswith("file:"):
        os.makedirs(os.path.dirname(os.path.abspath(url.database)),
                    exist_ok=True)
    elif url.get_backend_name() == "postgresql":
        options["connect_args"] = {"connect_timeout": 10}
    try:
        engine = create_engine(url, **options)
    except (NoSuchModuleError, ImportError, ArgumentError) as error:
        raise ValueError(f"cannot open the database {mask_url(url)}: "
                         f"{str(error).splitlines()[0]} (expected e.g. "
                         f"{URL_EXAMPLES})") from None
    if sqlite:
        _add_sqlite_events(engine, busy_timeout, read_only)
    return engine


def _add_sqlite_events(engine, busy_timeout, read_only):
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, connection_record):
        # Let SQLAlchemy's "begin" emit BEGIN, rather than pysqlite, which
        # would not put DDL or reads in the transaction.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            if not read_only:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            if read_only:
                cursor.execute("PRAGMA query_only=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        # Writers take the write lock at once (waiting busy_timeout for
        # it), instead of failing when a read turns into a write.
        default = "DEFERRED" if read_only else "IMMEDIATE"
        mode = connection.get_execution_options().get("sqlite_begin", default)
        connection.exec_driver_sql(f"BEGIN {mode}")
