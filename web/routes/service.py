"""`/health` (always open) and `/metrics` (Prometheus text)."""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from web import schemas
from web.context import ApiContext


class StateCollector:
    """The outlets' report and /health as Prometheus metrics, read at each scrape."""

    def __init__(self, context: ApiContext):
        self.context = context

    def collect(self):
        report = self.context.outlets_report()
        articles = GaugeMetricFamily("newswatch_articles", "Articles indexed, by outlet", labels=["outlet"])
        errors = CounterMetricFamily("newswatch_crawl_errors", "Crawl errors, by outlet", labels=["outlet"])
        filtered = CounterMetricFamily("newswatch_filtered_items", "Feed items skipped by the outlet filter",
                                       labels=["outlet"])
        for row in report:
            articles.add_metric([row["key"]], row["articles"])
            errors.add_metric([row["key"]], row["errors"])
            filtered.add_metric([row["key"]], row["filtered"])
        yield articles
        yield errors
        yield filtered
        health = self.context.health()
        yield GaugeMetricFamily("newswatch_degraded", "1 when /health says degraded (its reasons say why)",
                                value=int(health["status"] != "ok"))
        if health["articles"] is not None:
            yield GaugeMetricFamily("newswatch_index_documents", "Documents in the index", value=health["articles"])
        waiting = health["backlog"].get("elasticsearch_outbox", {}).get("waiting")
        if waiting is not None:
            yield GaugeMetricFamily("newswatch_outbox_waiting", "Articles waiting for Elasticsearch", value=waiting)


def health_router(context: ApiContext) -> APIRouter:
    router = APIRouter(tags=["service"])

    @router.get("/health", response_model=schemas.Health, summary="Serving, and how well",
                openapi_extra={"security": []})
    @context.threaded
    def health():
        """200 while serving: `ok`, or `degraded` with the reasons (outlets failing for longer than
        3 intervals, a growing Elasticsearch backlog, an unreachable index)."""
        return JSONResponse(context.health())

    return router


def metrics_router(context: ApiContext) -> APIRouter:
    router = APIRouter(tags=["service"])
    registry = CollectorRegistry()
    registry.register(StateCollector(context))

    @router.get("/metrics", responses=schemas.errors(401), summary="Prometheus metrics")
    @context.threaded
    def metrics():
        return PlainTextResponse(generate_latest(registry).decode("utf-8"), media_type="text/plain; version=0.0.4")

    return router
