import datetime

import pytest

from keras_dmtl.cli import main
from tests.watch.conftest import START


def _watch(video, model, url, *extra):
    main(["watch", f"door={video}", "--model", model, "--db", url,
          "--start-time", START, "--threads", "1", *extra])


def _check_against_truth(url, folder):
    from keras_dmtl.watch import TestVideoTruth
    from keras_dmtl.watch import match_tracks
    from keras_dmtl.watch.track_matching import stored_tracks

    truth = TestVideoTruth.load(folder)
    tracks = stored_tracks(url)
    start = datetime.datetime.fromisoformat(START).timestamp()
    found = match_tracks(tracks, truth.people, truth.fps, start=start)
    # every person is one track, and every track is a person
    assert (found["missed"], found["split"], found["false_tracks"]) == (
        [], [], []), found
    assert len(tracks) == truth.count
    assert {t["source"] for t in tracks} == {"door"}
    return tracks


def test_watch_stores_one_track_per_person_of_the_test_video(
        watched_sqlite, test_video):
    _, folder = test_video
    url = f"sqlite:///{watched_sqlite['db']}"
    out = watched_sqlite["out"]
    assert "door: video ended after 200 frames" in out
    assert "tracks written, 0 dropped" in out
    updates = int(out.split("live view: ")[1].split()[0])
    assert updates >= 3  # about once a second of an 8-second video
    tracks = _check_against_truth(url, folder)
    # the small model answers every task on every track
    assert all(t["gender"] in ("male", "female") and t["age"] is not None
               for t in tracks)
    from sqlalchemy import func
    from sqlalchemy import select

    from keras_dmtl.store import LiveTrack
    from keras_dmtl.store import Track
    from keras_dmtl.store import open_database

    with open_database(url) as database:
        with database.read_only_session() as session:
            # no face crop without --save-faces
            assert all(face is None
                       for face in session.scalars(select(Track.face_jpeg)))
            # the tracks in view are cleared at the end
            assert session.scalar(select(func.count(LiveTrack.key))) == 0


@pytest.mark.parametrize("args, message", [
    (["--detect-every", "0"], "--detect-every must be at least 1, got 0"),
    (["--start-time", "yesterday"], "--start-time: not an ISO time"),
    (["--db", "nosuchdb://x"], "nosuchdb"),
])
def test_bad_watch_arguments_are_one_line(args, message, tmp_path):
    # checked before any video or model is opened
    base = ["watch", "video.mp4", "--model", "model.tflite", "--db",
            f"sqlite:///{tmp_path / 'w.db'}"]
    with pytest.raises(SystemExit) as stop:
        main(base + args)
    # SystemExit with a text: Python prints it on stderr and exits with 1
    text = str(stop.value.code)
    assert text.startswith("keras-dmtl watch: ") and message in text, text
    assert "\n" not in text
