"""The topics, their alerts and their matches."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from index.cursors import Cursors
from index.query import MAX_RESULT_WINDOW, QueryError, SearchQuery, parse_date_param, parse_search_params, \
    single_values
from web import schemas
from web.context import ApiContext
from web.errors import error
from web.routes.parameters import CURSOR, SINCE, TOPIC_KEY


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


def topics_router(context: ApiContext) -> APIRouter:
    router = APIRouter(tags=["topics"])
    threaded = context.threaded

    @router.get("/topics", response_model=list[schemas.TopicStatus], responses=schemas.errors(401),
                summary="The topics and their alerts")
    @threaded
    def topics():
        """Each topic with its last match, pending deliveries and last delivery error."""
        return JSONResponse(context.alerts.status() if context.alerts is not None else [])

    @router.get("/topics/{key}/matches", response_model=schemas.TopicMatches,
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

    return router
