"""Opening the store: an engine, sessions, the schema at the current head.

SQLite (`sqlite:///watch.db`, the default) runs in WAL mode, so the page
reads while the watcher writes; PostgreSQL (`postgresql+psycopg://...`)
serves real deployments. The same code and schema run on both.
"""

import contextlib
import datetime

from sqlalchemy import delete
from sqlalchemy import event
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from keras_dmtl.store.engine import create_store_engine
from keras_dmtl.store.engine import is_memory
from keras_dmtl.store.engine import mask_url
from keras_dmtl.store.engine import parse_url
from keras_dmtl.store.migrate import check_known
from keras_dmtl.store.migrate import current_revisions
from keras_dmtl.store.migrate import head_revision
from keras_dmtl.store.migrate import upgrade_to_head
from keras_dmtl.store.schema import Observation
from keras_dmtl.store.schema import Track
from keras_dmtl.store.schema import utc_now

MIGRATION_LOCK = 7301934  # pg_advisory_xact_lock key: one upgrade at a time


class Database:
    """An open store: an engine and its sessions (no migration; see
    `open_database`).

    Args:
        url: str or `sqlalchemy.URL`, e.g. `"sqlite:///watch.db"` or
            `"postgresql+psycopg://user:password@host/db"`.
        busy_timeout: float, seconds SQLite waits for a lock before
            failing with "database is locked".

    Attributes:
        url: the `sqlalchemy.URL`.
        name: str, the URL with its password masked, for messages.
        engine: the SQLAlchemy `Engine`.
        sessions: a `sessionmaker` of the engine.

    Example:

    ```python
    database = open_database("sqlite:///watch.db")
    with database.session() as session:  # commits at the end
        session.add(Source(name="door", uri="0"))
    with database.read_only_session() as session:
        print(session.scalars(select(Track).limit(10)).all())
    ```
    """

    def __init__(self, url, busy_timeout=5.0):
        self.url = parse_url(url) if isinstance(url, str) else url
        self.name = mask_url(self.url)
        self.busy_timeout = float(busy_timeout)
        self.engine = create_store_engine(self.url, self.busy_timeout)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = None

    @property
    def is_sqlite(self):
        """bool, whether the database is SQLite."""
        return self.engine.dialect.name == "sqlite"

    def session(self):
        """A session in a transaction: commits at the end of the `with`
        block, rolls back if it raises."""
        return self.sessions.begin()

    def upgrade(self):
        """Brings the schema to the head revision; returns whether it changed.

        Raises:
            ValueError: the schema is newer than this code, or the tables
                exist without Alembic's version.
        """
        with self.engine.connect() as connection:
            connection.execution_options(sqlite_begin="DEFERRED")
            current = check_known(connection, self.name)
        if set(current) == {head_revision()}:
            return False
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(
                    f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            if not current and inspect(connection).has_table("tracks"):
                raise ValueError(
                    f"the database {self.name} has keras-dmtl tables but no "
                    "schema version (alembic_version): it was not made by "
                    "open_database; start a new database")
            return upgrade_to_head(connection, self.name)

    def revision(self):
        """str or None, the database's schema revision."""
        with self.engine.connect() as connection:
            connection.execution_options(sqlite_begin="DEFERRED")
            current = current_revisions(connection)
        return current[0] if current else None

    @contextlib.contextmanager
    def read_only_session(self):
        """A session that can read but not change anything (for the page).

        On SQLite its connections have `PRAGMA query_only=ON`; on
        PostgreSQL every transaction starts with `SET TRANSACTION READ
        ONLY`. A write through it raises; it is rolled back at the end.

        Example:

        ```python
        with database.read_only_session() as session:
            count = session.scalar(select(func.count(Track.id)))
        ```
        """
        if self._read_sessions is None:
            self._read_sessions = self._make_read_sessions()
        session = self._read_sessions()
        try:
            yield session
        finally:
            session.rollback()
            session.close()
            if self.is_sqlite and is_memory(self.url):
                with self.engine.connect() as connection:
                    connection.execution_options(sqlite_begin="DEFERRED")
                    connection.exec_driver_sql("PRAGMA query_only=OFF")

    def _make_read_sessions(self):
        if self.is_sqlite and not is_memory(self.url):
            engine = create_store_engine(self.url, self.busy_timeout,
                                    read_only=True)
        else:  # PostgreSQL, or the one connection of an in-memory SQLite
            engine = self.engine
        sessions = sessionmaker(engine, expire_on_commit=False)

        @event.listens_for(sessions, "after_begin")
        def read_only(session, transaction, connection):
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA query_only=ON")
            else:
                connection.exec_driver_sql("SET TRANSACTION READ ONLY")

        return sessions

    def delete_older_than(self, days, now=None):
        """Deletes the tracks last seen more than `days` ago, with their
        observations, in one transaction.

        Args:
            days: float, the age in days beyond which tracks go.
            now: aware `datetime` the age is counted from (default: now).

        Returns:
            int, the number of tracks deleted.

        Example:

        ```python
        deleted = database.delete_older_than(30)
        ```
        """
        if days is None or days < 0:
            raise ValueError(f"days must be 0 or more, got {days}")
        cutoff = (now or utc_now()) - datetime.timedelta(days=days)
        old = select(Track.id).where(Track.last_seen < cutoff)
        options = {"synchronize_session": False}
        with self.session() as session:
            session.execute(delete(Observation)
                            .where(Observation.track_id.in_(old))
                            .execution_options(**options))
            result = session.execute(delete(Track)
                                     .where(Track.last_seen < cutoff)
                                     .execution_options(**options))
            return result.rowcount

    def dispose(self):
        """Closes every pooled connection."""
        self.engine.dispose()
        if self._read_sessions is not None:
            self._read_sessions.kw["bind"].dispose()

    close = dispose

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.dispose()

    def __repr__(self):
        return f"Database({self.name!r})"


def open_database(url, busy_timeout=5.0):
    """Opens a store and brings its schema to the current head.

    A new SQLite file (and its folder) is created; a database at the head
    is opened as it is; an older one is upgraded with Alembic.

    Args:
        url: str, e.g. `"sqlite:///watch.db"` or
            `"postgresql+psycopg://user:password@host/db"`.
        busy_timeout: float, seconds SQLite waits for a lock.

    Returns:
        A `Database`.

    Raises:
        ValueError: a malformed URL or an unknown driver (the message
            masks the password), or a schema newer than this code.
        sqlalchemy.exc.OperationalError: the database cannot be reached.

    Example:

    ```python
    database = open_database("sqlite:///runs/watch.db")
    ```
    """
    database = Database(url, busy_timeout=busy_timeout)
    try:
        database.upgrade()
    except BaseException:
        database.dispose()
        raise
    return database
