"""The writer against a real PostgreSQL server that goes down for 30 s."""

import time

import pytest
from sqlalchemy import func
from sqlalchemy import select

from keras_dmtl.store import Observation
from keras_dmtl.store import Track
from keras_dmtl.store import TrackWriter
from keras_dmtl.store import open_database
from tests.postgres_server import PostgresServer
from tests.store.sample_records import model_record
from tests.store.sample_records import track_record


@pytest.mark.slow  # 40 s, most of it waiting for the outage to end
def test_no_track_is_lost_while_the_server_is_down_for_30_seconds():
    server = PostgresServer()
    server.start()
    lines = []
    try:
        open_database(server.url).dispose()  # the schema, before the watcher
        writer = TrackWriter(server.url, model_record(), retry_seconds=1.0,
                             log=lines.append)
        for index in range(10):
            writer.put(track_record(index))
        assert writer.flush(timeout=20)
        server.stop()
        for index in range(10, 30):  # the watcher goes on meanwhile
            writer.put(track_record(index))
            time.sleep(1.5)
        assert writer.stats()["written"] == 10
        server.start()
        summary = writer.close(timeout=60)
        assert summary["written"] == 30 and summary["dropped"] == 0
        unavailable = [line for line in lines if "unavailable" in line]
        back = [line for line in lines if line.startswith("database back")]
        assert len(unavailable) == 1 and len(back) == 1, lines
        database = open_database(server.url)
        with database.read_only_session() as session:
            assert session.scalar(select(func.count()).select_from(
                Track)) == 30
            assert session.scalar(select(func.count()).select_from(
                Observation)) == 30 * 3
        database.dispose()
    finally:
        server.remove()
