"""`/search`, its exports (CSV, NDJSON), its Atom feed, and `/entities`."""
from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from index.query import parse_entities_params
from index.search import run_search
from web import schemas
from web.context import ApiContext
from web.exports import atom_feed, csv_header, csv_rows, ndjson_rows, pages
from web.routes.parameters import EXPORT_PARAMETERS, KEY_PARAMETER, SEARCH_PARAMETERS, SINCE, UNTIL

READ_ERRORS = schemas.errors(400, 401, 429, 503)


def search_router(context: ApiContext) -> APIRouter:
    router = APIRouter(tags=["search"])
    threaded = context.threaded

    @router.get("/search", response_model=schemas.SearchResult, responses=READ_ERRORS,
                summary="Search articles", openapi_extra={"parameters": SEARCH_PARAMETERS})
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
        router.get(f"/search.{suffix}", response_class=StreamingResponse,
                   responses={200: {"content": {media_type.split(";")[0]: {"schema": {"type": "string"}}},
                                    "description": f"every matching article, newest first, as {suffix.upper()}"},
                              **READ_ERRORS},
                   summary=f"The whole result of a search as {suffix.upper()}",
                   description="Every match, newest first, streamed with no cap on the number of hits (copies "
                               "left out unless duplicates=include). `key` may carry the API key.",
                   openapi_extra={"parameters": EXPORT_PARAMETERS + [KEY_PARAMETER]},
                   )(export(media_type, suffix, render_rows, header))

    @router.get("/search.atom", response_class=Response,
                responses={200: {"content": {"application/atom+xml": {"schema": {"type": "string"}}},
                                 "description": "an Atom feed of the newest matches"}, **READ_ERRORS},
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

    @router.get("/entities", response_model=schemas.EntityList, responses=READ_ERRORS,
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

    return router
