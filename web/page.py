"""The search page: the same search function as `/search` (one code path), rendered as HTML.
No JavaScript, no assets from the internet; the query string is /search's."""
from __future__ import annotations

from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from core.dates import duration_text
from index.query import QueryError
from index.search import run_search
from web.chart import bar_chart, sparkline
from web.context import ApiContext
from web.exports import export_links
from web.story import related_articles, story_view
from web.templating import TEMPLATES, key_form

FILTER_PARAMETERS = ("entity", "outlet", "topic", "language", "since", "until")


def _link(pairs: list[tuple[str, str]]) -> str:
    return "/?" + urlencode(pairs) if pairs else "/"


def page_router(context: ApiContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    threaded = context.threaded

    def outlet_names() -> dict:
        return {key: outlet.name for key, outlet in context.outlets().items()}

    def params_dict(pairs):
        values: dict = {}
        for name, value in pairs:
            values.setdefault(name, []).append(value)
        return {k: (v if k in ("entity", "outlet", "topic") else v[0]) for k, v in values.items()}

    @router.get("/", response_class=HTMLResponse)
    @threaded
    def search_page(request: Request):
        pairs = [(k, v) for k, v in request.query_params.multi_items() if v != ""]
        result, error, status = None, None, 200
        # Attention over time is drawn for every search: by week unless the URL says otherwise.
        period = next((v for k, v in pairs if k == "histogram"), "week")
        searched = pairs if any(k == "histogram" for k, _ in pairs) else pairs + [("histogram", "week")]
        try:
            # The API's parser, names checked as there: what /search refuses, the page shows as refused.
            result = run_search(context.backend, context.parse_search(searched), context.cursors)
        except QueryError as exc:
            error, status = exc.as_json(), 400
        base = [(k, v) for k, v in pairs if k != "cursor"]
        facet_links = {}
        if result:
            for name, buckets in result["facets"].items():
                key = name if name in ("outlet", "topic") else "entity"
                facet_links[name] = {b["value"]: _link(base + [(key, b["value"] if key != "entity" else f"{name}:{b['value']}")])
                                     for b in buckets}
        filters = [(f"{k}: {v}", _link([p for p in base if p != (k, v)])) for k, v in base if k in FILTER_PARAMETERS]
        return TEMPLATES.TemplateResponse(request, "search.html", {
            "params": params_dict(pairs), "result": result, "error": error, "filters": filters,
            "facet_links": facet_links, "outlet_names": outlet_names(), "exports": export_links(base),
            "chart": bar_chart(result["histogram"], f"matching articles per {period}") if result else "",
            "period": period,
            "next_link": _link(base + [("cursor", result["next_cursor"])]) if result and result["next_cursor"] else None,
            "topics": context.alerts.status() if context.alerts is not None else [],
        }, status_code=status)

    @router.get("/page/articles/{article_id}", response_class=HTMLResponse)
    @threaded
    def article_page(request: Request, article_id: str):
        article = context.backend.get(article_id)
        if article is None:
            return HTMLResponse("<!DOCTYPE html><title>Not found</title><p>No such article. <a href='/'>Search</a></p>",
                                status_code=404)
        return TEMPLATES.TemplateResponse(request, "article.html", {
            "params": {}, "article": article, "paragraphs": [p for p in (article.get("text") or "").split("\n") if p],
            "related": related_articles(context.backend, context.state, article), "outlet_names": outlet_names()})

    @router.get("/page/stories/{story_id}", response_class=HTMLResponse)
    @threaded
    def story_page(request: Request, story_id: str):
        story = story_view(context.backend, story_id)
        if story is None:
            return HTMLResponse("<!DOCTYPE html><title>Not found</title><p>No such story. <a href='/'>Search</a></p>",
                                status_code=404)
        titles = {r["id"]: r["title"] or r["url"] for r in story["reports"]}
        return TEMPLATES.TemplateResponse(request, "story.html", {
            "params": {}, "story": story, "titles": titles, "outlet_names": outlet_names()})

    @router.get("/page/sources", response_class=HTMLResponse)
    @threaded
    def sources_page(request: Request):
        outlets = context.outlets_report()
        for outlet in outlets:
            outlet["sparkline"] = sparkline(outlet.get("articles_per_day") or [],
                                            f"new articles per day, last 7 days, {outlet['key']}")
            for source in outlet.get("sources") or []:
                source["every"] = duration_text(source["interval"])
        return TEMPLATES.TemplateResponse(request, "sources.html", {"params": {}, "outlets": outlets,
                                                                    "health": context.health()["reasons"]})

    @router.post("/login")
    async def login(request: Request):
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        key, target = (form.get("key") or [""])[0], (form.get("next") or ["/"])[0]
        if not target.startswith("/") or target.startswith("//"):
            target = "/"
        access = context.access
        if access is None or not access.valid(key):
            return key_form(request, target, wrong=True)
        response = RedirectResponse(target, status_code=303)
        # Secure behind HTTPS (uvicorn takes the scheme from X-Forwarded-Proto of a trusted proxy).
        response.set_cookie("newswatch_key", key, httponly=True, samesite="strict", max_age=90 * 86400,
                            secure=request.url.scheme == "https")
        return response

    return router
