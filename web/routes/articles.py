"""One article, its copies and related reports, and a whole story."""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from web import schemas
from web.context import ApiContext
from web.errors import error
from web.routes.parameters import ARTICLE_ID, STORY_ID
from web.story import related_articles, story_view


def articles_router(context: ApiContext) -> APIRouter:
    router = APIRouter(tags=["articles"])
    threaded = context.threaded

    @router.get("/stories/{story_id}", response_model=schemas.Story, responses=schemas.errors(401, 404, 429, 503),
                summary="A story: first report, followers in time order, copies, citations")
    @threaded
    def story(story_id: STORY_ID):
        """Every report of the story in time order with the copies of each and who cites whom, the
        first report (earliest published, copies excluded), the names it is about, first and last seen."""
        found = story_view(context.backend, story_id)
        if found is None:
            return error(404, f"no story with id {story_id!r}")
        return JSONResponse(found)

    @router.get("/articles/{article_id}", response_model=schemas.Article, responses=schemas.errors(401, 404, 503),
                summary="One article, whole")
    @threaded
    def article(article_id: ARTICLE_ID):
        found = context.backend.get(article_id)
        if found is None:
            return error(404, f"no article with id {article_id!r}")
        return JSONResponse(found)

    @router.get("/articles/{article_id}/related", response_model=schemas.Related,
                responses=schemas.errors(401, 404, 503), summary="Its copies and other outlets' reports")
    @threaded
    def related(article_id: ARTICLE_ID):
        """The article's copies (or, for a copy, its original and the other copies) and other
        outlets' reports of the same story, each with a score in 0..1, best first."""
        article = context.backend.get(article_id)
        if article is None:
            return error(404, f"no article with id {article_id!r}")
        return JSONResponse(related_articles(context.backend, context.state, article))

    return router
