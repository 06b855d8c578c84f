"""The search API (FastAPI). Every invalid parameter is a 400 with {"error", "parameter"}; the
handlers call the same functions as the CLI, so `--json` output and API responses are one."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Annotated, Callable

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.health import outlets_report
from index.page import page_router
from index.protocol import BackendUnavailable
from index.query import QueryError, parse_entities_params, parse_search_params
from index.search import run_search

logger = logging.getLogger(__name__)


@dataclass
class ApiContext:
    backend: object
    state: object
    outlets: Callable[[], dict]
    index_kind: str = "embedded"
    # Set by the daemon; absent when the API is served without a crawler in the process.
    trigger_crawl: Callable[[str], None] | None = None
    reload: Callable[[], tuple[bool, str]] | None = None
    running: Callable[[], set] = field(default=lambda: set())
    names: object = None  # crawler.names.NameTable: entity filters go through its aliases
    alerts: object = None  # crawler.alerts.Alerts: topics and their matches
    access: object = None  # index.access.AccessControl; None: an open API (loopback only, see settings)


def error(status: int, message: str, parameter: str | None = None) -> JSONResponse:
    body = {"error": message}
    if parameter is not None:
        body["parameter"] = parameter
    return JSONResponse(body, status_code=status)


class _StateCollector:
    def __init__(self, context: ApiContext):
        self.context = context

    def collect(self):
        report = outlets_report(self.context.outlets(), self.context.state)
        articles = GaugeMetricFamily("newswatch_articles", "Articles indexed, by outlet", labels=["outlet"])
        errors = CounterMetricFamily("newswatch_crawl_errors", "Crawl errors, by outlet", labels=["outlet"])
        filtered = CounterMetricFamily("newswatch_filtered_items", "Feed items skipped by the outlet filter",
                                       labels=["outlet"])
        for row in report:
            articles.add_metric([row["key"]], row["articles"])
            errors.add_metric([row["key"]], row["errors"])
            filtered.add_metric([row["key"]], row["filtered"])
        yield articles
        yield errors
        yield filtered
        try:
            yield GaugeMetricFamily("newswatch_index_documents", "Documents in the index",
                                    value=self.context.backend.count())
        except BackendUnavailable:
            pass
        waiting = self.context.backend.backlog().get("elasticsearch_outbox", {}).get("waiting")
        if waiting is not None:
            yield GaugeMetricFamily("newswatch_outbox_waiting", "Articles waiting for Elasticsearch", value=waiting)


def parse_matches_params(params) -> dict:
    """`since`, `size`, `cursor` of /topics/{key}/matches, validated like /search's."""
    from index.query import SearchQuery, _decode_cursor, parse_date_param, parse_search_params

    values = dict(params)
    for name in values:
        if name not in ("since", "size", "cursor"):
            raise QueryError(name, f"unknown parameter {name!r}")
    base = parse_search_params([(n, values[n]) for n in ("since", "size") if values.get(n)])
    since = parse_date_param("since", values["since"]).isoformat().replace("+00:00", "Z") if values.get("since") else None
    offset = 0
    if values.get("cursor"):
        after, fingerprint = _decode_cursor(values["cursor"])
        if fingerprint != base.fingerprint():
            raise QueryError("cursor", "the cursor belongs to another listing")
        offset = SearchQuery(after=after).offset
    return {"since": since, "size": base.size, "offset": offset, "cursor": lambda end: base.cursor({"o": end})}


def related_articles(context: ApiContext, article: dict) -> dict:
    state, backend = context.state, context.backend
    original = article["duplicate_of"] or article["id"]
    duplicates = [] if original == article["id"] else [(original, state.copy_score(article["id"], original))]
    duplicates += [(c, score) for c, score in state.copies_of(original) if c != article["id"]]
    related = state.related(original)

    def hits(pairs):
        found = []
        for other_id, score in sorted(pairs, key=lambda p: -p[1]):
            other = backend.get(other_id)
            if other is not None:
                other.pop("text", None)
                found.append({**other, "score": min(1.0, max(0.0, score))})
        return found

    return {"duplicates": hits(duplicates), "related": hits(related)}


