"""The page's templates, and the form that asks for an API key (shown by the page and by access
control when a page is asked for without one)."""
from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def key_form(request: Request, next_path: str, wrong: bool = False) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, "key.html", {"params": {}, "next": next_path, "wrong": wrong},
                                      status_code=401)
