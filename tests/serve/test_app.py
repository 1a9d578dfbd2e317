import csv
import io
import json

from tests.serve.conftest import csrf_of


def test_the_dashboard_shows_the_period_counts_and_charts(signed_in):
    page = signed_in.get("/")
    assert page.status_code == 200
    assert '<span class="number" id="track-count">30</span>' in page.text
    for chart in ("visitors", "ages", "gender", "race", "expression"):
        assert f'id="chart-{chart}"' in page.text
    assert "<figcaption>Visitors per hour</figcaption>" in page.text
    assert page.text.count('<rect class="bar"') > 10
    # The default period: the 24 hours up to the newest track (14:25).
    assert "From 2026-04-30 15:00 to 2026-05-01 15:00 UTC" in page.text


def test_the_dashboard_filters_by_source_and_period(signed_in):
    page = signed_in.get("/", params={"source": "hall"})
    assert 'id="track-count">10<' in page.text
    stats = signed_in.get("/api/stats", params={
        "start": "2026-05-01T12:00", "end": "2026-05-01T13:00"}).json()
    # Track i starts 5 i minutes after 12:00: i = 0..11 in the first hour.
    assert stats["tracks"] == 12
    assert [v["tracks"] for v in stats["visitors"]] == [12]
    splits = dict((s["value"], s["tracks"]) for s in stats["splits"]["gender"])
    assert splits == {"male": 6, "female": 6}
    assert sum(a["tracks"] for a in stats["ages"]) == 12


def test_the_track_table_filters_sorts_and_pages(signed_in):
    page = signed_in.get("/tracks", params={"gender": "female",
                                            "min_age": "30"})
    assert '<span id="total">10</span>' in page.text
    assert page.text.count('<tr class="track">') == 10
    api = signed_in.get("/api/tracks", params={
        "sort": "age", "per_page": "7", "page": "2"}).json()
    assert api["total"] == 30
    assert [t["age"] for t in api["tracks"]] == [27.0 + i for i in range(7)]
    assert api["tracks"][0]["attributes"]["age"]["value"] == 27.0


def test_a_track_page_shows_its_attributes_and_series(signed_in):
    key = signed_in.get("/api/tracks", params={"sort": "oldest"}).json()[
        "tracks"][0]["key"]
    page = signed_in.get(f"/tracks/{key}")
    assert page.status_code == 200
    assert "male probabilities: male 0.70, female 0.30" in page.text
    assert "20 (middle half 19 to 22)" in page.text
    assert "<polyline" in page.text  # valence and AU12 along the track
    assert signed_in.get("/tracks/no-such-key").status_code == 404
    assert signed_in.get(f"/tracks/{key}/face.jpg").status_code == 404


def test_the_exports_hold_the_filtered_tracks(signed_in):
    answer = signed_in.get("/export.csv", params={"source": "door",
                                                  "race": "asian"})
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert len(rows) == 4
    assert {r["race"] for r in rows} == {"asian"}
    assert {r["source"] for r in rows} == {"door"}
    data = json.loads(signed_in.get("/export.json",
                                    params={"max_age": "24"}).text)
    assert sorted(t["age"] for t in data["tracks"]) == [20, 21, 22, 23, 24]


def test_the_live_page_shows_the_tracks_in_view(signed_in):
    page = signed_in.get("/live")
    assert "<td>door</td>" in page.text and "<td>asian</td>" in page.text
    assert '<script src="/static/live.js">' in page.text
    live = signed_in.get("/api/live").json()
    assert [t["key"] for t in live["tracks"]] == ["live-1"]
    assert live["tracks"][0]["seconds"] == 3.0


def test_the_about_page_names_the_model_and_the_database(signed_in):
    page = signed_in.get("/about")
    assert "face.tflite" in page.text and "tflite" in page.text
    assert "30 tracks from 2 sources" in page.text
    models = signed_in.get("/api/models").json()
    assert models["models"][0]["sha256"] == "ab" * 32
    assert models["revision"] == "0002"


def test_signing_out_needs_the_token_and_ends_the_session(signed_in):
    page = signed_in.get("/")
    assert signed_in.post("/sign-out", data={"csrf": "forged"},
                          follow_redirects=False).status_code == 403
    assert signed_in.get("/").status_code == 200
    answer = signed_in.post("/sign-out", data={"csrf": csrf_of(page.text)},
                            follow_redirects=False)
    assert answer.status_code == 303
    assert signed_in.get("/api/stats").status_code == 401


def test_a_period_with_one_end_gets_the_other(signed_in):
    only_end = signed_in.get("/api/stats", params={
        "end": "2026-05-01T13:00"}).json()
    assert only_end["start"] == "2026-04-30T13:00:00+00:00"
    assert only_end["tracks"] == 12
    only_start = signed_in.get("/api/stats", params={
        "start": "2026-05-01T14:00"}).json()
    assert only_start["end"] == "2026-05-02T14:00:00+00:00"
    assert only_start["tracks"] == 6  # tracks 24-29


def test_a_page_checks_its_session_against_the_users_once(signed_in,
                                                          monkeypatch):
    from keras_dmtl.serve import app as app_module

    calls = []
    real = app_module.stored_hash

    def counted(database, name):
        calls.append(name)
        return real(database, name)

    monkeypatch.setattr(app_module, "stored_hash", counted)
    assert signed_in.get("/tracks").status_code == 200
    assert calls == ["operator"]
