"""The search API (FastAPI), assembled from its routers (web.routes, one per resource) and the
page. Every invalid parameter is a 400 with {"error", "parameter"} (web.errors); the handlers call
the same functions as the CLI, so `--json` output and API responses are one.

The OpenAPI document is kept honest: response shapes (web/schemas.py) and the real error
responses are declared on every operation, FastAPI's never-returned 422 is removed, the bearer
scheme is declared, and the suite's schemathesis run checks responses against the document.
Swagger UI and ReDoc are served from packaged assets (fastapi-offline), not a CDN."""
from __future__ import annotations

from fastapi import FastAPI, Request, Security
from fastapi.openapi.utils import get_openapi
from fastapi_offline import FastAPIOffline

from core.version import VERSION
from web.access import BEARER
from web.context import ApiContext
from web.errors import answer_errors_as_json
from web.page import page_router
from web.routes.admin import admin_router
from web.routes.articles import articles_router
from web.routes.outlets import outlets_router
from web.routes.search import search_router
from web.routes.service import health_router, metrics_router
from web.routes.topics import topics_router


def create_app(context: ApiContext) -> FastAPI:
    app = FastAPIOffline(title="newswatch", version=VERSION,
                         description="Search the articles newswatch has collected: keyword and entity search, "
                                     "copies and related reports, outlets, topics.")

    @app.middleware("http")
    async def access_control(request: Request, call_next):
        if context.access is not None:
            refused = context.access.check(request)
            if refused is not None:
                return refused
        return await call_next(request)

    answer_errors_as_json(app)
    # The bearer dependency only documents the key (web.access checks it, before routing). The
    # routers go in the order of the document's sections (its tags), as before the split.
    keyed = [Security(BEARER)]
    for router in (search_router(context), articles_router(context), topics_router(context),
                   outlets_router(context)):
        app.include_router(router, dependencies=keyed)
    app.include_router(health_router(context))  # open: no key, and `security: []` in the document
    for router in (metrics_router(context), admin_router(context)):
        app.include_router(router, dependencies=keyed)
    app.include_router(page_router(context))
    app.openapi = lambda: _openapi(app)
    return app


def _openapi(app: FastAPI) -> dict:
    if app.openapi_schema is None:
        document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        for operations in document["paths"].values():
            for operation in operations.values():
                # Validation problems are answered 400 {"error", "parameter"}, never 422.
                operation["responses"].pop("422", None)
        for name in ("HTTPValidationError", "ValidationError"):
            document.get("components", {}).get("schemas", {}).pop(name, None)
        # Prometheus text, not JSON (the route's errors are JSON, hence no response_class).
        document["paths"]["/metrics"]["get"]["responses"]["200"]["content"] = {
            "text/plain": {"schema": {"type": "string"}}}
        app.openapi_schema = document
    return app.openapi_schema
