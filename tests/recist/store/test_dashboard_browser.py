"""The dashboard in a real browser: Debian's headless Chromium driven by Selenium.

Logs in as a reader and as the lab manager, follows the pages, edits a URL to
reach the other reader's read (403), and checks a hostile USUBJID is shown as
text.  Screenshots go to the test's folder (and to ``$RECIST_SCREENSHOTS`` when
set) to be looked at.  chromium and chromium-driver come from
``scripts/_setup.sh``; without them the test skips with the reason, except
under CI, where it fails.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest

from store._dash import HOSTILE, LiveServer, fill

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium (test extra)")

from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from recist.dashboard import create_app  # noqa: E402
from recist.store import ReviewStore  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
)


@pytest.fixture
def browser(tmp_path):
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        msg = "chromium / chromium-driver absent (scripts/_setup.sh installs them)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=DRIVER)
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(60)
    driver.implicitly_wait(10)
    yield driver
    driver.quit()


@pytest.fixture
def site(tmp_path):
    target = str(tmp_path / "trial.db")
    store = ReviewStore.create(target, name="DASH")
    passwords = fill(store)
    store.close()
    app = create_app(target, secret_key="browser-test")
    with LiveServer(app) as server:
        yield server.url, passwords
    app.state.store.close()


def _shot(driver, tmp_path, name):
    path = tmp_path / f"{name}.png"
    driver.save_screenshot(str(path))
    out = os.environ.get("RECIST_SCREENSHOTS")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(out) / path.name)
    assert path.stat().st_size > 5000  # a rendered page, not a blank


def _login(driver, base, who, password):
    driver.get(f"{base}/login")
    driver.find_element(By.ID, "name").send_keys(who)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "submit").click()
    assert driver.find_element(By.ID, "who").text.startswith(who)


def _no_alert(driver):
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018


def test_dashboard_in_chromium(browser, site, tmp_path):
    base, passwords = site
    d = browser
    d.get(f"{base}/")
    assert d.current_url.endswith("/login")  # not logged in: sent to log in
    d.find_element(By.ID, "name").send_keys("ann")
    d.find_element(By.ID, "password").send_keys("not-anns")
    d.find_element(By.ID, "submit").click()
    assert "wrong password" in d.find_element(By.ID, "error").text

    # a reader: her worklist, her read, and a 403 on the other reader's read
    _login(d, base, "ann", passwords["ann"])
    rows = d.find_elements(By.CSS_SELECTOR, "#worklist tr")
    assert len(rows) == 1 + 4  # header + S1, S2, S3 and the hostile subject
    _shot(d, tmp_path, "1-reader-worklist")
    d.find_element(By.CSS_SELECTOR, "a[href='/subjects/S1/reads/1']").click()
    assert "BOR PR" in d.find_element(By.ID, "bor").text
    _shot(d, tmp_path, "2-reader-own-read")
    d.get(f"{base}/subjects/S1/reads/2")  # edited URL: bob's read
    assert "only your own read" in d.find_element(By.ID, "message").text
    assert "BOR" not in d.page_source
    _shot(d, tmp_path, "3-reader-blocked")
    d.find_element(By.CSS_SELECTOR, "header button").click()
    WebDriverWait(d, 30).until(lambda drv: drv.current_url.endswith("/login"))

    # the lab manager: progress, waiting adjudication, metrics, audit trail
    _login(d, base, "lead", passwords["lead"])
    progress = d.find_element(By.ID, "progress").text
    assert "adjudicated" in progress
    assert HOSTILE in progress  # shown as text ...
    _no_alert(d)  # ... and never run
    assert not d.find_elements(By.CSS_SELECTOR, "#progress img")
    waiting = d.find_element(By.ID, "waiting").text
    assert "S2" in waiting
    assert "first PD differs" in waiting
    _shot(d, tmp_path, "4-manager-progress")
    d.find_element(By.LINK_TEXT, "S2").click()
    assert d.find_elements(By.CSS_SELECTOR, "#compare tr.differs")
    _shot(d, tmp_path, "5-compare")
    d.get(f"{base}/metrics")
    assert "kappa" in d.find_element(By.ID, "metrics").text
    _shot(d, tmp_path, "6-metrics")
    d.get(f"{base}/subjects/S1/audit")
    audit = d.find_element(By.ID, "audit").text
    assert "adjudicate" in audit
    assert "read 1 measured a vessel <b>x</b>" in audit
    _shot(d, tmp_path, "7-audit")
    d.get(f"{base}/subjects/{quote(HOSTILE, safe='')}/audit")
    _no_alert(d)
    assert HOSTILE in d.find_element(By.TAG_NAME, "h1").text
