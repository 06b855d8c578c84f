"""The search API (FastAPI). Every invalid parameter is a 400 with {"error", "parameter"}; the
handlers call the same functions as the CLI, so `--json` output and API responses are one.

The OpenAPI document is kept honest: response shapes (web/schemas.py) and the real error
responses are declared on every operation, FastAPI's never-returned 422 is removed, the bearer
scheme is declared, and the suite's schemathesis run checks responses against the document.
Swagger UI and ReDoc are served from packaged assets (fastapi-offline), not a CDN."""
from __future__ import annotations

import asyncio
import functools
import logging
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Annotated, Callable, Literal
from urllib.parse import urlencode

from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from fastapi_offline import FastAPIOffline
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from starlette.exceptions import HTTPException as StarletteHTTPException

from web.health import health_reasons, outlets_report
from core.version import VERSION
from web import schemas
from web.routes.admin import admin_router
from index.cursors import Cursors
from web.exports import atom_feed, csv_header, csv_rows, ndjson_rows, pages
from web.page import page_router
from index.protocol import BackendUnavailable
from index.query import DATE_SCHEMA, MAX_RESULT_WINDOW, QueryError, SearchParameters, SearchQuery, parse_date_param, \
    parse_entities_params, parse_search_params, single_values
from index.search import run_search
from web.story import story_view

logger = logging.getLogger(__name__)

API_THREADS = 8


def off_loop(executor: ThreadPoolExecutor):
    """Runs a blocking handler on the API's own threads. Not Starlette's default (anyio's thread
    pool): under Scrapy's reactor no task was started by run_until_complete, so anyio takes each
    connection's task for the root, scans every task of the loop to find it, and starts a thread
    per connection that dies with it — and each new thread opens its own state connection."""
    def decorate(function):
        @functools.wraps(function)
        async def run(*args, **kwargs):
            return await asyncio.get_running_loop().run_in_executor(executor, functools.partial(function, *args, **kwargs))
        return run
    return decorate


@dataclass
class ApiContext:
    backend: object
    state: object
    outlets: Callable[[], dict]
    index_kind: str = "embedded"
    # Set by the daemon; absent when the API is served without a crawler in the process.
    trigger_crawl: Callable[[str], None] | None = None
    reload: Callable[[], tuple[bool, str]] | None = None
    prune: Callable | None = None  # web.admin: retention now, through the daemon
    reprocess: Callable | None = None  # web.admin: a background reprocess, through the daemon
    running: Callable[[], set] = field(default=lambda: set())
    names: object = None  # crawler.entities.names.NameTable: entity filters go through its aliases
    alerts: object = None  # crawler.alerts.Alerts: topics and their matches
    access: object = None  # web.access.AccessControl; None: an open API (loopback only, see settings)
    # Signs and checks cursors; the daemon's key is the data directory's (index.cursors.load_key).
    cursors: Cursors = field(default_factory=lambda: Cursors(secrets.token_bytes(32)))
    # The threads the handlers run on (see `off_loop`).
    threads: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(API_THREADS, thread_name_prefix="newswatch-api"))

    def topics(self) -> dict:
        return self.alerts.topics if self.alerts is not None else {}

    def parse_search(self, params) -> SearchQuery:
        """A search's parameters (the API's, the page's), through the one model: an outlet or
        topic nobody configured is a 400 too."""
        # `key` is the API key of exports and feeds (web.access), not a search parameter.
        params = list(params)
        if sum(1 for name, _ in params if name == "key") > 1:
            raise QueryError("key", "key may be given once")
        params = [(name, value) for name, value in params if name != "key"]
        return parse_search_params(params, names=self.names, cursors=self.cursors, outlets=set(self.outlets()),
                                   topics=set(self.topics()), kept_outlets=self.state.articles_by_outlet)

    def outlets_report(self) -> list[dict]:
        return outlets_report(self.outlets(), self.state, self.backend.backlog())

    def health(self) -> dict:
        # Serving is what /health reports: an index that cannot be reached shows as such, not 500.
        try:
            articles, index_status = self.backend.count(), "ok"
        except BackendUnavailable:
            articles, index_status = None, "unavailable"
        backlog = self.backend.backlog()
        reasons = health_reasons(self.outlets(), self.state, backlog)
        if index_status != "ok":
            reasons.insert(0, "the index cannot be reached")
        return {"status": "degraded" if reasons else "ok", "reasons": reasons, "index": self.index_kind,
                "index_status": index_status, "articles": articles, "outlets": len(self.outlets()),
                "crawling": sorted(self.running()), "backlog": backlog}


def error(status: int, message: str, parameter: str | None = None) -> JSONResponse:
    body = {"error": message}
    if parameter is not None:
        body["parameter"] = parameter
    return JSONResponse(body, status_code=status)


