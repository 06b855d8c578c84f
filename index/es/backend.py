"""The Elasticsearch backend (Elasticsearch 9, the official client and its bundled DSL).

Layout: one versioned index `<prefix>articles-v<N>` behind the alias `<prefix>articles`, created
from the index template `<prefix>articles` (mapping: mapping.json, `dynamic: strict`). No
rollover and no data stream: articles are updated in place. A schema change bumps
SCHEMA_VERSION; `newswatch migrate` reindexes into the new version and swaps the alias.

Writes go through the outbox (index/outbox.py) and reach Elasticsearch by bulk requests, so
nothing is lost while the cluster is down or rejecting."""
from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

from elasticsearch import (ApiError, AuthorizationException, BadRequestError, Elasticsearch, NotFoundError,
                           TransportError, helpers)
from elasticsearch.dsl import Search

from core.article import completed
from core.statedb import StateDB
from index.analysis import ANALYSED_FIELDS, ANALYSERS, analysed_field_values, rewrite_query
from index.matching import topics_matching
from index.outbox import Outbox
from index.protocol import BackendUnavailable
from index.query import EntitiesQuery, QueryError, SearchQuery, top_entities

logger = logging.getLogger(__name__)

# 1: newswatch 0.1. 2: `<field>_<language>` twins analysed for their language (Korean: nori).
SCHEMA_VERSION = 2
MAPPING_FILE = Path(__file__).parent / "mapping.json"
# The analysed languages (index.analysis's table, Elasticsearch side): each a plugin analyser and
# the built-in one used when the cluster lacks the plugin (checked when the index is created).
# An article in one of these languages is indexed with `<field>_<language>` copies of its title,
# description and text, analysed by the language's analyser. A cluster with neither (no
# analysis-common either) gets the twins analysed here, by index.analysis (as the embedded
# index does): their terms joined by spaces, split by the `whitespace` analyser.
LANGUAGE_ANALYZERS = {
    "ko": {"plugin": "analysis-nori",
           "analyzer": {"type": "custom", "tokenizer": "nori_mixed",
                        "filter": ["nori_part_of_speech", "nori_readingform", "lowercase"]},
           "tokenizer": {"nori_mixed": {"type": "nori_tokenizer", "decompound_mode": "mixed"}},
           "fallback": {"type": "cjk"}},
}
# The modules and plugins the backend uses, and what it does on a cluster without each (managed
# clusters disable scripting; restricted ones lack modules): README, "Elasticsearch".
OPTIONAL_MODULES = {
    "analysis-common": "English text is analysed by the standard analyser (no stemming, no stop words) and "
                       "entity names only lower-cased (not accent-folded)",
    "analysis-nori": "Korean text is analysed by the cjk analyser (bigrams)",
    "percolator": "topics are matched by newswatch against each new article (index.matching)",
    "lang-painless": "`newswatch migrate` copies the articles through the client (scroll + bulk)",
    "reindex": "`newswatch migrate` copies the articles through the client (scroll + bulk)",
}
KOREAN_ANALYSED_HERE = "Korean text is analysed by newswatch (mecab-ko, as the embedded index) before indexing"
# Assumed when the cluster does not say (nodes info refused to the credentials): the default
# distribution's modules, no plugins.
DEFAULT_MODULES = frozenset({"analysis-common", "percolator", "lang-painless", "reindex"})
TWIN_FIELDS = [f"{name}_{language}" for language in LANGUAGE_ANALYZERS for name in ANALYSED_FIELDS]
QUERY_FIELDS = ["title^2", "description", "text", "authors.text", "outlet", "language", "tags", "url"] + \
    [f"{name}^2" if name.startswith("title_") else name for name in TWIN_FIELDS]
FACET_FIELDS = {"outlet": "outlet", "person": "entities.person", "org": "entities.org", "place": "entities.place",
                "topic": "topics"}
SNIPPET_CHARS = 240
PIT_KEEP_ALIVE = "5m"
BULK_BATCH = 500
ENTITY_BUCKETS = 10_000  # names per type considered before the prefix and size cut
RETRY_SECONDS = 30  # the courier retries the outbox this often while anything waits
# Reads answer a person or the crawl: they wait less, and once the cluster has failed to answer
# they fail at once for a while instead of each waiting out its own timeout.
READ_TIMEOUT_SECONDS = 10
UNAVAILABLE_SECONDS = 30


