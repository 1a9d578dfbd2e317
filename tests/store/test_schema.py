import datetime

import pytest
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import StatementError

from keras_dmtl.store import ModelRun
from keras_dmtl.store import Observation
from keras_dmtl.store import Source
from keras_dmtl.store import Track
from keras_dmtl.store import open_database

UTC = datetime.timezone.utc
PARIS = datetime.timezone(datetime.timedelta(hours=2))


@pytest.fixture
def database(tmp_path):
    database = open_database(f"sqlite:///{tmp_path}/watch.db")
    yield database
    database.dispose()


def _track(key, source, model, first_seen, **changes):
    fields = dict(key=key, source=source, model=model, first_seen=first_seen,
                  last_seen=first_seen + datetime.timedelta(seconds=3),
                  duration_s=3.0, frames=90, detections=18, confidence=0.95,
                  age=41.5, gender="female", race="asian", expression="happy",
                  attributes={"race": {"asian": 0.8, "white": 0.2},
                              "action_units": {"AU12": 0.7}},
                  boxes=[[0.0, 1, 2, 30, 30], [3.0, 4, 5, 30, 30]],
                  face_jpeg=b"\xff\xd8\xff\xe0jpeg")
    fields.update(changes)
    return Track(**fields)


def test_a_track_with_observations_round_trips(database):
    seen = datetime.datetime(2026, 5, 1, 14, 30, 5, 250000, tzinfo=PARIS)
    with database.session() as session:
        source = Source(name="door", uri="rtsp://camera/1")
        model = ModelRun(name="m", path="/m.tflite", sha256="0" * 64,
                         runtime="tflite", tasks=[{"name": "race"}])
        track = _track("k1", source, model, seen)
        track.observations = [
            Observation(time=seen + datetime.timedelta(seconds=s),
                        values={"valence": -0.5 + s, "AU12": 0.1})
            for s in (2, 0, 1)]
        session.add(track)
    with database.session() as session:
        track = session.scalars(select(Track)).one()
        # Stored as UTC, read back as aware UTC: the same instant.
        assert track.first_seen == seen
        assert track.first_seen.tzinfo == UTC
        assert track.first_seen.hour == 12
        assert track.created_at.tzinfo == UTC
        assert track.source.name == "door"
        assert track.model.tasks == [{"name": "race"}]
        assert track.attributes["race"] == {"asian": 0.8, "white": 0.2}
        assert track.boxes[1] == [3.0, 4, 5, 30, 30]
        assert track.face_jpeg == b"\xff\xd8\xff\xe0jpeg"
        assert track.age == 41.5
        # Ordered by time, whatever the insertion order.
        assert [o.values["valence"] for o in track.observations] == [
            -0.5, 0.5, 1.5]


def test_a_naive_datetime_is_refused(database):
    with pytest.raises(StatementError, match="naive datetime"):
        with database.session() as session:
            session.add(Source(name="door", uri="0",
                               created_at=datetime.datetime(2026, 5, 1)))


def test_times_compare_as_instants_across_zones(database):
    early = datetime.datetime(2026, 5, 1, 13, 0, tzinfo=PARIS)  # 11:00 UTC
    late = datetime.datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    with database.session() as session:
        source = Source(name="door", uri="0")
        model = ModelRun(name="m", path="p", sha256="s", runtime="onnx",
                         tasks=[])
        session.add_all([_track("late", source, model, late),
                         _track("early", source, model, early)])
    with database.session() as session:
        cutoff = datetime.datetime(2026, 5, 1, 11, 30, tzinfo=UTC)
        keys = session.scalars(select(Track.key)
                               .where(Track.first_seen < cutoff)).all()
        assert keys == ["early"]


def test_track_keys_and_source_names_are_unique(database):
    seen = datetime.datetime(2026, 5, 1, tzinfo=UTC)
    with database.session() as session:
        source = Source(name="door", uri="0")
        model = ModelRun(name="m", path="p", sha256="s", runtime="onnx",
                         tasks=[])
        session.add(_track("same", source, model, seen))
    with pytest.raises(IntegrityError):
        with database.session() as session:
            source = session.scalars(select(Source)).one()
            model = session.scalars(select(ModelRun)).one()
            session.add(_track("same", source, model, seen))
    with pytest.raises(IntegrityError):
        with database.session() as session:
            session.add(Source(name="door", uri="1"))


def test_deleting_a_track_deletes_its_observations(database):
    seen = datetime.datetime(2026, 5, 1, tzinfo=UTC)
    with database.session() as session:
        source = Source(name="door", uri="0")
        model = ModelRun(name="m", path="p", sha256="s", runtime="onnx",
                         tasks=[])
        for key in ("a", "b"):
            track = _track(key, source, model, seen)
            track.observations = [Observation(time=seen, values={"v": 1})]
            session.add(track)
    with database.session() as session:
        # A bulk DELETE: the database's ON DELETE CASCADE does the rest.
        session.execute(delete(Track).where(Track.key == "a"))
    with database.session() as session:
        assert session.scalar(select(func.count(Observation.id))) == 1
        assert session.scalar(select(Observation.track_id)) == session.scalar(
            select(Track.id).where(Track.key == "b"))
