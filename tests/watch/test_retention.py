import datetime

import pytest

from keras_dmtl.store import TrackWriter
from keras_dmtl.store import open_database
from keras_dmtl.watch.retention import Retention
from tests.store.sample_records import model_record
from tests.store.sample_records import track_record


def test_retention_deletes_old_tracks_at_start_then_once_an_hour(tmp_path):
    url = f"sqlite:///{tmp_path / 'watch.db'}"
    now = datetime.datetime.now(datetime.timezone.utc)
    writer = TrackWriter(url, model_record())
    writer.put(track_record(0, start=now - datetime.timedelta(days=40)))
    writer.put(track_record(1, start=now - datetime.timedelta(days=2)))
    assert writer.close()["written"] == 2
    lines = []
    retention = Retention(open_database(url), keep_days=30, log=lines.append)
    assert retention.tick() == 1  # at start
    assert lines == ["deleted 1 tracks older than 30 days"]
    writer = TrackWriter(url, model_record())
    writer.put(track_record(2, start=now - datetime.timedelta(days=31)))
    assert writer.close()["written"] == 1
    assert retention.tick() == 0  # not before an hour has passed
    retention.next_time -= retention.every_seconds  # an hour later
    assert retention.tick() == 1 and len(lines) == 2
    assert Retention(open_database(url), None).tick() == 0  # keep all


def test_retention_refuses_a_non_positive_period(tmp_path):
    with pytest.raises(ValueError, match="--keep-days must be positive"):
        Retention(None, 0)
