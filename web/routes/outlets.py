"""The outlets' health, and a poll now (admin)."""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from web import schemas
from web.context import ApiContext
from web.errors import error
from web.routes.parameters import OUTLET_KEY


def outlets_router(context: ApiContext) -> APIRouter:
    router = APIRouter(tags=["outlets"])

    @router.get("/outlets", response_model=list[schemas.OutletStatus], responses=schemas.errors(401),
                summary="Every outlet's health")
    @context.threaded
    def outlets():
        return JSONResponse(context.outlets_report())

    # A coroutine, like every admin handler (web.routes.admin): it runs on the daemon's loop,
    # beside the scheduler it changes; the read-only handlers run on the API's threads.
    @router.post("/outlets/{key}/crawl", status_code=202, response_model=schemas.Scheduled,
                 responses=schemas.errors(401, 403, 404, 503), summary="Poll an outlet now (admin)")
    async def crawl(key: OUTLET_KEY):
        if key not in context.outlets():
            return error(404, f"no outlet {key!r}")
        if context.trigger_crawl is None:
            return error(503, "no crawler runs in this process")
        context.trigger_crawl(key)
        return JSONResponse({"status": "scheduled", "outlet": key}, status_code=202)

    return router
