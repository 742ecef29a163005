"""The core lab dashboard: worklists, progress, adjudication, metrics, audit trails.

A small Starlette application over a :class:`~recist.store.ReviewStore`
(``recist review serve trial.db``).  Every person logs in with their store
password; every request is checked against the role the store gives them, and
reads are opened through the store's own blinded API, so a reader who edits a
URL to reach another reader's read gets 403.  Pages are Jinja2 templates with
autoescaping on: text from the store (subject ids, reasons, reader names) is
escaped.  Sessions are signed cookies (``SameSite=Strict``, HTTP-only) with a
key made at start-up, so a restart logs everyone out.
"""

from recist._optional import require

require("starlette", extra="review", feature="the review dashboard")
require("jinja2", extra="review", feature="the review dashboard")

from recist.dashboard._app import create_app, serve  # noqa: E402

__all__ = ["create_app", "serve"]