class _StateCollector:
    def __init__(self, context: ApiContext):
        self.context = context

    def collect(self):
        report = self.context.outlets_report()
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
        health = self.context.health()
        yield GaugeMetricFamily("newswatch_degraded", "1 when /health says degraded (its reasons say why)",
                                value=int(health["status"] != "ok"))
        if health["articles"] is not None:
            yield GaugeMetricFamily("newswatch_index_documents", "Documents in the index", value=health["articles"])
        waiting = health["backlog"].get("elasticsearch_outbox", {}).get("waiting")
        if waiting is not None:
            yield GaugeMetricFamily("newswatch_outbox_waiting", "Articles waiting for Elasticsearch", value=waiting)


def parse_matches_params(params, cursors: Cursors) -> dict:
    """`since`, `size`, `cursor` of /topics/{key}/matches, validated like /search's."""
    values = single_values(params)
    for name in values:
        if name not in ("since", "size", "cursor"):
            raise QueryError(name, f"unknown parameter {name!r}")
    base = parse_search_params([(n, values[n]) for n in ("since", "size") if values.get(n)])
    since = parse_date_param("since", values["since"]).isoformat().replace("+00:00", "Z") if values.get("since") else None
    offset = 0
    if values.get("cursor"):
        offset = SearchQuery(after=cursors.decode(base, values["cursor"])).offset
    return {"since": since, "size": base.size, "offset": offset,
            "cursor": lambda end: cursors.encode(base, {"o": end}) if end < MAX_RESULT_WINDOW else None}


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

    answer = {"duplicates": hits(duplicates), "related": hits(related)}
    if original != article["id"]:
        # A copy says whose copy it is (the page: "copy of ..."); the original also leads `duplicates`.
        answer["original"] = next((hit for hit in answer["duplicates"] if hit["id"] == original), None)
    return answer


# The search parameters are parsed once, by the query model (index.query.SearchParameters) that
# the page and the CLI share; the document describes them from the same model.
SEARCH_PARAMETERS = SearchParameters.openapi_parameters()
EXPORT_PARAMETERS = SearchParameters.openapi_parameters(
    ("q", "entity", "outlet", "topic", "language", "since", "until", "duplicates"))
# The other routes' dates and cursors, described as the model describes them.
SINCE = Annotated[str | None, Query(description=SearchParameters.model_fields["since"].description,
                                    json_schema_extra=DATE_SCHEMA)]
UNTIL = Annotated[str | None, Query(description=SearchParameters.model_fields["until"].description,
                                    json_schema_extra=DATE_SCHEMA)]
CURSOR = Annotated[str | None, Query(description=SearchParameters.model_fields["cursor"].description)]
KEY_PARAMETER = {"name": "key", "in": "query", "required": False, "schema": {"type": "string"},
                 "description": "the API key, for clients that cannot send an Authorization header (feed readers); "
                                "it ends up in logs and histories, prefer the header"}
ARTICLE_ID = Annotated[str, Path(description="an article's id")]
OUTLET_KEY = Annotated[str, Path(description="an outlet's key in outlets.toml")]
TOPIC_KEY = Annotated[str, Path(description="a topic's key in topics.toml")]
STORY_ID = Annotated[str, Path(description="a story's id (an article's `story_id`)")]


