"""Alembic's environment for the store: run by `keras_dmtl.store.migrate`.

Configured in code (no alembic.ini): the caller puts an open connection in
`config.attributes["connection"]`, or a URL in the `sqlalchemy.url`
option. SQLite changes tables by copying them (`render_as_batch`), since
its ALTER TABLE is limited.
"""

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy import pool

from keras_dmtl.store.schema import Base
from keras_dmtl.store.schema import UtcDateTime

config = context.config
target_metadata = Base.metadata


def render_item(kind, item, autogen_context):
    """Writes `UtcDateTime` as the plain type it stores, in new revisions."""
    if kind == "type" and isinstance(item, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**options):
    context.configure(target_metadata=target_metadata, compare_type=True,
                      render_item=render_item, **options)


def run_migrations_offline():
    """Writes the SQL of the migrations instead of running them."""
    url = config.get_main_option("sqlalchemy.url")
    _configure(url=url, literal_binds=True,
               dialect_opts={"paramstyle": "named"},
               render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection):
    _configure(connection=connection,
               render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Runs the migrations on the given connection, or on a new one."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"),
                           poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _run_on(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
