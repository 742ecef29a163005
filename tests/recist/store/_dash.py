"""A store with a finished double read, one subject waiting and a hostile USUBJID."""

from __future__ import annotations

from recist.store import Actor, TimePointSpec
from store._reads import DATES, PASSWORDS, read_and_sign, reading, setup_trial

HOSTILE = '<img src=x onerror="alert(1)">'
ADMIN_PW = "admin-secret-0"


def fill(store) -> dict:
    """S1 adjudicated, S2 waiting adjudication, S3 half read, HOSTILE unread."""
    actors = setup_trial(store, subjects=("S1", "S2", "S3"))
    admin = Actor.os_admin()
    store.add_reader(admin, "lead", role="admin", password=ADMIN_PW)
    store.add_subject(admin, HOSTILE, [TimePointSpec(date=DATES[0])])
    store.assign(admin)
    ann, bob, cat = actors["ann"], actors["bob"], actors["cat"]
    for subject, one, two in (
        ("S1", [50, 30, 30, 30], [50, 45, 45, 45]),
        ("S2", [50, 30, 30, 30], [50, 50, 50, 70]),
    ):
        read_and_sign(store, ann, subject, reading(one))
        read_and_sign(store, bob, subject, reading(two))
    store.adjudicate(cat, "S1", accept=2, reason="read 1 measured a vessel <b>x</b>")
    read_and_sign(store, ann, "S3", reading([50, 40]), through=1)
    return {**PASSWORDS, "lead": ADMIN_PW}


class LiveServer:
    """Serve an app with uvicorn on a free loopback port, in a thread."""

    def __init__(self, app) -> None:
        import socket
        import threading

        import uvicorn

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="error"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        import time

        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the dashboard did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
