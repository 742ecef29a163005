"""Starlette routes of the review dashboard (see :mod:`recist.dashboard`)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from recist.store import (
    AccessDeniedError,
    Actor,
    AuthenticationError,
    ReviewStore,
    StoreInputError,
)

__all__ = ["create_app", "serve"]

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,  # every {{ value }} is HTML-escaped
    undefined=jinja2.StrictUndefined,
)


class _LoginRequired(Exception):
    pass


def _page(name: str, request: Request, status: int = 200, **context: Any) -> Response:
    actor = request.scope.get("recist_actor")
    html = _TEMPLATES.get_template(name).render(actor=actor, **context)
    return HTMLResponse(html, status_code=status)


def create_app(target: str | Path, *, secret_key: str | None = None) -> Starlette:
    """Build the dashboard application for a store (a path or a URL)."""
    store = ReviewStore.open(target)

    def actor_of(request: Request) -> Actor:
        """Return the logged-in person, with the role the store gives them now."""
        name = request.session.get("reader")
        if not name:
            raise _LoginRequired
        roles = dict(store.readers())
        if name not in roles:
            request.session.clear()
            raise _LoginRequired
        actor = Actor(name=name, role=roles[name])
        request.scope["recist_actor"] = actor
        return actor

    async def login_form(request: Request) -> Response:
        return _page("login.html", request, error=None)

    async def login(request: Request) -> Response:
        form = await request.form()
        name = str(form.get("name", ""))
        try:
            actor = store.authenticate(name, str(form.get("password", "")))
        except AuthenticationError as exc:
            return _page("login.html", request, status=401, error=str(exc))
        request.session.clear()
        request.session["reader"] = actor.name
        return RedirectResponse("/", status_code=303)

    async def logout(request: Request) -> Response:
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    async def home(request: Request) -> Response:
        actor = actor_of(request)
        if actor.role == "admin":
            statuses = store.status()
            readers = store.readers()
            worklists = {
                n: store.worklist(actor, n) for n, r in readers if r != "admin"
            }
            waiting = [s for s in statuses if s.state == "waiting adjudication"]
            done = sum(s.state in ("agree", "adjudicated") for s in statuses)
            return _page(
                "admin.html",
                request,
                statuses=statuses,
                worklists=worklists,
                waiting=waiting,
                done=done,
                trial=store.trial(),
            )
        items = store.worklist(actor)
        return _page("worklist.html", request, items=items, trial=store.trial())

    async def read(request: Request) -> Response:
        actor = actor_of(request)
        usubjid = request.path_params["usubjid"]
        slot = request.path_params["slot"]
        view = store.load_read(actor, usubjid, slot=slot)
        return _page("read.html", request, view=view)

    async def compare(request: Request) -> Response:
        actor = actor_of(request)
        usubjid = request.path_params["usubjid"]
        cmp = store.compare(actor, usubjid)
        return _page("compare.html", request, cmp=cmp)

    async def audit(request: Request) -> Response:
        actor = actor_of(request)
        usubjid = request.path_params["usubjid"]
        events = store.audit_trail(actor, usubjid)
        return _page("audit.html", request, usubjid=usubjid, events=events)

    async def metrics(request: Request) -> Response:
        actor = actor_of(request)
        if actor.role != "admin":
            raise AccessDeniedError("only an admin sees the reader metrics")
        from recist.store._metrics import reader_metrics

        m = reader_metrics(store.status(), pd_days=store.charter().pd_days)
        return _page("metrics.html", request, lines=m.lines(), m=m)

    async def login_required(request: Request, exc: Exception) -> Response:
        return RedirectResponse("/login", status_code=303)

    async def denied(request: Request, exc: Exception) -> Response:
        return _page("error.html", request, status=403, message=str(exc))

    async def not_found(request: Request, exc: Exception) -> Response:
        return _page("error.html", request, status=404, message=str(exc))

    routes = [
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/", home),
        Route("/subjects/{usubjid}/reads/{slot:int}", read),
        Route("/subjects/{usubjid}/compare", compare),
        Route("/subjects/{usubjid}/audit", audit),
        Route("/metrics", metrics),
    ]
    middleware = [
        Middleware(
            SessionMiddleware,
            secret_key=secret_key or secrets.token_urlsafe(32),
            same_site="strict",
            https_only=False,
            max_age=8 * 3600,
        )
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={
            _LoginRequired: login_required,
            AccessDeniedError: denied,
            StoreInputError: not_found,
        },
    )
    app.state.store = store
    return app


def serve(target: str | Path, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the dashboard with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(create_app(target), host=host, port=port, log_level="warning")
