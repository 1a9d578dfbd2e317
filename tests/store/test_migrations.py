import io
import os
import sqlite3

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from keras_dmtl.store import Base
from keras_dmtl.store import head_revision
from keras_dmtl.store import migrate
from keras_dmtl.store import open_database
from keras_dmtl.store.migrate import alembic_config


def test_a_fresh_database_gets_the_schema_at_head(tmp_path):
    database = open_database(f"sqlite:///{tmp_path}/watch.db")
    assert database.revision() == head_revision() == "0002"
    with database.engine.connect() as connection:
        inspector = inspect(connection)
        assert set(inspector.get_table_names()) == {
            "alembic_version", "models", "sources", "tracks", "observations",
            "users", "live_tracks"}
        indexes = {i["name"]: i["column_names"]
                   for table in ("tracks", "observations", "live_tracks")
                   for i in inspector.get_indexes(table)}
        # The migration made exactly what the models describe.
        assert compare_metadata(MigrationContext.configure(connection),
                                Base.metadata) == []
    assert indexes == {"ix_tracks_first_seen": ["first_seen"],
                       "ix_tracks_last_seen": ["last_seen"],
                       "ix_tracks_source_id": ["source_id"],
                       "ix_observations_track_id_time": ["track_id", "time"],
                       "ix_live_tracks_source": ["source"]}
    rows = sqlite3.connect(tmp_path / "watch.db").execute(
        "SELECT version_num FROM alembic_version").fetchall()
    assert rows == [("0002",)]
    database.dispose()


def test_opening_a_database_at_head_again_migrates_nothing(tmp_path,
                                                           monkeypatch):
    url = f"sqlite:///{tmp_path}/watch.db"
    open_database(url).dispose()

    def refuse(*args, **kwargs):
        raise AssertionError("upgrade ran on a database at head")

    monkeypatch.setattr(command, "upgrade", refuse)
    database = open_database(url)
    assert database.upgrade() is False
    assert database.revision() == "0002"
    database.dispose()


def test_a_database_at_base_is_upgraded_to_head(tmp_path):
    url = f"sqlite:///{tmp_path}/watch.db"
    database = open_database(url)
    with database.engine.begin() as connection:
        command.downgrade(alembic_config(connection=connection), "base")
    with database.engine.connect() as connection:
        assert inspect(connection).get_table_names() == ["alembic_version"]
    database.dispose()
    database = open_database(url)
    assert database.revision() == "0002"
    with database.engine.connect() as connection:
        assert "tracks" in inspect(connection).get_table_names()
    database.dispose()


def test_a_newer_schema_is_refused_with_its_revision(tmp_path):
    url = f"sqlite:///{tmp_path}/watch.db"
    open_database(url).dispose()
    connection = sqlite3.connect(tmp_path / "watch.db")
    connection.execute("UPDATE alembic_version SET version_num = '9f3e2a'")
    connection.commit()
    connection.close()
    with pytest.raises(ValueError, match=r"schema revision 9f3e2a, newer "
                                         r"than this keras-dmtl knows "
                                         r"\(head 0002\)") as caught:
        open_database(url)
    assert "\n" not in str(caught.value)


def test_the_migrations_ship_inside_the_package():
    folder = migrate.MIGRATIONS
    assert folder.startswith(os.path.dirname(migrate.__file__))
    for name in ("env.py", "script.py.mako", "versions/0001_initial.py",
                 "versions/0002_users_live.py"):
        assert os.path.isfile(os.path.join(folder, name)), name
    assert alembic_config().get_main_option("script_location") == folder


def test_the_migration_writes_portable_postgresql_sql():
    config = alembic_config(url="postgresql+psycopg://me:secret@db/watch")
    config.output_buffer = io.StringIO()
    command.upgrade(config, "head", sql=True)
    sql = config.output_buffer.getvalue()
    assert "CREATE TABLE tracks" in sql
    assert "face_jpeg BYTEA" in sql
    assert "attributes JSON NOT NULL" in sql
    assert "first_seen TIMESTAMP WITH TIME ZONE NOT NULL" in sql
    assert "id BIGSERIAL NOT NULL" in sql  # observations
    assert "ON DELETE CASCADE" in sql
    assert "CREATE INDEX ix_observations_track_id_time" in sql
    assert "INSERT INTO alembic_version (version_num) VALUES ('0001')" in sql
    assert "CREATE TABLE users" in sql
    assert "SET version_num='0002'" in sql
