"""Bringing a database to the current schema with Alembic, no alembic.ini.

The Alembic environment ships inside the package (`migrations/`), so this
works from an installed wheel. The schema version is the `alembic_version`
table Alembic keeps.

To write a new revision after changing `schema.py` (developers):

```python
from alembic import command
from keras_dmtl.store.migrate import alembic_config
command.revision(alembic_config("sqlite:///dev.db"), "add a column",
                 autogenerate=True)  # dev.db at the previous head
```
"""

import os

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "migrations")
"""The folder of the Alembic environment (env.py, versions/)."""


def alembic_config(url=None, connection=None):
    """An Alembic `Config` for the store, made in code.

    Args:
        url: str or None, the database URL (for offline SQL or Alembic's
            own commands); not needed when `connection` is given.
        connection: an open SQLAlchemy `Connection` the migrations run on,
            in its transaction, or None.

    Returns:
        An `alembic.config.Config`.

    Example:

    ```python
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection=connection), "head")
    ```
    """
    config = Config()
    # The options go through configparser's interpolation: escape `%`.
    config.set_main_option("script_location", MIGRATIONS.replace("%", "%%"))
    if url is not None:
        config.set_main_option("sqlalchemy.url", str(url).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision():
    """str, the newest schema revision this code knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def known_revisions():
    """set of str, every schema revision this code knows."""
    script = ScriptDirectory.from_config(alembic_config())
    return {revision.revision for revision in script.walk_revisions()}


def current_revisions(connection):
    """tuple of str: the database's schema revisions (empty if none)."""
    return tuple(MigrationContext.configure(connection).get_current_heads())


def check_known(connection, name):
    """Raises `ValueError` if the database's schema is newer than the code.

    Args:
        connection: an open SQLAlchemy `Connection`.
        name: str, how the database is named in the message (a masked URL).

    Returns:
        tuple of str, the database's revisions (empty for a new database).
    """
    current = current_revisions(connection)
    unknown = sorted(set(current) - known_revisions())
    if unknown:
        raise ValueError(
            f"the database {name} has schema revision {', '.join(unknown)}, "
            f"newer than this keras-dmtl knows (head {head_revision()}): "
            "upgrade keras-dmtl to use it")
    return current


def upgrade_to_head(connection, name):
    """Upgrades the schema on `connection` to the head, if it is not there.

    A new database gets every table; one at the head is left untouched
    (nothing is written); one stamped with a revision this code does not
    know raises `ValueError`. Runs in the connection's transaction: the
    caller commits.

    Args:
        connection: an open SQLAlchemy `Connection`, in a transaction.
        name: str, how the database is named in messages.

    Returns:
        bool, whether anything was migrated.

    Example:

    ```python
    with engine.begin() as connection:
        upgrade_to_head(connection, "sqlite:///watch.db")
    ```
    """
    current = check_known(connection, name)
    if set(current) == {head_revision()}:
        return False
    command.upgrade(alembic_config(connection=connection), "head")
    return True
