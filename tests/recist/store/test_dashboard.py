"""The dashboard's roles, request by request, on SQLite and PostgreSQL.

Real HTTP requests (httpx) to the app served by uvicorn on a loopback port; the
browser test is ``test_dashboard_browser.py``.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from store._dash import HOSTILE, LiveServer, fill

pytest.importorskip("starlette", reason="the review extra is not installed")
httpx = pytest.importorskip("httpx", reason="httpx (test extra) absent")

from recist.dashboard import create_app  # noqa: E402
from recist.store import ReviewStore  # noqa: E402


@pytest.fixture
def site(store_target):
    store = ReviewStore.create(store_target, name="DASH")
    passwords = fill(store)
    store.close()
    app = create_app(store_target, secret_key="test-key")
    with LiveServer(app) as server:
        yield server.url, passwords
    app.state.store.close()


_CLIENTS: list = []


@pytest.fixture(autouse=True)
def _close_clients():
    yield
    while _CLIENTS:
        _CLIENTS.pop().close()


def client(base, who=None, passwords=None):
    c = httpx.Client(base_url=base, follow_redirects=False, timeout=60)
    _CLIENTS.append(c)
    if who:
        r = c.post("/login", data={"name": who, "password": passwords[who]})
        assert r.status_code == 303, r.text
    return c


PAGES = {
    "home": "/",
    "read1": "/subjects/S1/reads/1",
    "read2": "/subjects/S1/reads/2",
    "compare": "/subjects/S1/compare",
    "compare_S3": "/subjects/S3/compare",
    "audit": "/subjects/S1/audit",
    "metrics": "/metrics",
}
# S1: ann is reader 1, bob reader 2, cat adjudicates (both reads complete)
ALLOWED = {
    "ann": {
        "home": 200,
        "read1": 200,
        "read2": 403,
        "compare": 403,
        "compare_S3": 403,
        "audit": 403,
        "metrics": 403,
    },
    "bob": {
        "home": 200,
        "read1": 403,
        "read2": 200,
        "compare": 403,
        "compare_S3": 403,
        "audit": 403,
        "metrics": 403,
    },
    "cat": {
        "home": 200,
        "read1": 200,
        "read2": 200,
        "compare": 200,
        "compare_S3": 403,
        "audit": 403,
        "metrics": 403,
    },
    "lead": {
        "home": 200,
        "read1": 200,
        "read2": 200,
        "compare": 200,
        "compare_S3": 200,
        "audit": 200,
        "metrics": 200,
    },
}


def test_roles_are_enforced_on_every_request(site):
    app, passwords = site
    anonymous = client(app)
    for url in PAGES.values():
        r = anonymous.get(url)
        assert (r.status_code, r.headers["location"]) == (303, "/login"), url
    for who, expected in ALLOWED.items():
        c = client(app, who, passwords)
        got = {page: c.get(url).status_code for page, url in PAGES.items()}
        assert got == expected, who


def test_wrong_password_is_refused(site):
    app, _ = site
    r = client(app).post("/login", data={"name": "ann", "password": "bob-secret-2"})
    assert r.status_code == 401
    assert "wrong password" in r.text


def test_reader_pages_show_only_own_reads(site):
    app, passwords = site
    page = client(app, "ann", passwords).get("/").text
    assert "/subjects/S1/reads/1" in page
    assert "/subjects/S1/reads/2" not in page  # S1: ann is reader 1
    assert "bob" not in page  # not even the other reader's name


def test_input_is_escaped(site):
    app, passwords = site
    c = client(app, "lead", passwords)
    home = c.get("/").text
    assert HOSTILE not in home
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in home
    audit = c.get("/subjects/S1/audit").text
    assert "<b>x</b>" not in audit
    assert "&lt;b&gt;x&lt;/b&gt;" in audit
    r = c.get(f"/subjects/{quote(HOSTILE, safe='')}/audit")
    assert r.status_code == 200
    assert HOSTILE not in r.text


def test_session_cookie_is_strict_and_http_only(site):
    app, passwords = site
    r = client(app).post("/login", data={"name": "ann", "password": passwords["ann"]})
    cookie = r.headers["set-cookie"].lower()
    assert "samesite=strict" in cookie
    assert "httponly" in cookie
