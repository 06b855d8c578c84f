from __future__ import annotations

from datetime import datetime, timedelta

from crawler.names import cached_names
from crawler.pipelines import Stage
from crawler.stories import candidates_query, related_score, term_counts


class RelatedPipeline(Stage):
    """Links an original to other outlets' reports of the same event (shared names and words within
    the window): they join the earlier story."""

    def process_item(self, item):
        service, article = self.crawler.spider.service, item.article
        if article.get("duplicate_of") or not article.get("published_at"):
            return item
        service.state.count_terms(set(term_counts(article["text"])))
        names_file = service.config["NEWSWATCH_NAMES"]
        countries = cached_names(str(names_file) if names_file else None).countries
        when = datetime.fromisoformat(article["published_at"].replace("Z", "+00:00"))
        window = timedelta(days=service.config["NEWSWATCH_RELATED_WINDOW_DAYS"])
        query = candidates_query(article, when - window, when + window)
        if query is None:
            return item
        try:
            hits = service.backend.search(query)["hits"]
        except Exception as exc:  # a query built from names the parser rejects: no links, no loss
            self.crawler.spider.record_error(item.url, f"related search failed: {exc}")
            return item
        related = []
        for hit in hits:
            if hit["outlet"] == article["outlet"] or hit["id"] == article["id"]:
                continue
            other = service.article_now(hit["id"])
            if other is None:
                continue
            score, is_related = related_score(article, other, countries, service.state.idf)
            if is_related:
                service.state.link(article["id"], hit["id"], "related", score)
                related.append(hit)
        earlier = [h for h in related if (h["published_at"] or "") <= article["published_at"]]
        if earlier:
            first = min(earlier, key=lambda h: h["published_at"] or "")
            article["story_id"] = first["story_id"] or first["id"]
        for hit in related:
            if (hit["published_at"] or "") > article["published_at"] and hit["story_id"] != article["story_id"]:
                # A later report crawled first: it (and its copies) join this earlier story.
                for member_id in [hit["id"], *(c for c, _ in service.state.copies_of(hit["id"]))]:
                    member = service.article_now(member_id)
                    if member is not None:
                        member["story_id"] = article["story_id"]
                        service.update_article(member)
        return item
