"""A store with tracks and a user, the page over it, and signed-in clients."""

import datetime
import re

import pytest

from keras_dmtl.serve import add_user
from keras_dmtl.serve import create_app
from keras_dmtl.store import LiveWriter
from keras_dmtl.store import open_database
from keras_dmtl.store.track_rows import write_tracks
from tests.store.sample_records import START
from tests.store.sample_records import model_record
from tests.store.sample_records import track_record

USER, PASSWORD = "operator", "correct horse 42"
RACES = ("white", "black", "asian", "indian", "others")


def sample_tracks():
    """30 tracks over three hours of two sources: genders alternate, races
    cycle, ages 20-49; track 0 has an action-unit and valence series."""
    records = []
    for index in range(30):
        records.append(track_record(
            index, source="door" if index < 20 else "hall",
            start=START + datetime.timedelta(minutes=6 * index - index),
            race=RACES[index % 5],
            attributes={"gender": {"label": "male" if index % 2 == 0
                                   else "female",
                                   "probabilities": {"female": 0.3,
                                                     "male": 0.7}},
                        "age": {"value": 20.0 + index,
                                "interquartile": [19.0, 22.0]}}))
    return records


@pytest.fixture(scope="session")
def store_file(tmp_path_factory):
    """A SQLite store with `sample_tracks()` and the user `USER`."""
    path = tmp_path_factory.mktemp("serve") / "watch.db"
    database = open_database(f"sqlite:///{path}")
    write_tracks(database, sample_tracks(), model_record())
    add_user(database, USER, PASSWORD)
    live = LiveWriter(database, interval=0.05)
    live.update("door", [dict(key="live-1", first_seen=START,
                              last_seen=START + datetime.timedelta(seconds=3),
                              box=[1, 2, 3, 4], confidence=0.99, age=33.0,
                              gender="female", race="asian",
                              expression="happy")])
    live._write_pending()
    live._stop.set()
    database.dispose()
    return path


def csrf_of(html):
    """The CSRF token in a page's form."""
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def sign_in(client, name=USER, password=PASSWORD, next_path="/"):
    """Signs a `TestClient` in through the form; returns the answer."""
    form = client.get("/sign-in")
    return client.post("/sign-in", data={
        "name": name, "password": password, "csrf": csrf_of(form.text),
        "next": next_path}, follow_redirects=False)


@pytest.fixture
def app(store_file):
    return create_app(f"sqlite:///{store_file}",
                      secret="s" * 40, live_seconds=1e9)


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        yield client


@pytest.fixture
def signed_in(client):
    answer = sign_in(client)
    assert answer.status_code == 303, answer.text
    return client
