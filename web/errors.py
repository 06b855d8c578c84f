"""Every error the API answers is JSON, `{"error"}` plus `"parameter"` for an invalid one: a
validation problem is a 400 (never FastAPI's 422), an unreachable index a 503, anything else a
500 that says nothing more."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from index.protocol import BackendUnavailable
from index.query import QueryError

logger = logging.getLogger("web.api")  # the API's log, named as before the routers were split out


def error(status: int, message: str, parameter: str | None = None) -> JSONResponse:
    body = {"error": message}
    if parameter is not None:
        body["parameter"] = parameter
    return JSONResponse(body, status_code=status)


def answer_errors_as_json(app: FastAPI) -> None:
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