def create_app(context: ApiContext) -> FastAPI:
    app = FastAPIOffline(title="newswatch", version=VERSION,
                         description="Search the articles newswatch has collected: keyword and entity search, "
                                     "copies and related reports, outlets, topics.")
    registry = CollectorRegistry()
    registry.register(_StateCollector(context))
    threaded = off_loop(context.threads)

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
        parameter = next((p for p in location if not p.isdigit()), None)
        return error(400, first.get("msg", "invalid request"), parameter)

    @app.exception_handler(QueryError)
    async def query_error(request: Request, exc: QueryError):
        return JSONResponse(exc.as_json(), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        response = error(exc.status_code, str(exc.detail))
        response.headers.update(exc.headers or {})  # e.g. Allow, on a 405
        return response

    @app.exception_handler(BackendUnavailable)
    async def unavailable(request: Request, exc: BackendUnavailable):
        logger.warning("index unavailable answering %s: %s", request.url.path, exc)
        return error(503, "the index is unavailable; try again shortly")

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception):
        logger.exception("error answering %s", request.url.path)
        return error(500, "internal error")

    read_errors = schemas.errors(400, 401, 429, 503)

    @app.get("/search", response_model=schemas.SearchResult, responses=read_errors,
             summary="Search articles", tags=["search"], openapi_extra={"parameters": SEARCH_PARAMETERS})
    @threaded
    def search(request: Request):
        """Articles matching the words and filters, copies left out unless `duplicates=include`,
        with counts per outlet, person, organisation, place and topic, and with `histogram=` per
        day, week or month."""
        query = context.parse_search(request.query_params.multi_items())
        return JSONResponse(run_search(context.backend, query, context.cursors))

    def export(media_type: str, suffix: str, render_rows, header: str = ""):
        async def handler(request: Request):
            loop = asyncio.get_running_loop()
            query = await loop.run_in_executor(context.threads, context.parse_search, request.query_params.multi_items())
            hit_pages = pages(context.backend, query)
            # The first page before the response starts: a query the backend refuses is still a 400.
            first = await loop.run_in_executor(context.threads, next, hit_pages, None)

            async def body():
                # One page at a time on the API's threads: memory stays one page whatever the size.
                if header:
                    yield header
                page = first
                while page is not None:
                    yield render_rows(page)
                    page = await loop.run_in_executor(context.threads, next, hit_pages, None)

            return StreamingResponse(body(), media_type=media_type, headers={
                "Content-Disposition": f'attachment; filename="newswatch-search.{suffix}"'})
        return handler

    for suffix, media_type, render_rows, header in (
            ("csv", "text/csv; charset=utf-8", csv_rows, csv_header()),
            ("ndjson", "application/x-ndjson", ndjson_rows, "")):
        app.get(f"/search.{suffix}", tags=["search"], response_class=StreamingResponse,
                responses={200: {"content": {media_type.split(";")[0]: {"schema": {"type": "string"}}},
                                 "description": f"every matching article, newest first, as {suffix.upper()}"},
                           **schemas.errors(400, 401, 429, 503)},
                summary=f"The whole result of a search as {suffix.upper()}",
                description="Every match, newest first, streamed with no cap on the number of hits (copies "
                            "left out unless duplicates=include). `key` may carry the API key.",
                openapi_extra={"parameters": EXPORT_PARAMETERS + [KEY_PARAMETER]},
                )(export(media_type, suffix, render_rows, header))

    @app.get("/search.atom", tags=["search"], response_class=Response,
             responses={200: {"content": {"application/atom+xml": {"schema": {"type": "string"}}},
                              "description": "an Atom feed of the newest matches"}, **schemas.errors(400, 401, 429, 503)},
             summary="Follow a search in a feed reader",
             openapi_extra={"parameters": EXPORT_PARAMETERS + [KEY_PARAMETER]})
    @threaded
    def search_atom(request: Request):
        """The newest 50 matches of the search as Atom, for any feed reader; `key` may carry the API key."""
        params = [(n, v) for n, v in request.query_params.multi_items() if n not in ("sort", "size")]
        query = context.parse_search(params + [("sort", "newest"), ("size", "50")])
        result = context.backend.search(replace(query, facets=()))
        public = [(n, v) for n, v in params if n != "key"]
        page_url = str(request.url_for("search_page")) + (f"?{urlencode(public)}" if public else "")
        self_url = str(request.url.replace(query=urlencode(public)))
        return Response(atom_feed(result, query, self_url, page_url), media_type="application/atom+xml")

    @app.get("/stories/{story_id}", response_model=schemas.Story, responses=schemas.errors(401, 404, 429, 503),
             tags=["articles"], summary="A story: first report, followers in time order, copies, citations")
    @threaded
    def story(story_id: STORY_ID):
        """Every report of the story in time order with the copies of each and who cites whom, the
        first report (earliest published, copies excluded), the names it is about, first and last seen."""
        found = story_view(context.backend, story_id)
        if found is None:
            return error(404, f"no story with id {story_id!r}")
        return JSONResponse(found)

    @app.get("/entities", response_model=schemas.EntityList, responses=read_errors, tags=["search"],
             summary="Most frequent names; prefix autocomplete")
    @threaded
    def entities(request: Request,
                 type: Annotated[Literal["person", "org", "place"] | None, Query(description="one type")] = None,
                 prefix: Annotated[str | None, Query(description="the name, or one of its words, starts with this",
                                                     max_length=200)] = None,
                 since: SINCE = None, until: UNTIL = None,
                 size: Annotated[int | None, Query(description="names to return, 0-100",
                                                   json_schema_extra={"minimum": 0})] = None):
        """Persons, organisations and places by the number of articles naming them (copies left out)."""
        query = parse_entities_params(request.query_params.multi_items(), names=context.names)
        return JSONResponse({"entities": context.backend.entities(query)})

    @app.get("/articles/{article_id}", response_model=schemas.Article, responses=schemas.errors(401, 404, 503),
             tags=["articles"], summary="One article, whole")
    @threaded
    def article(article_id: ARTICLE_ID):
        found = context.backend.get(article_id)
        if found is None:
            return error(404, f"no article with id {article_id!r}")
        return JSONResponse(found)

    @app.get("/articles/{article_id}/related", response_model=schemas.Related, tags=["articles"],
             responses=schemas.errors(401, 404, 503), summary="Its copies and other outlets' reports")
    @threaded
    def related(article_id: ARTICLE_ID):
        """The article's copies (or, for a copy, its original and the other copies) and other
        outlets' reports of the same story, each with a score in 0..1, best first."""
        article = context.backend.get(article_id)
        if article is None:
            return error(404, f"no article with id {article_id!r}")
        return JSONResponse(related_articles(context, article))

    @app.get("/topics", response_model=list[schemas.TopicStatus], responses=schemas.errors(401), tags=["topics"],
             summary="The topics and their alerts")
    @threaded
    def topics():
        """Each topic with its last match, pending deliveries and last delivery error."""
        return JSONResponse(context.alerts.status() if context.alerts is not None else [])

    @app.get("/topics/{key}/matches", response_model=schemas.TopicMatches, tags=["topics"],
             responses=schemas.errors(400, 401, 404, 503), summary="A topic's matches, newest first")
    @threaded
    def topic_matches(request: Request, key: TOPIC_KEY, since: SINCE = None,
                      size: Annotated[int | None, Query(description="matches per page, 0-100",
                                                        json_schema_extra={"minimum": 0})] = None,
                      cursor: CURSOR = None):
        if key not in context.topics():
            return error(404, f"no topic {key!r}")
        query = parse_matches_params(request.query_params.multi_items(), context.cursors)
        total, rows = context.alerts.matches(key, query["since"], query["offset"], query["size"])
        matches = []
        for article_id, matched_at in rows:
            article = context.backend.get(article_id)
            if article is not None:
                article.pop("text", None)
                matches.append({**article, "matched_at": matched_at})
        end = query["offset"] + query["size"]
        return JSONResponse({"total": total, "matches": matches,
                             "next_cursor": query["cursor"](end) if end < total else None})

    @app.get("/outlets", response_model=list[schemas.OutletStatus], responses=schemas.errors(401),
             tags=["outlets"], summary="Every outlet's health")
    @threaded
    def outlets():
        return JSONResponse(context.outlets_report())

    @app.get("/health", response_model=schemas.Health, tags=["service"], summary="Serving, and how well",
             openapi_extra={"security": []})
    @threaded
    def health():
        """200 while serving: `ok`, or `degraded` with the reasons (outlets failing for longer than
        3 intervals, a growing Elasticsearch backlog, an unreachable index)."""
        return JSONResponse(context.health())

    @app.get("/metrics", responses=schemas.errors(401), tags=["service"], summary="Prometheus metrics")
    @threaded
    def metrics():
        return PlainTextResponse(generate_latest(registry).decode("utf-8"), media_type="text/plain; version=0.0.4")

    # Admin handlers are coroutines so they run on the daemon's loop, beside the scheduler they
    # change; the read-only handlers above run on the API's threads, off the loop.
    @app.post("/outlets/{key}/crawl", status_code=202, response_model=schemas.Scheduled, tags=["outlets"],
              responses=schemas.errors(401, 403, 404, 503), summary="Poll an outlet now (admin)")
    async def crawl(key: OUTLET_KEY):
        if key not in context.outlets():
            return error(404, f"no outlet {key!r}")
        if context.trigger_crawl is None:
            return error(503, "no crawler runs in this process")
        context.trigger_crawl(key)
        return JSONResponse({"status": "scheduled", "outlet": key}, status_code=202)

    @app.post("/reload", response_model=schemas.Reloaded, tags=["service"],
              responses=schemas.errors(400, 401, 403, 503), summary="Re-read outlets.toml and topics.toml (admin)")
    async def reload():
        if context.reload is None:
            return error(503, "no daemon runs in this process")
        ok, message = context.reload()
        if not ok:
            return error(400, message)
        return JSONResponse({"status": "reloaded", "outlets": sorted(context.outlets())})

    app.include_router(admin_router(context.prune, context.reprocess, context.outlets))
    app.include_router(page_router(context, threaded))

    def openapi() -> dict:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version, description=app.description,
                                   routes=app.routes)
            for operations in document["paths"].values():
                for operation in operations.values():
                    # Validation problems are answered 400 {"error", "parameter"}, never 422.
                    operation["responses"].pop("422", None)
            components = document.setdefault("components", {})
            for name in ("HTTPValidationError", "ValidationError"):
                components.get("schemas", {}).pop(name, None)
            # Prometheus text, not JSON (the route's errors are JSON, hence no response_class).
            document["paths"]["/metrics"]["get"]["responses"]["200"]["content"] = {
                "text/plain": {"schema": {"type": "string"}}}
            components["securitySchemes"] = {"bearer": {
                "type": "http", "scheme": "bearer",
                "description": "NEWSWATCH_API_KEYS / NEWSWATCH_ADMIN_KEYS, when set; /health is always open"}}
            document["security"] = [{"bearer": []}]
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi
    return app
