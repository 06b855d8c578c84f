"""The API's response shapes, for the OpenAPI document. Handlers return plain JSON (no model
validation on the hot path); the suite's schemathesis run checks every response against these,
so the document says what is really returned."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Entities(Strict):
    person: list[str]
    org: list[str]
    place: list[str]


class ArticleBase(Strict):
    id: str = Field(description="stable: a hash of the normalised canonical URL")
    url: str = Field(description="as fetched")
    canonical_url: str | None = Field(description="the publisher's canonical form, tracking parameters removed")
    outlet: str = Field(description="the outlet's key in outlets.toml")
    title: str | None
    description: str | None
    authors: list[str]
    published_at: str = Field(description="ISO 8601, UTC: the page's date, else the feed's, else crawled_at")
    published_at_zone: str | None = Field(description="how published_at's zone was known: stated, outlet, page, "
                                                   "utc (assumed), date (no time), crawled (no date)")
    modified_at: str | None
    crawled_at: str
    language: str | None = Field(description="ISO 639-1")
    tags: list[str]
    image_url: str | None
    entities: Entities = Field(description="canonical names of the persons, organisations and places named")
    entities_model: str | None = Field(description="the tagger that produced them; null when none ran")
    story_id: str = Field(description="the story cluster: copies and related reports share it")
    duplicate_of: str | None = Field(description="id of the original this article copies")
    duplicate_count: int = Field(description="copies of this article (on originals)")
    revision: int = Field(description="1, then +1 per content change at the same URL")
    content_hash: str | None
    topics: list[str] = Field(description="keys of the topics this article matched")
    cites: list[str] = Field(description="ids of the reports this one names as its source (\"according to ...\")")
    cited_by: list[str] = Field(description="ids of the reports naming this one as their source")


class Article(ArticleBase):
    text: str | None = Field(description="the article's body")


class Hit(ArticleBase):
    snippet: str = Field(description="the passage that matched, else the opening")


class Bucket(Strict):
    value: str
    count: int


class SearchResult(Strict):
    total: int = Field(description="matching articles (copies left out unless duplicates=include)")
    total_approximate: bool = Field(False, description="the total of a very large result set, by relevance, was "
                                                       "estimated from an even share of it (embedded index); "
                                                       "exact up to 10,000 matches")
    hits: list[Hit]
    facets: dict[str, list[Bucket]] = Field(description="outlet, person, org, place, topic: largest first")
    facets_approximate: bool = Field(False, description="the facets of a very large result set were counted over "
                                                        "an even share of it and scaled (embedded index)")
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last")
    histogram: list[Bucket] | None = Field(None, description="with `histogram=`: matching articles per day, week "
                                                             "(from Monday) or month of publication in `tz`, "
                                                             "oldest first, periods without any left out")


class StoryCopy(Strict):
    id: str
    outlet: str
    title: str | None
    url: str
    published_at: str | None


class StoryReport(StoryCopy):
    cites: list[str] = Field(description="ids of the reports this one names as its source")
    cited_by: list[str] = Field(description="ids of the reports naming this one as their source")
    copies: list[StoryCopy] = Field(description="copies of this report, in time order")


class NameCount(Strict):
    name: str
    count: int = Field(description="reports of the story naming it")


class Story(Strict):
    story_id: str
    first_report: StoryReport | None = Field(description="the earliest published report, copies excluded")
    reports: list[StoryReport] = Field(description="every report in time order, each with its copies")
    outlets: list[str]
    articles: int = Field(description="reports and copies")
    copies: int
    entities: dict[str, list[NameCount]] = Field(description="person, org, place: the names most reports give")
    first_seen: str | None = Field(description="the earliest publication time in the story")
    last_seen: str | None = Field(description="the latest publication time in the story")
    truncated: bool = Field(description="true when the story has more than 2,000 articles and was cut")


class ScoredArticle(ArticleBase):
    score: float = Field(ge=0, le=1)


class Related(Strict):
    original: ScoredArticle | None = Field(
        None, description="only on a copy: the article it copies (also among `duplicates`), null when no longer kept")
    duplicates: list[ScoredArticle] = Field(description="its copies, or for a copy its original and the other copies")
    related: list[ScoredArticle] = Field(description="other outlets' reports of the same story")


class EntityCount(Strict):
    type: str
    name: str
    count: int = Field(description="articles naming it, copies left out")


class EntityList(Strict):
    entities: list[EntityCount]


class SourceStatus(Strict):
    url: str
    kind: str = Field(description="feed or sitemap")
    status: str = Field(description="never, ok, slow, failing or paused")
    interval: float = Field(description="seconds between polls now (it adapts to what the polls bring)")
    next_poll_at: str | None
    last_success_at: str | None
    last_error: str | None
    last_error_at: str | None
    paused_reason: str | None
    failure_score: float
    new_items_per_day: float = Field(description="new items found per day over the last week")


class QuarantinedPage(Strict):
    url: str
    attempts: int
    last_error: str | None
    quarantined_at: str


class OutletStatus(Strict):
    model_config = ConfigDict(extra="allow")  # source health fields vary with the backend
    key: str
    name: str
    last_poll_at: str | None
    status: str = Field(description="never, ok, error (the last poll read no feed or sitemap), degraded (some of "
                                    "its sources are failing or paused: see failing_sources), or stale")
    articles: int
    errors: int
    last_error: str | None
    last_error_at: str | None = None
    articles_per_day: list[int] = Field(default_factory=list, description="new articles per day, last 7 days, today last")
    volume_drop: str | None = Field(default=None, description="the open volume-drop notice, if any")
    failing_sources: list[dict] = Field(default_factory=list,
                                        description="each source failing or paused now: url, status, error")
    sources: list[SourceStatus] = Field(default_factory=list)
    owed: int = Field(default=0, description="pages fetched and not stored yet, waiting for their next try")
    quarantined: int = Field(default=0, description="pages that failed NEWSWATCH_PAGE_ATTEMPTS tries; "
                                                    "`newswatch replay` tries them again")
    quarantine: list[QuarantinedPage] = Field(default_factory=list,
                                              description="the most recent quarantined pages (at most 20)")


class Health(Strict):
    model_config = ConfigDict(extra="allow")
    status: str = Field(description="ok, or degraded (then `reasons` says why)")
    reasons: list[str]
    index: str
    index_status: str
    articles: int | None
    outlets: int
    crawling: list[str]


class TopicStatus(Strict):
    key: str
    name: str
    query: str
    entities: list[str]
    outlets: list[str]
    notify: list[str]
    digest: str | None
    matches: int
    last_match_at: str | None
    pending_deliveries: int
    last_delivery_error: str | None


class Match(ArticleBase):
    matched_at: str


class TopicMatches(Strict):
    total: int
    matches: list[Match]
    next_cursor: str | None


class Scheduled(Strict):
    status: str
    outlet: str


class Reloaded(Strict):
    status: str
    outlets: list[str]


class Error(Strict):
    error: str = Field(description="what was wrong, in one line")
    parameter: str | None = Field(default=None, description="the parameter at fault, when one was")


def errors(*statuses: int) -> dict:
    """The documented error responses of an operation."""
    meaning = {400: "an invalid parameter (named in `parameter`)", 401: "no valid API key",
               403: "an admin key is needed", 404: "not found", 429: "too many searches; see Retry-After",
               503: "the index or the crawler is unavailable now"}
    return {status: {"model": Error, "description": meaning[status]} for status in statuses}
