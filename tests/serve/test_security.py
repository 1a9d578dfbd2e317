"""What the page refuses: no session, forged forms, guessed passwords,
SQL in the filters, writes."""

import sqlite3

import pytest
from starlette.routing import Route

from tests.serve.conftest import PASSWORD
from tests.serve.conftest import USER
from tests.serve.conftest import csrf_of
from tests.serve.conftest import sign_in

PUBLIC = {"/sign-in"}
INJECTIONS = ("' OR '1'='1", "door'; DROP TABLE tracks; --",
              "1; DELETE FROM tracks", "2026-05-01' OR 1=1 --",
              "0) OR (1=1", "\" OR \"\"=\"", "1 UNION SELECT password_hash "
              "FROM users")
FILTERS = ("source", "gender", "race", "expression", "start", "end",
           "min_age", "max_age", "min_seconds", "sort", "page", "per_page")


def _routes(app):
    """Every (method, path) of the app but the static files, with a real
    track key in the path where one is asked."""
    for route in app.routes:
        if not isinstance(route, Route):
            continue
        for method in route.methods - {"HEAD"}:
            yield method, route.path.replace("{key}", "some-key")


def test_every_route_but_sign_in_is_refused_without_a_session(app, client):
    routes = sorted(_routes(app))
    assert len(routes) >= 14
    for method, path in routes:
        if path in PUBLIC:
            continue
        answer = client.request(method, path, follow_redirects=False)
        if path.startswith(("/api/", "/export")):
            assert answer.status_code == 401, (method, path)
            assert answer.json() == {"detail": "sign in first"}
        else:
            assert answer.status_code in (303, 401), (method, path)
            assert answer.headers["location"].startswith("/sign-in"), path
        assert "door" not in answer.text and "asian" not in answer.text


def test_a_forged_or_expired_cookie_is_no_session(client, signed_in):
    good = signed_in.cookies["keras_dmtl_session"]
    signed_in.cookies.clear()
    for value in (good[:-2] + "xx", good.replace(".", "!", 1), "null"):
        signed_in.cookies.set("keras_dmtl_session", value)
        assert signed_in.get("/api/stats").status_code == 401
        signed_in.cookies.clear()


def test_session_cookies_are_httponly_and_samesite_strict(client):
    answer = sign_in(client)
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/" in cookie


def test_pages_carry_a_strict_content_security_policy(signed_in):
    headers = signed_in.get("/").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"


def test_a_sign_in_form_without_its_csrf_token_is_refused(client):
    client.get("/sign-in")
    for token in (None, "", "forged-token"):
        data = {"name": USER, "password": PASSWORD}
        if token is not None:
            data["csrf"] = token
        answer = client.post("/sign-in", data=data, follow_redirects=False)
        assert answer.status_code == 403
        assert "keras_dmtl_session" not in answer.headers.get(
            "set-cookie", "")
    # A token from another browser's form (another cookie) is refused too.
    from fastapi.testclient import TestClient
    with TestClient(client.app) as other:
        token = csrf_of(other.get("/sign-in").text)
    client.cookies.clear()
    answer = client.post("/sign-in", data={"name": USER,
                                           "password": PASSWORD,
                                           "csrf": token},
                         follow_redirects=False)
    assert answer.status_code == 403


def test_wrong_passwords_are_throttled_even_for_the_right_one(client):
    for _ in range(5):
        assert sign_in(client, password="wrong").status_code == 401
    answer = sign_in(client)  # the right password, too late
    assert answer.status_code == 429
    assert int(answer.headers["retry-after"]) > 200
    assert "Too many failed sign-ins" in answer.text
    assert "keras_dmtl_session" not in answer.headers.get("set-cookie", "")


def test_an_unknown_user_is_refused_like_a_wrong_password(client):
    answer = sign_in(client, name="nobody")
    assert answer.status_code == 401
    assert "Wrong name or password." in answer.text


def test_sign_in_only_goes_on_to_local_pages(client):
    for target in ("https://evil.example/", "//evil.example/x",
                   "/\\evil.example"):
        answer = sign_in(client, next_path=target)
        assert answer.headers["location"] == "/"
        client.cookies.clear()
    assert sign_in(client, next_path="/tracks?race=asian").headers[
        "location"] == "/tracks?race=asian"


