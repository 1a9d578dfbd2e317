import pytest

from keras_dmtl.store import open_database


@pytest.fixture
def database(tmp_path):
    """A new SQLite store at the head schema, disposed after the test."""
    database = open_database(f"sqlite:///{tmp_path}/watch.db")
    yield database
    database.dispose()
