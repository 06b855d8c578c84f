"""The daemon, through the API (admin): re-read the configuration; and maintenance that
`newswatch prune`, `reprocess` and `replay` ask while the daemon holds the index, since only the
daemon may write it. Admin handlers are coroutines so they run on the daemon's loop, beside the
scheduler they change; the read-only handlers run on the API's threads, off the loop."""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from index.query import QueryError, parse_date_param
from web.context import ApiContext
from web.errors import error
from web.schemas import Error, Reloaded, errors


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


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    outlet: str | None = Field(default=None, description="only this outlet's quarantined pages")


class Replayed(BaseModel):
    replayed: dict[str, int] = Field(description="quarantined pages owed again, per outlet")


def admin_router(context: ApiContext) -> APIRouter:
    """`context.reload` re-reads the configuration and says whether it could; `context.prune` runs
    the retention now and returns its counts; `context.reprocess` starts a reprocess in the
    background and returns its status (or raises LookupError when one already runs). Each None
    when no daemon runs in the process: 503."""
    router = APIRouter(tags=["service"])

    def unavailable() -> JSONResponse:
        return error(503, "no daemon runs in this process")

    @router.post("/reload", response_model=Reloaded, responses=errors(400, 401, 403, 503),
                 summary="Re-read outlets.toml and topics.toml (admin)")
    async def reload():
        if context.reload is None:
            return unavailable()
        ok, message = context.reload()
        if not ok:
            return error(400, message)
        return JSONResponse({"status": "reloaded", "outlets": sorted(context.outlets())})

    @router.post("/prune", response_model=Pruned, responses=errors(401, 403, 503),
                 summary="Apply the retention settings now (admin); `newswatch prune` asks this while the daemon runs")
    async def prune_now():
        if context.prune is None:
            return unavailable()
        return JSONResponse(await context.prune())

    @router.post("/reprocess", status_code=202, response_model=ReprocessStarted,
                 responses={**errors(400, 401, 403, 404, 503),
                            409: {"model": Error, "description": "a reprocess is already running"}},
                 summary="Start re-running extraction and entities over the archived pages (admin); "
                         "its counts are logged")
    async def reprocess_now(request: ReprocessRequest | None = None):
        request = request or ReprocessRequest()
        if context.reprocess is None:
            return unavailable()
        try:
            since = parse_date_param("since", request.since) if request.since is not None else None
        except QueryError as exc:
            return JSONResponse(exc.as_json(), status_code=400)
        if request.outlet and request.outlet not in context.outlets():
            return JSONResponse({"error": f"no outlet {request.outlet!r}", "parameter": "outlet"}, status_code=404)
        try:
            status = context.reprocess(since, request.outlet, request.outdated)
        except LookupError as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)
        return JSONResponse(status, status_code=202)

    @router.post("/replay", status_code=202, response_model=Replayed, responses=errors(400, 401, 403, 404, 503),
                 summary="Try the quarantined pages again (admin): they are owed again with their attempts back, "
                         "and their outlets' owed pages are processed now; `newswatch replay` asks this while "
                         "the daemon runs")
    async def replay_now(request: ReplayRequest | None = None):
        request = request or ReplayRequest()
        if context.replay is None:
            return unavailable()
        if request.outlet and request.outlet not in context.outlets():
            return JSONResponse({"error": f"no outlet {request.outlet!r}", "parameter": "outlet"}, status_code=404)
        return JSONResponse({"replayed": await context.replay(request.outlet)}, status_code=202)

    return router
