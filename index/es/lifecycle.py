"""The Elasticsearch index's life: the cluster's modules, the template, the versioned index and
its alias, and the migration of an older version (reindex, then swap the alias).

Layout: one versioned index `<prefix>articles-v<N>` behind the alias `<prefix>articles`, created
from the index template `<prefix>articles` (mapping: mapping.json, `dynamic: strict`). No
rollover and no data stream: articles are updated in place. A schema change bumps
SCHEMA_VERSION (index.es.layout); `newswatch migrate` reindexes into the new version and swaps
the alias."""
from __future__ import annotations

import logging

from elasticsearch import ApiError, AuthorizationException, BadRequestError, Elasticsearch, TransportError, helpers

from index.analysis import ANALYSED_FIELDS
from index.es.layout import LANGUAGE_ANALYZERS, SCHEMA_VERSION, TWIN_FIELDS, es_document, from_source, index_body

logger = logging.getLogger(__name__)

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
BULK_BATCH = 500
# Reads answer a person or the crawl: they wait less.
READ_TIMEOUT_SECONDS = 10


class IndexLifecycle:
    """Sets the index up (`ensure_index`, by any number of processes) and says what its
    documents must carry: twins or not (`twins`), and which languages' twins are analysed here."""

    def __init__(self, client: Elasticsearch, prefix: str, shards: int, replicas: int):
        self.client = client
        self.prefix = prefix
        self.alias = f"{prefix}articles"
        self.index_name = f"{prefix}articles-v{SCHEMA_VERSION}"
        self.shards, self.replicas = shards, replicas
        self.ready = False
        self.twins = True  # documents carry their language twins (False on an older index)
        self.analysed_here: frozenset[str] = frozenset()  # languages whose twins this process analyses
        self._modules: frozenset[str] | None = None

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

    @property
    def modules_known(self) -> bool:
        return self._modules is not None

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
            self.create_index(self.index_name)
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
            self.twins = False
        self.analysed_here = self._analysis_of(self.alias)
        self.ready = True

    def document(self, doc: dict) -> dict:
        """An article as this index takes it."""
        return es_document(doc, self.analysed_here) if self.twins else doc

    def _analysis_of(self, index: str) -> frozenset[str]:
        """The languages whose twins are analysed here for `index` (its mapping's _meta)."""
        mappings = self.client.indices.get_mapping(index=index)
        metas = [m["mappings"].get("_meta", {}).get("analysis", {}) for m in mappings.values()]
        return frozenset(language for meta in metas for language, mode in meta.items() if mode == "newswatch")

    def create_index(self, name: str, **body) -> None:
        """Creates `name` unless another process did."""
        try:
            self.client.indices.create(index=name, **body)
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
        self.create_index(self.index_name)
        target_analysed_here = self._analysis_of(self.index_name)
        modules = self.modules()
        if target_analysed_here or not {"lang-painless", "reindex"} <= modules:
            copied = self._copy_through_client(current, self.index_name, target_analysed_here)
        else:
            copied = self._reindex_in_cluster(self.index_name)
        actions = [{"remove": {"index": name, "alias": self.alias}} for name in current]
        actions.append({"add": {"index": self.index_name, "alias": self.alias}})
        self.client.indices.update_aliases(actions=actions)
        self.twins, self.analysed_here = True, target_analysed_here
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
