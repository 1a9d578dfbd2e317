import http.cookiejar
import json
import os
import stat
import urllib.parse
import urllib.request

import pytest

from keras_dmtl.cli import main
from keras_dmtl.serve.serve_command import read_secret
from keras_dmtl.store import open_database
from tests.serve.conftest import PASSWORD
from tests.serve.conftest import USER
from tests.serve.conftest import csrf_of
from tests.serve.served_page import ServedPage


def test_a_secret_file_is_made_private_once_and_never_rewritten(tmp_path):
    path = tmp_path / "keys" / "secret"
    first = read_secret(str(path))
    assert len(first) >= 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert read_secret(str(path)) == first
    path.write_text("x" * 40 + "\n")
    assert read_secret(str(path)) == "x" * 40


def test_a_secret_file_others_can_read_or_too_short_is_refused(tmp_path):
    path = tmp_path / "secret"
    path.write_text("y" * 40)
    os.chmod(path, 0o644)
    with pytest.raises(ValueError, match="readable by other users"):
        read_secret(str(path))
    os.chmod(path, 0o600)
    path.write_text("short")
    with pytest.raises(ValueError, match="at least 32 characters"):
        read_secret(str(path))


@pytest.mark.parametrize("args, message", [
    (["--db", "sqlite:///{tmp}/none.db"], "no database at {tmp}/none.db"),
    (["--port", "0"], "--port must be from 1 to 65535"),
    (["--db", "sqlite:///{tmp}/old.db"], "schema revision 0001, not 0002"),
])
def test_bad_serve_arguments_are_one_line(args, message, tmp_path):
    from alembic import command

    from keras_dmtl.store.migrate import alembic_config

    database = open_database(f"sqlite:///{tmp_path}/old.db")
    with database.engine.begin() as connection:
        command.downgrade(alembic_config(connection=connection), "0001")
    database.dispose()
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    with pytest.raises(SystemExit) as stop:
        main(["serve", "--db", f"sqlite:///{tmp_path}/old.db", *args])
    text = str(stop.value.code)
    assert text.startswith("keras-dmtl serve: ")
    assert message.replace("{tmp}", str(tmp_path)) in text, text
    assert "\n" not in text
    assert not os.path.exists(tmp_path / "none.db")


def test_the_served_page_keeps_sessions_across_a_restart_with_a_secret(
        store_file, tmp_path):
    secret = str(tmp_path / "secret")
    url = f"sqlite:///{store_file}"
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with ServedPage(url, "--secret-file", secret) as page:
        form = browser.open(page.url + "/sign-in").read().decode()
        data = urllib.parse.urlencode({"name": USER, "password": PASSWORD,
                                       "csrf": csrf_of(form)}).encode()
        assert browser.open(page.url + "/sign-in", data).url == (
            page.url + "/")
    with ServedPage(url, "--secret-file", secret) as page:  # restarted
        answer = json.loads(browser.open(page.url + "/api/models").read())
        assert answer["revision"] == "0002"
