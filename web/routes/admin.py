"""Maintenance through the running daemon (admin): `newswatch prune` and `newswatch reprocess`
ask these while the daemon holds the index, since only the daemon may write it."""
from __future__ import annotations

from datetime import datetime
from typing import Awaitable, Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from index.query import QueryError, parse_date_param
from web.schemas import Error, errors


class Pruned(BaseModel):
    model_config = {"extra": "allow"}  # storage figures, as `newswatch prune` prints them
    pruned: dict[str, int] = Field(description="what each store dropped")


class ReprocessStarted(BaseModel):
    status: str = Field(description="started")
    since: str | None
    outlet: str | None
    outdated: bool


class ReprocessRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # a value of the wrong type is a 400
    since: str | None = Field(default=None, description="only pages fetched since this ISO date or date-time",
                              json_schema_extra={"anyOf": [{"type": "string", "format": "date"},
                                                           {"type": "string", "format": "date-time"},
                                                           {"type": "null"}]})
    outlet: str | None = Field(default=None, description="only this outlet's pages")
    outdated: bool = Field(default=False, description="only articles an older entity stage tagged")


def admin_router(prune: Callable[[], Awaitable[dict]] | None,
                 reprocess: Callable[[datetime | None, str | None, bool], dict] | None,
                 outlets: Callable[[], dict]) -> APIRouter:
    """`prune` runs the retention now and returns its counts; `reprocess` starts a reprocess
    in the background and returns its status (or raises LookupError when one already runs).
    Both None when no daemon runs in the process: 503."""
    router = APIRouter(tags=["service"])

    def unavailable() -> JSONResponse:
        return JSONResponse({"error": "no daemon runs in this process"}, status_code=503)

    @router.post("/prune", response_model=Pruned, responses=errors(401, 403, 503),
                 summary="Apply the retention settings now (admin); `newswatch prune` asks this while the daemon runs")
    async def prune_now():
        if prune is None:
            return unavailable()
        return JSONResponse(await prune())

    @router.post("/reprocess", status_code=202, response_model=ReprocessStarted,
                 responses={**errors(400, 401, 403, 404, 503),
                            409: {"model": Error, "description": "a reprocess is already running"}},
                 summary="Start re-running extraction and entities over the archived pages (admin); "
                         "its counts are logged")
    async def reprocess_now(request: ReprocessRequest | None = None):
        request = request or ReprocessRequest()
        if reprocess is None:
            return unavailable()
        try:
            since = parse_date_param("since", request.since) if request.since is not None else None
        except QueryError as exc:
            return JSONResponse(exc.as_json(), status_code=400)
        if request.outlet and request.outlet not in outlets():
            return JSONResponse({"error": f"no outlet {request.outlet!r}", "parameter": "outlet"}, status_code=404)
        try:
            status = reprocess(since, request.outlet, request.outdated)
        except LookupError as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)
        return JSONResponse(status, status_code=202)

    return router
