"""A small recording stand-in for the Elasticsearch HTTP API: enough of index templates,
indices, aliases, bulk and get for the offline tests of layout and outbox behaviour (no search:
search behaviour is tested against a real cluster, see test_backend_behaviour.py). The official
client insists on the `X-Elastic-Product: Elasticsearch` header, so every answer carries it."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class ElasticsearchStandIn:
    def __init__(self):
        self.templates: dict = {}
        self.indices: dict[str, dict] = {}  # name -> {id: source}
        self.aliases: dict[str, str] = {}
        self.created_bodies: dict[str, dict] = {}
        self.mapping_updates: list[tuple[str, dict]] = []  # (index, body) of each PUT _mapping
        self.histogram_buckets: list[tuple[str, int]] = []  # what a date_histogram aggregation answers
        self.requests: list[tuple[str, str]] = []
        self.bulk_status: int | None = None  # answer every _bulk with this status (e.g. 503)
        self.bulk_budget: int | None = None  # after this many _bulk requests, answer 503
        self.reject_ids: set[str] = set()  # per-item 400 for these ids ("*": all)
        self.acknowledged: list[str] = []  # every id a _bulk stored, in order
        self.searches: list[tuple[list[str], dict]] = []  # (path parts, body) of each _search
        self.percolate_matches: set[str] = set()  # topics a percolate query "matches" (the test says which)
        self.plugins: list[str] = []  # what GET _nodes/plugins says the one node has
        # ... and its modules: the default distribution's (those the backend uses)
        self.modules: list[str] = ["analysis-common", "percolator", "lang-painless", "reindex"]
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _answer(self, status: int, body=None):
                data = json.dumps(body if body is not None else {}).encode()
                self.send_response(status)
                self.send_header("X-Elastic-Product", "Elasticsearch")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data) if self.command != "HEAD" else 0))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def do_HEAD(self):
                self._route()

            def do_GET(self):
                self._route()

            def do_PUT(self):
                self._route()

            def do_POST(self):
                self._route()

            def do_DELETE(self):
                self._route()

            def _route(self):
                path = urlsplit(self.path).path
                body = self._body()
                standin.requests.append((self.command, path))
                parts = [p for p in path.split("/") if p]
                with standin.lock:
                    status, answer = standin.handle(self.command, parts, body)
                self._answer(status, answer)

        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def resolve(self, name: str) -> str | None:
        name = self.aliases.get(name, name)
        return name if name in self.indices else None

    def handle(self, method: str, parts: list[str], body: bytes):
        if not parts:
            return 200, {"name": "standin", "cluster_name": "test", "version": {"number": "9.1.0"},
                         "tagline": "You Know, for Search"}
        if parts[:2] == ["_nodes", "plugins"] and method == "GET":
            return 200, {"nodes": {"node-1": {"plugins": [{"name": name} for name in self.plugins],
                                              "modules": [{"name": name} for name in self.modules]}}}
        if parts[0] == "_index_template" and method == "PUT":
            self.templates[parts[1]] = json.loads(body)
            return 200, {"acknowledged": True}
        if parts[0] == "_alias":
            if parts[1] not in self.aliases:
                return 404, {"error": "alias missing", "status": 404}
            return 200, {self.aliases[parts[1]]: {"aliases": {parts[1]: {}}}}
        if parts[0] == "_aliases" and method == "POST":
            for action in json.loads(body)["actions"]:
                (kind, spec), = action.items()
                if kind == "add":
                    self.aliases[spec["alias"]] = spec["index"]
                elif kind == "remove" and self.aliases.get(spec["alias"]) == spec["index"]:
                    del self.aliases[spec["alias"]]
            return 200, {"acknowledged": True}
        if len(parts) == 2 and parts[1] == "_mapping" and method == "GET":
            index = self.resolve(parts[0])
            mappings = next((t["template"]["mappings"] for t in self.templates.values()), {})
            return (200, {index: {"mappings": self.created_bodies.get(index, {}).get("mappings", mappings)}}) \
                if index else (404, {"status": 404})
        if len(parts) == 2 and parts[1] == "_mapping" and method == "PUT":
            self.mapping_updates.append((parts[0], json.loads(body)))
            return 200, {"acknowledged": True}
        if parts[0] == "_bulk" and method in ("POST", "PUT"):
            return self.bulk(body)
        if len(parts) == 1 and method == "PUT":
            if body:
                self.created_bodies[parts[0]] = json.loads(body)
            if parts[0] in self.indices:
                return 400, {"error": {"type": "resource_already_exists_exception",
                                       "root_cause": [{"type": "resource_already_exists_exception",
                                                       "reason": "index already exists"}]}, "status": 400}
            self.indices[parts[0]] = {}
            return 200, {"acknowledged": True, "index": parts[0]}
        if parts[-1] == "_delete_by_query":
            return 200, {"deleted": 0}
        if len(parts) == 2 and parts[1] == "_search" and "percolate" in json.loads(body or b"{}").get("query", {}):
            self.searches.append((parts, json.loads(body)))
            hits = [{"_id": key, "_source": {"topic": key}} for key in sorted(self.percolate_matches)
                    if key in self.indices.get(parts[0], {})]
            return 200, {"hits": {"total": {"value": len(hits), "relation": "eq"}, "hits": hits}}
        if parts[-1] == "_search":
            return self.search(parts, json.loads(body or b"{}"))
        if len(parts) == 2 and parts[1] == "_pit":
            return 200, {"id": "pit-1"}
        if parts == ["_pit"] and method == "DELETE":
            return 200, {"succeeded": True, "num_freed": 1}
        if len(parts) == 2 and parts[1] == "_refresh":
            return 200, {"_shards": {"total": 1, "successful": 1, "failed": 0}}
        if len(parts) == 2 and parts[1] == "_count":
            index = self.resolve(parts[0])
            return (200, {"count": len(self.indices[index])}) if index else (404, {"status": 404})
        if len(parts) == 3 and parts[1] == "_doc" and method == "GET":
            index = self.resolve(parts[0])
            if index and parts[2] in self.indices[index]:
                return 200, {"_index": index, "_id": parts[2], "found": True, "_source": self.indices[index][parts[2]]}
            return 404, {"_id": parts[2], "found": False}
        return 400, {"error": {"type": "illegal_argument_exception", "reason": f"stand-in: {method} {parts}"}}

    def bulk(self, body: bytes):
        if self.bulk_budget is not None:
            if self.bulk_budget <= 0:
                return 503, {"error": {"type": "unavailable", "reason": "stand-in went down"}, "status": 503}
            self.bulk_budget -= 1
        if self.bulk_status:
            return self.bulk_status, {"error": {"type": "unavailable", "reason": "stand-in says no"},
                                      "status": self.bulk_status}
        lines = [json.loads(line) for line in body.splitlines() if line.strip()]
        items = []
        while lines:
            (op, meta), = lines.pop(0).items()
            source = lines.pop(0) if op != "delete" else None  # a delete has no source line
            index = self.resolve(meta["_index"])
            if (meta["_id"] in self.reject_ids or "*" in self.reject_ids) or index is None:
                items.append({op: {"_id": meta["_id"], "status": 400,
                                   "error": {"type": "document_parsing_exception", "reason": "strict mapping"}}})
                continue
            if op == "delete":
                found = self.indices[index].pop(meta["_id"], None)
                items.append({op: {"_id": meta["_id"], "_index": index, "status": 200 if found else 404,
                                   "result": "deleted" if found else "not_found"}})
                continue
            self.indices[index][meta["_id"]] = source
            self.acknowledged.append(meta["_id"])
            items.append({op: {"_id": meta["_id"], "_index": index, "status": 201, "result": "created"}})
        return 200, {"took": 1, "errors": any(i[next(iter(i))]["status"] >= 300 for i in items), "items": items}

    def search(self, parts: list[str], body: dict):
        """Not a search engine: every document of the index, newest first, in the shape of a real
        response (hits with sort values and highlight, terms aggregations, pit_id), so that the
        backend's reading of responses and its paging requests can be checked."""
        self.searches.append((parts, body))
        if len(parts) == 2:
            index = self.resolve(parts[0])
        else:
            index = self.resolve(next(iter(self.aliases), ""))
        docs = sorted(self.indices.get(index, {}).values(), key=lambda d: (d["published_at"], d["id"]), reverse=True)
        start = 0
        if "search_after" in body:
            start = next(n for n, d in enumerate(docs) if [d["published_at"], d["id"]] == body["search_after"]) + 1
        page = docs[start:start + body.get("size", 10)]
        source = body.get("_source", {})
        excluded = set(source.get("excludes", [])) if isinstance(source, dict) else set()
        hits = [{"_index": index, "_id": d["id"], "_score": None, "sort": [d["published_at"], d["id"]],
                 "_source": {k: v for k, v in d.items() if k not in excluded},
                 "highlight": {"text": [d["text"][:240]]}} for d in page]
        aggregations = {}
        for name, spec in body.get("aggs", {}).items():
            if "date_histogram" in spec:  # not computed: the buckets a test set, in Elasticsearch's shape
                aggregations[name] = {"buckets": [{"key_as_string": day, "key": 0, "doc_count": n}
                                                  for day, n in self.histogram_buckets]}
                continue
            counts: dict = {}
            for d in docs:
                value = d
                for part in spec["terms"]["field"].split("."):
                    value = (value or {}).get(part) if isinstance(value, dict) else None
                for v in value if isinstance(value, list) else [value] if value else []:
                    counts[v] = counts.get(v, 0) + 1
            buckets = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            aggregations[name] = {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0,
                                  "buckets": [{"key": k, "doc_count": c} for k, c in buckets]}
        answer = {"took": 1, "timed_out": False, "_shards": {"total": 1, "successful": 1, "failed": 0},
                  "hits": {"total": {"value": len(docs), "relation": "eq"}, "max_score": None, "hits": hits},
                  "aggregations": aggregations}
        if "pit" in body:
            answer["pit_id"] = body["pit"]["id"]
        return 200, answer