@pytest.mark.parametrize("name", FILTERS)
def test_sql_in_any_filter_changes_nothing(signed_in, store_file, name):
    before = _table_counts(store_file)
    for text in INJECTIONS:
        for path in ("/", "/tracks", "/api/tracks", "/api/stats",
                     "/export.csv", "/export.json"):
            answer = signed_in.get(path, params={name: text})
            # Text filters match nothing; typed ones refuse the value.
            assert answer.status_code in (200, 400), (path, name, text)
            if answer.status_code == 400:
                assert name in answer.text
            elif path == "/api/tracks":
                assert answer.json()["total"] == 0
            assert "scrypt$" not in answer.text
    assert _table_counts(store_file) == before


def test_the_page_cannot_write_to_the_database(app):
    from sqlalchemy import text

    with app.state.database.read_only_session() as session:
        with pytest.raises(Exception, match="readonly|read-only|query_only"):
            session.execute(text("DELETE FROM tracks"))


def _table_counts(path):
    connection = sqlite3.connect(str(path))
    try:
        return {table: connection.execute(
            f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("tracks", "observations", "sources", "users",
                          "models", "live_tracks")}
    finally:
        connection.close()


def test_a_session_ends_when_its_user_is_removed_or_gets_a_new_password(
        app, signed_in):
    from keras_dmtl.serve import add_user
    from keras_dmtl.serve import remove_user

    database = app.state.database
    assert signed_in.get("/api/models").status_code == 200
    add_user(database, USER, "a brand new password", replace=True)
    try:
        assert signed_in.get("/api/models").status_code == 401
        assert sign_in(signed_in, password="a brand new password"
                       ).status_code == 303
        assert signed_in.get("/api/models").status_code == 200
        remove_user(database, USER)
        assert signed_in.get("/api/models").status_code == 401
    finally:
        add_user(database, USER, PASSWORD, replace=True)


@pytest.mark.parametrize("token", ["é", "\x00", "a" * 5000])
def test_odd_csrf_tokens_are_refused_not_crashed_on(client, signed_in,
                                                    token):
    client.get("/sign-in")
    answer = client.post("/sign-in", data={"name": USER, "password": "x",
                                           "csrf": token},
                         follow_redirects=False)
    assert answer.status_code == 403
    answer = signed_in.post("/sign-out", data={"csrf": token},
                            follow_redirects=False)
    assert answer.status_code == 403


@pytest.mark.parametrize("name", ["oper\x00ator", "é" * 300, "' OR 1=1 --"])
def test_odd_names_are_a_wrong_name_not_a_crash(client, name):
    assert sign_in(client, name=name).status_code == 401


@pytest.mark.parametrize("params, message", [
    ({"page": "\u00b2"}, "page"),
    ({"page": "9" * 5000}, "page"),
    ({"start": "0001-01-01T00:00+05:00"}, "start"),
    ({"end": "9999-12-31T23:00"}, "end"),
    ({"start": "2020-01-01", "end": "2026-01-01"}, "at most 400 days"),
    ({"source": "do\x00or"}, "control characters"),
])
def test_odd_filter_values_are_a_400_naming_the_parameter(signed_in, params,
                                                          message):
    for path in ("/", "/api/stats"):
        answer = signed_in.get(path, params=params)
        assert answer.status_code == 400, (path, params)
        assert message in answer.text


def test_odd_track_keys_are_not_found(signed_in):
    for key in ("a%00b", "x" * 65, "..%2f..%2fetc"):
        assert signed_in.get(f"/tracks/{key}").status_code == 404
        assert signed_in.get(f"/tracks/{key}/face.jpg").status_code == 404


def test_signing_out_clears_the_cookie_with_its_flags(signed_in):
    page = signed_in.get("/")
    answer = signed_in.post("/sign-out", data={"csrf": csrf_of(page.text)},
                            follow_redirects=False)
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("keras_dmtl_session=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Max-Age=0" in cookie