def make_client(config) -> Elasticsearch:
    options: dict = {"retry_on_status": (429, 502, 503, 504), "max_retries": 3, "retry_on_timeout": True,
                     "request_timeout": 30}
    if config["ELASTICSEARCH_API_KEY"]:
        options["api_key"] = config["ELASTICSEARCH_API_KEY"]
    elif config["ELASTICSEARCH_USERNAME"]:
        options["basic_auth"] = (config["ELASTICSEARCH_USERNAME"], config["ELASTICSEARCH_PASSWORD"] or "")
    if config["ELASTICSEARCH_CA_CERT"]:
        options["ca_certs"] = str(config["ELASTICSEARCH_CA_CERT"])
    return Elasticsearch(config["ELASTICSEARCH_URL"], **options)


def index_body(shards: int, replicas: int, modules: set[str] | None = None) -> dict:
    """The mapping and settings for a cluster with `modules` (its modules and plugins; None:
    every one). `mappings._meta.analysis` records how each analysed language is analysed
    (`plugin`, `fallback`, or `newswatch` for twins analysed before indexing)."""
    body = json.loads(MAPPING_FILE.read_text())
    body["settings"]["index"] = {"number_of_shards": shards, "number_of_replicas": replicas}
    analysis = body["settings"]["analysis"]
    properties = body["mappings"]["properties"]
    common = modules is None or "analysis-common" in modules
    if not common:
        for field in properties.values():
            if field.get("analyzer") == "english":
                field["analyzer"] = "standard"
        analysis["normalizer"]["folded"]["filter"] = ["lowercase"]  # asciifolding is analysis-common's
    modes = {}
    for language, spec in LANGUAGE_ANALYZERS.items():
        if modules is None or spec["plugin"] in modules:
            modes[language] = "plugin"
            analysis.setdefault("analyzer", {})[f"text_{language}"] = spec["analyzer"]
            analysis.setdefault("tokenizer", {}).update(spec["tokenizer"])
        elif common:
            modes[language] = "fallback"
            analysis.setdefault("analyzer", {})[f"text_{language}"] = spec["fallback"]
        else:
            modes[language] = "newswatch"
        analyzer = "whitespace" if modes[language] == "newswatch" else f"text_{language}"
        for name in ANALYSED_FIELDS:
            properties[f"{name}_{language}"] = {"type": "text", "analyzer": analyzer}
    body["mappings"]["_meta"] = {"analysis": modes, "english": "english" if common else "standard"}
    return body


def es_document(article: dict, analysed_here: frozenset[str] = frozenset()) -> dict:
    """The article as indexed: with its analysed twins when its language has an analyser (their
    terms, made here, for the languages in `analysed_here`)."""
    language = article.get("language")
    if language not in LANGUAGE_ANALYZERS:
        return article
    if language in analysed_here and language in ANALYSERS:
        return {**article, **analysed_field_values(article)}
    return {**article, **{f"{name}_{language}": article[name] for name in ANALYSED_FIELDS if article.get(name)}}


def from_source(source: dict) -> dict:
    return completed({k: v for k, v in source.items() if k not in TWIN_FIELDS})


