"""The whole chain as an operator meets it: the test video -> `keras-dmtl
watch` with an exported artifact -> the database -> `keras-dmtl serve` in
its own process -> a real headless Chromium that signs in and reads the
dashboard and the track table. On SQLite and on a real PostgreSQL server.

Screenshots of the pages are kept in `test-artifacts/` at the top of the
checkout (or `$KERAS_DMTL_TEST_ARTIFACTS`).
"""

import io
import os
import shutil
import sqlite3
import sys

import pytest

from keras_dmtl.cli import main
from tests.postgres_server import PostgresServer
from tests.serve.served_page import ServedPage
from tests.watch.conftest import START
from tests.watch.conftest import model_file  # noqa: F401 (fixtures)
from tests.watch.conftest import test_video  # noqa: F401
from tests.watch.conftest import watch_tflite  # noqa: F401
from tests.watch.conftest import watched_sqlite  # noqa: F401

USER, PASSWORD = "operator", "a long pass phrase"
ARTIFACTS = os.environ.get("KERAS_DMTL_TEST_ARTIFACTS", os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "test-artifacts"))


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, driven by its ChromeDriver."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.skip("Chromium and ChromeDriver are not installed (Debian: "
                    "apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-dev-shm-usage", "--window-size=1280,1400"):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(driver), options=options)
    browser.set_page_load_timeout(60)
    yield browser
    browser.quit()


def _add_user(url, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    with pytest.raises(SystemExit) as ended:
        main(["users", "add", USER, "--db", url, "--password-stdin"])
        raise SystemExit(0)
    assert ended.value.code == 0


def _screenshot(browser, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, name)
    assert browser.save_screenshot(path), path
    assert os.path.getsize(path) > 10_000
    return path


def _wait_for(browser, selector, seconds=30):
    """The elements matching a CSS selector, once the page shows them."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, seconds).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, selector))
    return browser.find_elements(By.CSS_SELECTOR, selector)


def _sign_in(browser, password):
    from selenium.webdriver.common.by import By

    _wait_for(browser, "#sign-in button")
    browser.find_element(By.ID, "name").send_keys(USER)
    browser.find_element(By.ID, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "#sign-in button").click()


def _operator_reads_the_page(browser, page, people, kind):
    """Signs in through the form, reads the dashboard and the table."""
    from selenium.webdriver.common.by import By

    browser.delete_all_cookies()
    browser.get(page.url + "/tracks")
    assert browser.current_url.startswith(page.url + "/sign-in?next=")
    _sign_in(browser, "wrong password")
    assert "Wrong name or password." in _wait_for(browser, ".message")[0].text
    _sign_in(browser, PASSWORD)
    _wait_for(browser, "#track-table")
    assert browser.current_url == page.url + "/tracks"  # where it was going
    rows = browser.find_elements(By.CSS_SELECTOR, "#track-table tr.track")
    assert len(rows) == people, browser.page_source
    assert browser.find_element(By.ID, "total").text == str(people)
    cells = rows[0].find_elements(By.TAG_NAME, "td")
    assert cells[0].text == "door"
    assert cells[4].text in ("male", "female")
    _screenshot(browser, f"serve_tracks_{kind}.png")

    browser.find_element(By.LINK_TEXT, "Dashboard").click()
    _wait_for(browser, "#track-count")
    assert browser.find_element(By.ID, "track-count").text == str(people)
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) >= 4
    assert all(c.size["width"] > 200 for c in charts)  # drawn, styled
    bars = browser.find_elements(By.CSS_SELECTOR, "#chart-gender rect.bar")
    assert len(bars) in (1, 2)
    _screenshot(browser, f"serve_dashboard_{kind}.png")

    # The filter form narrows the table (a real form submission).
    browser.get(page.url + "/tracks?gender=female")
    females = int(browser.find_element(By.ID, "total").text)
    browser.get(page.url + "/tracks?gender=male")
    assert females + int(browser.find_element(By.ID, "total").text) == people

    browser.find_element(By.LINK_TEXT, "Live").click()
    _wait_for(browser, "#live")
    assert "Nobody in view." in browser.page_source  # the watcher ended
    browser.find_element(By.LINK_TEXT, "About").click()
    _wait_for(browser, "#models")
    assert "model_fp32.tflite" in browser.page_source
    browser.find_element(By.CSS_SELECTOR, ".sign-out button").click()
    _wait_for(browser, "#sign-in")
    assert browser.current_url.startswith(page.url + "/sign-in")
    browser.get(page.url + "/api/tracks")
    assert "sign in first" in browser.page_source


def test_the_chain_on_sqlite_ends_in_the_right_tracks_on_the_page(
        watched_sqlite, test_video, browser, tmp_path,  # noqa: F811
        monkeypatch):
    from keras_dmtl.watch import TestVideoTruth

    people = TestVideoTruth.load(test_video[1]).count
    path = tmp_path / "watch.db"
    # A copy (SQLite's backup, WAL included): the shared run stays as it is.
    with sqlite3.connect(watched_sqlite["db"]) as source, \
            sqlite3.connect(path) as copy:
        source.backup(copy)
    url = f"sqlite:///{path}"
    _add_user(url, monkeypatch)
    with ServedPage(url) as page:
        _operator_reads_the_page(browser, page, people, "sqlite")


def test_the_chain_on_postgresql_ends_in_the_right_tracks_on_the_page(
        test_video, watch_tflite, browser, monkeypatch):  # noqa: F811
    from sqlalchemy import select
    from selenium.webdriver.common.by import By

    from keras_dmtl.store import Track
    from keras_dmtl.store import open_database
    from keras_dmtl.watch import TestVideoTruth

    video, folder = test_video
    people = TestVideoTruth.load(folder).count
    server = PostgresServer()
    server.start()
    try:
        main(["watch", f"door={video}", "--model", watch_tflite, "--db",
              server.url, "--start-time", START, "--threads", "1",
              "--save-faces"])
        _add_user(server.url, monkeypatch)
        with open_database(server.url) as database:
            with database.read_only_session() as session:
                keys = list(session.scalars(select(Track.key)))
                faces = list(session.scalars(select(Track.face_jpeg)))
        assert len(keys) == people and all(faces)
        with ServedPage(server.url) as page:
            _operator_reads_the_page(browser, page, people, "postgresql")
            # A track's page shows the face kept with --save-faces.
            browser.get(page.url + "/sign-in")
            _sign_in(browser, PASSWORD)
            _wait_for(browser, "#track-count")
            browser.get(f"{page.url}/tracks/{keys[0]}")
            (face,) = _wait_for(browser, "img.face")
            assert face.get_property("naturalWidth") > 0
    finally:
        server.remove()