def create_app(context: ApiContext) -> FastAPI:
    app = FastAPI(title="newswatch", description="Search the articles newswatch has collected.")
    registry = CollectorRegistry()
    registry.register(_StateCollector(context))

    @app.middleware("http")
    async def access_control(request: Request, call_next):
        if context.access is not None:
            refused = context.access.check(request)
            if refused is not None:
                return refused
        return await call_next(request)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        location = [str(p) for p in first.get("loc", []) if p not in ("query", "path", "body")]
        return error(400, first.get("msg", "invalid request"), location[-1] if location else None)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        return error(exc.status_code, str(exc.detail))

    @app.exception_handler(BackendUnavailable)
    async def unavailable(request: Request, exc: BackendUnavailable):
        logger.warning("index unavailable answering %s: %s", request.url.path, exc)
        return error(503, "the index is unavailable; try again shortly")

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception):
        logger.exception("error answering %s", request.url.path)
        return error(500, "internal error")

    @app.get("/search")
    def search(request: Request,
               q: Annotated[str | None, Query(description="words, \"phrases\", OR, -not, field:value")] = None,
               entity: Annotated[list[str] | None, Query(description="TYPE:NAME, repeatable, all must match")] = None,
               outlet: Annotated[list[str] | None, Query(description="outlet key, repeatable (any)")] = None,
               topic: Annotated[list[str] | None, Query(description="topic key, repeatable (any)")] = None,
               language: str | None = None,
               since: Annotated[str | None, Query(description="ISO date or date-time, inclusive")] = None,
               until: Annotated[str | None, Query(description="ISO date or date-time, exclusive")] = None,
               sort: Annotated[str | None, Query(description="relevance or newest")] = None,
               size: Annotated[str | None, Query(description="hits per page, at most 100")] = None,
               cursor: str | None = None,
               duplicates: Annotated[str | None, Query(description="include to show copies")] = None):
        # The typed parameters document the API; the query string itself is parsed once, by the
        # query model shared with the CLI.
        try:
            query = parse_search_params(request.query_params.multi_items(), names=context.names)
            return run_search(context.backend, query)
        except QueryError as exc:
            return JSONResponse(exc.as_json(), status_code=400)

    @app.get("/entities")
    def entities(request: Request, type: str | None = None, prefix: str | None = None, since: str | None = None,
                 until: str | None = None, size: str | None = None):
        """The most frequent persons, organisations and places; `prefix` for autocomplete."""
        try:
            query = parse_entities_params(request.query_params.multi_items())
        except QueryError as exc:
            return JSONResponse(exc.as_json(), status_code=400)
        return {"entities": context.backend.entities(query)}

    @app.get("/articles/{article_id}")
    def article(article_id: str):
        found = context.backend.get(article_id)
        if found is None:
            return error(404, f"no article with id {article_id!r}")
        return found

    @app.get("/articles/{article_id}/related")
    def related(article_id: str):
        """The article's copies (or, for a copy, its original and the other copies) and other
        outlets' reports of the same story, each with a score in 0..1, best first."""
        article = context.backend.get(article_id)
        if article is None:
            return error(404, f"no article with id {article_id!r}")
        return related_articles(context, article)

    @app.get("/topics")
    def topics():
        """Each topic with its last match, pending deliveries and last delivery error."""
        return context.alerts.status() if context.alerts is not None else []

    @app.get("/topics/{key}/matches")
    def topic_matches(request: Request, key: str, since: str | None = None, size: str | None = None,
                      cursor: str | None = None):
        if context.alerts is None or key not in context.alerts.topics:
            return error(404, f"no topic {key!r}")
        try:
            query = parse_matches_params(request.query_params.multi_items())
        except QueryError as exc:
            return JSONResponse(exc.as_json(), status_code=400)
        total, rows = context.alerts.matches(key, query["since"], query["offset"], query["size"])
        matches = []
        for article_id, matched_at in rows:
            article = context.backend.get(article_id)
            if article is not None:
                article.pop("text", None)
                matches.append({**article, "matched_at": matched_at})
        end = query["offset"] + query["size"]
        return {"total": total, "matches": matches, "next_cursor": query["cursor"](end) if end < total else None}

    @app.get("/outlets")
    def outlets():
        return outlets_report(context.outlets(), context.state, context.backend.backlog())

    @app.get("/health")
    def health():
        # Serving is what /health reports: an index that cannot be reached shows as such, not 500.
        try:
            articles, index_status = context.backend.count(), "ok"
        except BackendUnavailable:
            articles, index_status = None, "unavailable"
        return {"status": "ok", "index": context.index_kind, "index_status": index_status, "articles": articles,
                "outlets": len(context.outlets()), "crawling": sorted(context.running()),
                "backlog": context.backend.backlog()}

    @app.get("/metrics")
    def metrics():
        return PlainTextResponse(generate_latest(registry).decode("utf-8"),
                                 media_type="text/plain; version=0.0.4")

    # Admin handlers are coroutines so they run on the daemon's loop, beside the scheduler they
    # change; the read-only handlers above run in the thread pool, off the loop.
    @app.post("/outlets/{key}/crawl", status_code=202)
    async def crawl(key: str):
        if key not in context.outlets():
            return error(404, f"no outlet {key!r}")
        if context.trigger_crawl is None:
            return error(503, "no crawler runs in this process")
        context.trigger_crawl(key)
        return {"status": "scheduled", "outlet": key}

    @app.post("/reload")
    async def reload():
        if context.reload is None:
            return error(503, "no daemon runs in this process")
        ok, message = context.reload()
        if not ok:
            return error(400, message)
        return {"status": "reloaded", "outlets": sorted(context.outlets())}

    app.include_router(page_router(context))
    return app