class ElasticsearchBackend:
    def __init__(self, client: Elasticsearch, outbox: Outbox, prefix: str = "newswatch-", shards: int = 1,
                 replicas: int = 1):
        self.client = client
        self.outbox = outbox
        self.prefix = prefix
        self.alias = f"{prefix}articles"
        self.index_name = f"{prefix}articles-v{SCHEMA_VERSION}"
        self.shards, self.replicas = shards, replicas
        self._ready = False
        self._delivering = threading.Lock()
        self._wake = threading.Event()
        self._closing = False
        self._courier: threading.Thread | None = None

        self._unavailable_until = 0.0
        self._unavailable_reason = ""
        self._twins = True  # documents carry their language twins (False on an older index)
        self._analysed_here: frozenset[str] = frozenset()  # languages whose twins this process analyses
        self._modules: frozenset[str] | None = None

    @classmethod
    def from_config(cls, config, db: StateDB | None = None) -> "ElasticsearchBackend":
        return cls(make_client(config), Outbox(db or StateDB(config["NEWSWATCH_DATA_DIR"] / "state.sqlite3")),
                   prefix=config["ELASTICSEARCH_INDEX_PREFIX"], shards=config["ELASTICSEARCH_SHARDS"],
                   replicas=config["ELASTICSEARCH_REPLICAS"])

    # --- reads that fail fast while the cluster does not answer ---
    @property
    def reader(self) -> Elasticsearch:
        if time.monotonic() < self._unavailable_until:
            raise BackendUnavailable(f"Elasticsearch did not answer a moment ago: {self._unavailable_reason}")
        return self.client.options(request_timeout=READ_TIMEOUT_SECONDS, max_retries=1)

    def _unreachable(self, exc: Exception) -> BackendUnavailable:
        self._unavailable_until = time.monotonic() + UNAVAILABLE_SECONDS
        self._unavailable_reason = str(exc)[:200]
        return BackendUnavailable(str(exc))

    # --- layout ---
    def modules(self) -> frozenset[str]:
        """The modules and plugins every node of the cluster has (an analyser must exist on all
        of them); read once."""
        if self._modules is None:
            try:
                client = self.client.options(request_timeout=READ_TIMEOUT_SECONDS, max_retries=1)
                nodes = client.nodes.info(metric="plugins").get("nodes", {}).values()
            except AuthorizationException as exc:
                logger.warning("Elasticsearch does not list its modules to these credentials (%s): assuming the "
                               "default distribution's", exc.message)
                self._modules = DEFAULT_MODULES
                return self._modules
            sets = [{item["name"] for kind in ("plugins", "modules") for item in node.get(kind, [])}
                    for node in nodes]
            self._modules = frozenset(set.intersection(*sets) if sets else set())
        return self._modules

    def reduced_mode(self) -> list[str]:
        """What this cluster's missing modules cost (empty: nothing), one line each; [] when the
        cluster cannot be asked now."""
        try:
            modules = self.modules()
        except (ApiError, TransportError) as exc:
            logger.info("could not list the cluster's modules: %s", exc)
            return []
        lines = []
        for name, consequence in OPTIONAL_MODULES.items():
            if name not in modules:
                if name == "analysis-nori" and "analysis-common" not in modules:
                    consequence = KOREAN_ANALYSED_HERE
                lines.append(f"no {name}: {consequence}")
        return lines

    def ensure_index(self) -> None:
        """Template, index and alias; safe to run any number of times, by several processes."""
        modules = self.modules()
        for line in self.reduced_mode():
            logger.warning("Elasticsearch reduced mode, %s (see README, Elasticsearch)", line)
        body = index_body(self.shards, self.replicas, set(modules))
        self.client.indices.put_index_template(
            name=self.alias, index_patterns=[f"{self.prefix}articles-v*"], priority=100,
            template={"settings": body["settings"], "mappings": body["mappings"]},
            meta={"managed_by": "newswatch", "schema_version": SCHEMA_VERSION})
        if not self.client.indices.exists_alias(name=self.alias):
            self._create_index(self.index_name)
            self.client.indices.update_aliases(actions=[{"add": {"index": self.index_name, "alias": self.alias}}])
        elif self.alias_target() == [self.index_name]:
            # Fields added since the index was made (cites, cited_by): a strict mapping refuses
            # documents with fields it lacks; adding fields needs no reindex.
            self.client.indices.put_mapping(index=self.alias, properties=body["mappings"]["properties"])
        else:
            # An index of an older schema: its settings lack the language analysers, so its
            # documents go without twins until `newswatch migrate` moves to this version.
            logger.warning("the index behind %s is not %s: run `newswatch migrate` for language analysis",
                           self.alias, self.index_name)
            self.client.indices.put_mapping(index=self.alias, properties={
                k: v for k, v in body["mappings"]["properties"].items() if k not in TWIN_FIELDS})
            self._twins = False
        self._analysed_here = self._analysis_of(self.alias)
        self._ready = True

    def _analysis_of(self, index: str) -> frozenset[str]:
        """The languages whose twins are analysed here for `index` (its mapping's _meta)."""
        mappings = self.client.indices.get_mapping(index=index)
        metas = [m["mappings"].get("_meta", {}).get("analysis", {}) for m in mappings.values()]
        return frozenset(language for meta in metas for language, mode in meta.items() if mode == "newswatch")

    def _document(self, doc: dict) -> dict:
        return es_document(doc, self._analysed_here) if self._twins else doc

    def _create_index(self, name: str) -> None:
        try:
            self.client.indices.create(index=name)
        except BadRequestError as exc:
            if exc.error != "resource_already_exists_exception":
                raise

    def alias_target(self) -> list[str]:
        return sorted(self.client.indices.get_alias(name=self.alias))

    def migrate(self) -> dict:
        """Reindexes the alias's current index into this version's index and swaps the alias."""
        self.ensure_index()
        current = self.alias_target()
        if current == [self.index_name]:
            return {"index": self.index_name, "migrated": False}
        self._create_index(self.index_name)
        target_analysed_here = self._analysis_of(self.index_name)
        modules = self.modules()
        if target_analysed_here or not {"lang-painless", "reindex"} <= modules:
            copied = self._copy_through_client(current, self.index_name, target_analysed_here)
        else:
            copied = self._reindex_in_cluster(self.index_name)
        actions = [{"remove": {"index": name, "alias": self.alias}} for name in current]
        actions.append({"add": {"index": self.index_name, "alias": self.alias}})
        self.client.indices.update_aliases(actions=actions)
        self._twins, self._analysed_here = True, target_analysed_here
        return {"index": self.index_name, "migrated": True, "from": current, "copied": copied}

    def _copy_through_client(self, sources: list[str], target: str, analysed_here: frozenset[str]) -> int:
        """Without painless or reindex (or with twins analysed here): every document read by a
        scroll and written by bulk requests, ids kept, so a copy run twice is harmless."""
        logger.warning("migrating %s into %s through the client (scroll + bulk)", sources, target)
        hits = helpers.scan(self.client, index=",".join(sources), size=BULK_BATCH, query={"query": {"match_all": {}}},
                            scroll="5m", preserve_order=False)
        actions = ({"_op_type": "index", "_index": target, "_id": hit["_id"],
                    "_source": es_document(from_source(hit["_source"]), analysed_here)} for hit in hits)
        copied, errors = helpers.bulk(self.client, actions, chunk_size=BULK_BATCH, max_retries=3,
                                      raise_on_error=False, stats_only=False)
        if errors:
            raise RuntimeError(f"{len(errors)} articles could not be copied into {target}, e.g. {errors[0]}; "
                               "the alias was not moved")
        self.client.indices.refresh(index=target)
        return copied

    def _reindex_in_cluster(self, target: str) -> int:
        # The twins of analysed languages are made on the way, as es_document makes them.
        copy = " ".join(f"if (ctx._source.language == '{language}') {{ "
                        + " ".join(f"if (ctx._source.{name} != null) {{ ctx._source.{name}_{language} = ctx._source.{name}; }}"
                                   for name in ANALYSED_FIELDS) + " }"
                        for language in LANGUAGE_ANALYZERS)
        result = self.client.reindex(source={"index": self.alias}, dest={"index": target},
                                     script={"source": copy, "lang": "painless"},
                                     wait_for_completion=True, refresh=True)
        return result.get("total")

    # --- writing ---
    def upsert(self, article: dict) -> None:
        self.outbox.put(article)

    def commit(self) -> None:
        """Every upsert is already durable in the outbox; delivery happens on the courier thread,
        so a slow or absent cluster never stalls the caller (the daemon's event loop)."""
        if self._courier is None:
            self._courier = threading.Thread(target=self._courier_loop, name="es-courier", daemon=True)
            self._courier.start()
        self._wake.set()

    def _courier_loop(self) -> None:
        while not self._closing:
            self._wake.wait(RETRY_SECONDS)
            self._wake.clear()
            if not self._closing:
                self.flush_backlog()

    def flush_backlog(self) -> int:
        """Delivers what waits in the outbox; returns how many articles Elasticsearch acknowledged."""
        with self._delivering:
            return self._deliver()

    def _deliver(self) -> int:
        delivered = 0
        try:
            if not self._ready:
                self.ensure_index()
            while True:
                batch = self.outbox.pending(BULK_BATCH)
                if not batch:
                    break
                sent = self._bulk(batch)
                delivered += sent
                if sent < len(batch):
                    break
            if delivered:
                self.client.indices.refresh(index=self.alias)
        except TransportError as exc:  # unreachable: everything stays in the outbox
            logger.warning("Elasticsearch unavailable, %d articles wait in the outbox: %s",
                           self.outbox.backlog()["waiting"], exc)
        except ApiError as exc:
            logger.warning("Elasticsearch refused the write, articles wait in the outbox: %s", exc)
        return delivered

    def _bulk(self, batch: list[tuple[str, str, dict]]) -> int:
        entries = {article_id: (article_id, op, doc) for article_id, op, doc in batch}
        actions = ({"_op_type": "index", "_index": self.alias, "_id": article_id, "_source": self._document(doc)}
                   if op == "index"
                   else {"_op_type": "delete", "_index": self.alias, "_id": article_id}
                   for article_id, op, doc in batch)
        ok_ids, retry_ids, rejected = [], [], []
        # 429s are retried here with backoff; 502-504 and timeouts by the client's transport.
        for ok, item in helpers.streaming_bulk(self.client, actions, max_retries=3, initial_backoff=1,
                                               max_backoff=30, raise_on_error=False, raise_on_exception=True):
            op, info = next(iter(item.items()))
            if ok or (op == "delete" and info.get("status") == 404):  # deleting what is gone is done
                ok_ids.append(info["_id"])
            elif info.get("status", 500) in (429, 502, 503, 504) or info.get("status", 500) >= 500:
                retry_ids.append((info["_id"], str(info.get("error"))))
            else:
                rejected.append((info["_id"], str(info.get("error"))))
        self.outbox.delivered([entries[i] for i in ok_ids])
        for article_id, error in retry_ids:
            self.outbox.failed([article_id], error)
        for article_id, error in rejected:
            logger.error("Elasticsearch rejected article %s: %s", article_id, error)
            self.outbox.failed([article_id], error, rejected=True)
        return len(ok_ids)

    def backlog(self) -> dict:
        report = {"elasticsearch_outbox": self.outbox.backlog()}
        if self._modules is not None and self.reduced_mode():  # known once the cluster was asked
            report["elasticsearch_reduced_mode"] = self.reduced_mode()
        return report

    def delete(self, article_ids: list[str]) -> None:
        for article_id in article_ids:
            self.outbox.delete(article_id)

    def close(self) -> None:
        """A last delivery attempt; what still waits stays in the outbox for the next start."""
        self._closing = True
        self._wake.set()
        if self._courier is not None:
            self._courier.join(timeout=60)
        self.flush_backlog()
        self.client.close()

    # --- topics: a percolator index of the topic queries ---
    @property
    def topics_index(self) -> str:
        return f"{self.prefix}topics-v{SCHEMA_VERSION}"

    def sync_topics(self, topics: dict) -> None:
        """The topics as percolator queries, translated by the same code as searches."""
        body = index_body(self.shards, self.replicas, set(self.modules()))
        body["mappings"]["properties"].update(query={"type": "percolator"}, topic={"type": "keyword"})
        try:
            self.client.indices.create(index=self.topics_index, settings=body["settings"], mappings=body["mappings"])
        except BadRequestError as exc:
            if exc.error != "resource_already_exists_exception":
                raise
        actions = [{"_op_type": "index", "_index": self.topics_index, "_id": key,
                    "_source": {"topic": key, "query": self.topic_query(topic)}} for key, topic in topics.items()]
        helpers.bulk(self.client, actions, refresh=True)
        self.client.delete_by_query(index=self.topics_index, refresh=True,
                                    query={"bool": {"must_not": [{"terms": {"topic": sorted(topics)}}]}})
        self._percolating = topics

    def topic_query(self, topic) -> dict:
        query = SearchQuery(q=topic.query, entities=topic.entities, outlets=topic.outlets, include_duplicates=True,
                            facets=(), size=0)
        return self.build_search(query).to_dict().get("query", {"match_all": {}})

    def match_topics(self, article: dict, topics: dict) -> list[str]:
        if not topics:
            return []
        if "percolator" not in self.modules():  # matched here, exactly as the embedded backend does
            return topics_matching(article, topics)
        if getattr(self, "_percolating", None) is not topics:
            self.sync_topics(topics)
        response = self.reader.search(index=self.topics_index, size=len(topics), source=["topic"],
                                      query={"percolate": {"field": "query",
                                                           "document": es_document(article, self._analysed_here)}})
        return sorted(hit["_source"]["topic"] for hit in response["hits"]["hits"])

    # --- reading ---
    def get(self, article_id: str) -> dict | None:
        waiting = self.outbox.get(article_id)  # newer than what the cluster holds, or not there yet
        if waiting is not None:
            op, doc = waiting
            return doc if op == "index" else None
        try:
            return from_source(self.reader.get(index=self.alias, id=article_id)["_source"])
        except NotFoundError:
            return None
        except TransportError as exc:
            raise self._unreachable(exc) from None

    def articles(self, start: int = 0, batch: int = 500):
        """Every article, whole (for rebuilding what is derived from the texts)."""
        try:
            for position, hit in enumerate(helpers.scan(self.client, index=self.alias, size=batch,
                                                        query={"query": {"match_all": {}}}), start=1):
                if position > start:
                    yield position, from_source(hit["_source"])
        except NotFoundError:
            return
        except TransportError as exc:
            raise self._unreachable(exc) from None

    def count(self) -> int:
        try:
            return self.reader.count(index=self.alias)["count"]
        except NotFoundError:
            return 0
        except TransportError as exc:
            raise self._unreachable(exc) from None

    def build_search(self, query: SearchQuery) -> Search:
        """The one translation of the query model into Elasticsearch's query DSL."""
        search = Search(using=self.client)
        if query.q:
            # The cluster analyses each field's words itself; only a field prefix needs its twin.
            # (Except for twins analysed here: their words are analysed here too.)
            search = search.query("query_string", query=rewrite_query(query.q, analyse=bool(self._analysed_here)),
                                  fields=QUERY_FIELDS, default_operator="AND")
        for kind, name in query.entities:
            search = search.filter("term", **{f"entities.{kind}.key": name.lower()})
        if query.outlets:
            search = search.filter("terms", outlet=list(query.outlets))
        if query.story:
            search = search.filter("term", story_id=query.story)
        if query.topics:
            search = search.filter("terms", topics=list(query.topics))
        if query.language:
            search = search.filter("term", language=query.language)
        if query.since or query.until:
            bounds = {}
            if query.since:
                bounds["gte"] = query.since.isoformat()
            if query.until:
                bounds["lt"] = query.until.isoformat()
            search = search.filter("range", published_at=bounds)
        if not query.include_duplicates:
            search = search.exclude("exists", field="duplicate_of")
        # `id` breaks ties so that search_after pages are stable.
        if query.effective_sort == "newest":
            search = search.sort({"published_at": "desc"}, {"id": "asc"})
        else:
            search = search.sort("_score", {"published_at": "desc"}, {"id": "asc"})
        for name in query.facets:
            search.aggs.bucket(name, "terms", field=FACET_FIELDS[name], size=20)
        if query.histogram:
            search.aggs.bucket("published", "date_histogram", field="published_at", calendar_interval=query.histogram,
                               time_zone=query.timezone, min_doc_count=1, format="yyyy-MM-dd")
        search = search.source(excludes=["text", *TWIN_FIELDS]).highlight(
            "text", *(f"text_{language}" for language in LANGUAGE_ANALYZERS if language not in self._analysed_here),
            fragment_size=SNIPPET_CHARS, number_of_fragments=1, pre_tags=[""], post_tags=[""],
            no_match_size=SNIPPET_CHARS)
        search = search.extra(size=query.size, track_total_hits=True)
        after = query.after or {}
        if after.get("a") is not None:
            search = search.extra(search_after=after["a"])
        if after.get("p"):
            search = search.extra(pit={"id": after["p"], "keep_alive": PIT_KEEP_ALIVE})
        else:
            search = search.index(self.alias)
        return search

    def entities(self, query: EntitiesQuery) -> list[dict]:
        search = self.build_search(query.as_search()).source(False).extra(size=0)
        include = {}
        if query.prefix:
            # Only the articles naming such a name (a prefix of the name or of one of its words,
            # on the lower-cased keys), and only those names counted: any name, however rare,
            # at the cost of the articles that name one (as the embedded backend's term dictionary).
            prefix = " ".join(query.prefix.lower().split())
            escaped = "".join("\\" + c if c in "*?\\" else c for c in prefix)
            spelled = [name for _, name in query.spelled]  # names found by another form (a Korean spelling)
            search = search.filter("bool", minimum_should_match=1, should=[
                clause for kind in query.kinds for clause in (
                    {"prefix": {f"{FACET_FIELDS[kind]}.key": {"value": prefix}}},
                    {"wildcard": {f"{FACET_FIELDS[kind]}.key": {"value": f"* {escaped}*"}}},
                    *([{"terms": {FACET_FIELDS[kind]: spelled}}] if spelled else []))])
            include = {"include": "|".join([name_pattern(prefix), *map(exact_pattern, spelled)])}
        for kind in query.kinds:
            search.aggs.bucket(kind, "terms", field=FACET_FIELDS[kind], size=ENTITY_BUCKETS, **include)
        try:
            response = search.using(self.reader).execute()
        except NotFoundError:
            return []
        except TransportError as exc:
            raise self._unreachable(exc) from None
        return top_entities({kind: [(b.key, b.doc_count) for b in getattr(response.aggregations, kind).buckets]
                             for kind in query.kinds}, query)

    def search(self, query: SearchQuery) -> dict:
        try:
            response = self.build_search(query).using(self.reader).execute()
            after = query.after or {}
            pit = after.get("p") or None
            total = response.hits.total.value
            end = after.get("n", 0) + len(response.hits)  # hits served so far, this page's included
            more = bool(query.size) and end < total and len(response.hits) == query.size
            if more and pit is None:
                # The following pages read one point in time, whatever is indexed meanwhile.
                pit = self.reader.open_point_in_time(index=self.alias, keep_alive=PIT_KEEP_ALIVE)["id"]
        except BadRequestError as exc:
            raise QueryError("q", f"malformed query {query.q!r}: {_reason(exc)}") from None
        except NotFoundError:
            if (query.after or {}).get("p"):
                raise QueryError("cursor", "the cursor has expired; search again") from None
            return {"total": 0, "hits": [], "facets": {name: [] for name in query.facets}, "next": None}
        except TransportError as exc:
            raise self._unreachable(exc) from None
        hits = []
        for hit in response.hits:
            article = from_source(hit.to_dict())
            highlight = getattr(hit.meta, "highlight", None)
            fragments = getattr(highlight, f"text_{article.get('language')}", None) or getattr(highlight, "text", None)
            matched = bool(query.q) and fragments
            article["snippet"] = (fragments[0].strip() if matched else None) or \
                (article.get("description") or "")[:SNIPPET_CHARS] or (fragments[0].strip() if fragments else "")
            hits.append(article)
        facets = {}
        for name in query.facets:
            buckets = getattr(response.aggregations, name).buckets if "aggregations" in response else []
            facets[name] = [{"value": b.key, "count": b.doc_count} for b in buckets]
        next_page = None
        if more:
            next_page = {"n": end, "a": list(response.hits[-1].meta.sort), "p": getattr(response, "pit_id", None) or pit}
        elif pit is not None:
            self._close_pit(pit)  # the last page: the point in time is not needed any more
        result = {"total": total, "hits": hits, "facets": facets, "next": next_page}
        if query.histogram:
            buckets = response.aggregations.published.buckets if "aggregations" in response else []
            result["histogram"] = [{"value": b.key_as_string, "count": b.doc_count} for b in buckets]
        return result

    def _close_pit(self, pit: str) -> None:
        try:
            self.reader.close_point_in_time(id=pit)
        except (ApiError, TransportError, BackendUnavailable) as exc:  # it expires by itself anyway
            logger.info("could not close a point in time: %s", exc)


def name_pattern(prefix: str) -> str:
    """A terms aggregation's `include` (Lucene regular expression, whole term, no flags) for the
    names EntitiesQuery.matches accepts: the name or one of its words starts with the prefix, in
    any case."""
    literal = "".join(f"[{c.lower()}{c.upper()}]" if c.lower() != c.upper() else
                      (c if c.isalnum() or c == " " else "\\" + c) for c in prefix)
    return f"{literal}.*" if " " in prefix else f"({literal}|.* {literal}).*"


def exact_pattern(name: str) -> str:
    """`name` itself as a term's `include` alternative (Lucene regular expression)."""
    return "".join(c if c.isalnum() or c == " " else "\\" + c for c in name)


def _reason(exc: ApiError) -> str:
    try:
        return exc.info["error"]["root_cause"][0]["reason"]
    except (KeyError, IndexError, TypeError):
        return str(exc.message)
