"""The HTTP service: a JSON API (OpenAPI at ``/docs``) and an Arabic, right-to-left web UI.

Write endpoints need ``Authorization: Bearer <token>`` when a token is set (it must be, to listen
beyond loopback: see :func:`check_bind`).  Bodies over ``max_body`` bytes get 413; bodies that are not
JSON, or articles that break the input rules, get 422; a wrong content type 415; every error is a
JSON object ``{"error": ...}``.  Pages are rendered with Jinja2 autoescaping: article text, titles
and URLs are untrusted and always escaped, and only http(s) URLs become links.
"""

from __future__ import annotations

import ipaddress
import secrets
import sqlite3
import threading
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from khabar import __version__
from khabar.errors import KhabarError
from khabar.index import query
from khabar.index.ingest import Conflict, Index
from khabar.index.store import connect
from khabar.readers.records import RecordInvalid
from khabar.readers.sanity import JSONInvalid, loads
from khabar.serve.view import highlight

MAX_BODY = 20 * 1024 * 1024  # bytes per request
MAX_BATCH = 1000  # articles per request


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to listen beyond loopback without a write token."""
    if not is_loopback(host) and not token:
        raise KhabarError(f"refusing to listen on {host} without a write token: set --token or $KHABAR_TOKEN")


def _templates() -> Environment:
    path = Path(str(resources.files("khabar.serve") / "templates"))
    env = Environment(loader=FileSystemLoader(path), autoescape=select_autoescape(["html"]))
    env.filters["safe_url"] = _safe_url
    env.filters["pct"] = lambda x: f"{round(100 * float(x))}%"
    return env


def _safe_url(u: Any) -> str | None:
    """Only http(s) URLs become links (never ``javascript:`` or ``data:``)."""
    return u if isinstance(u, str) and u.strip().lower().startswith(("http://", "https://")) else None


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def create_app(db_path: str | Path, token: str | None = None, max_body: int = MAX_BODY) -> FastAPI:
    index = Index(db_path, background_checkpoints=True)
    threading.Thread(target=index.warm, name="khabar-warm", daemon=True).start()
    local = threading.local()

    def reads() -> sqlite3.Connection:
        """This thread's read connection: queries see committed writes only, never a write in progress."""
        db = getattr(local, "db", None)
        if db is None:
            db = local.db = connect(db_path, write=False)
            db.execute("PRAGMA cache_size=-16384")  # KiB
        return db

    env = _templates()
    app = FastAPI(
        title="khabar",
        version=__version__,
        description="Arabic news reuse and story index",
        docs_url=None,  # FastAPI's pages load their scripts from a CDN: /docs is khabar's own, offline
        redoc_url=None,
    )

    def page(name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(version=__version__, **ctx), status_code=status)

    def authorized(request: Request) -> bool:
        if not token:
            return True
        given = request.headers.get("authorization", "")  # decoded as Latin-1: its bytes as sent
        return given.startswith("Bearer ") and secrets.compare_digest(given[7:].encode("latin-1"), token.encode())

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def bad_parameters(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in exc.errors()
        )
        return error(422, problems or "invalid request")

    @app.exception_handler(Exception)
    async def any_error(_: Request, exc: Exception) -> JSONResponse:  # never a bare 500 page
        return error(500, f"internal error: {type(exc).__name__}")

    async def body_json(request: Request) -> Any:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise _Reply(415, "send application/json")
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > max_body:
            raise _Reply(413, f"body over {max_body} bytes")
        data = bytearray()
        async for chunk in request.stream():
            data += chunk
            if len(data) > max_body:
                raise _Reply(413, f"body over {max_body} bytes")
        try:
            return loads(data.decode("utf-8"))
        except UnicodeDecodeError as e:
            raise _Reply(422, f"invalid JSON: not UTF-8 ({e.reason} at byte {e.start})") from None
        except JSONInvalid as e:
            raise _Reply(422, f"invalid JSON: {e}") from None

    @app.exception_handler(_Reply)
    async def reply(_: Request, exc: _Reply) -> JSONResponse:
        return error(exc.status, exc.message)

    # ---------------------------------------------------------------- API

    @app.get("/api/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, **query.counts(reads()), "warm": index.warmed.is_set()}

    @app.post("/api/articles")
    async def post_articles(request: Request) -> JSONResponse:
        """One article (an object with the JSONL fields) or a batch (a list of them). Answers with
        each article's id, story, and the articles it shares passages with."""
        if not authorized(request):
            return error(401, "a write token is required: Authorization: Bearer <token>")
        body = await body_json(request)
        batch = body if isinstance(body, list) else [body]
        if not batch or len(batch) > MAX_BATCH:
            return error(422, f"send 1 to {MAX_BATCH} articles")
        if not all(isinstance(x, dict) for x in batch):
            return error(422, "each article must be a JSON object")
        try:  # in a worker thread: concurrent requests queue for the writer and are committed together
            results = await run_in_threadpool(index.ingest, batch)
        except RecordInvalid as e:
            return error(422, str(e))
        except Conflict as e:
            return error(409, str(e))
        out = [r.to_json() for r in results]
        return JSONResponse(out if isinstance(body, list) else out[0], status_code=201)

    @app.get("/api/articles/{article_id:path}/reuse")
    def get_reuse(article_id: str) -> Any:
        found = query.reuse(reads(), article_id)
        if found is None and (whole := query.article(reads(), article_id + "/reuse")) is not None:
            return whole  # an article whose id ends in /reuse (when no article has the id before it)
        return found if found is not None else error(404, f"no article {article_id!r}")

    @app.get("/api/articles/{article_id:path}")
    def get_article(article_id: str) -> Any:
        found = query.article(reads(), article_id)
        return found if found is not None else error(404, f"no article {article_id!r}")

    @app.delete("/api/articles/{article_id:path}")
    def delete_article(article_id: str, request: Request) -> Any:
        if not authorized(request):
            return error(401, "a write token is required: Authorization: Bearer <token>")
        gone = index.delete(article_id)
        return {"deleted": article_id} if gone else error(404, f"no article {article_id!r}")

    @app.get("/api/stories")
    def get_stories(
        q: str | None = None,
        source: str | None = None,
        since: str | None = None,
        limit: int = Query(50, ge=1, le=query.MAX_STORIES),
    ) -> Any:
        try:
            return query.stories(reads(), q, source, since, limit)
        except ValueError as e:
            return error(422, str(e))

    @app.get("/api/stories/{story_id}")
    def get_story(story_id: str) -> Any:
        found = query.story(reads(), story_id)
        return found if found is not None else error(404, f"no story {story_id!r}")

    # ---------------------------------------------------------------- pages

    @app.get("/docs", response_class=HTMLResponse)
    def docs() -> HTMLResponse:
        """The API's operations from its OpenAPI schema (``/openapi.json``), without external scripts."""
        ops = [
            {"method": method.upper(), "path": path, "summary": op.get("summary", ""), "doc": op.get("description", ""),
             "params": [x["name"] for x in op.get("parameters", [])]}
            for path, methods in app.openapi()["paths"].items()
            for method, op in methods.items()
        ]  # fmt: skip
        return page("docs.html", ops=ops)

    @app.get("/", response_class=HTMLResponse)
    def home(q: str | None = None, source: str | None = None) -> HTMLResponse:
        rows = reads().execute("SELECT DISTINCT source FROM articles WHERE source IS NOT NULL ORDER BY source")
        found = query.stories(reads(), q, source, None, 100)
        return page("stories.html", stories=found, q=q or "", source=source or "", sources=[r[0] for r in rows])

    @app.get("/stories/{story_id}", response_class=HTMLResponse)
    def story_page(story_id: str) -> Response:
        found = query.story(reads(), story_id)
        if found is None:
            return page("missing.html", 404, what="story")
        return page("story.html", story=found)

    @app.get("/articles/{article_id:path}", response_class=HTMLResponse)
    def article_page(article_id: str) -> Response:
        found = query.article(reads(), article_id)
        if found is None:
            return page("missing.html", 404, what="article")
        pairs = query.reuse(reads(), article_id) or []
        return page("article.html", article=found, pairs=pairs)

    @app.get("/compare", response_class=HTMLResponse)
    def compare_page(a: str, b: str) -> Response:
        left, right = query.article(reads(), a), query.article(reads(), b)
        if left is None or right is None:
            return page("missing.html", 404, what="article")
        pair = next((p for p in query.reuse(reads(), a) or [] if {p["a"], p["b"]} == {a, b}), None)
        if pair is not None and pair["a"] != a:
            left, right = right, left
        return page("compare.html", left=left, right=right, pair=pair, **highlight(left, right, pair))

    return app


class _Reply(Exception):  # noqa: N818 - a reply, not an error of ours
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
