"""A local HTTP server that plays the outlets in tests and benchmarks: routes to fixture files
(with `{base}` replaced by the server's own URL), ETag/Last-Modified with 304s, any status,
headers or delay, and a count of the requests each path received."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class Route:
    body: bytes | Callable[[], bytes] = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict = field(default_factory=dict)
    etag: str | None = None
    delay: float = 0.0
    fail_first: int = 0  # answer 500 to this many requests first (a flaky webhook receiver)


class OutletServer:
    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.hits: dict[str, int] = {}
        self.user_agents: set[str] = set()
        self.posts: list[tuple[str, dict, bytes]] = []  # (path, headers, body) of every POST
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with server._lock:
                    server.posts.append((self.path, dict(self.headers), body))
                route = server.routes.get(self.path) or Route(status=404)
                if route.delay:  # a slow receiver (a webhook that takes its time)
                    time.sleep(route.delay)
                status = route.status
                if route.fail_first > 0:
                    route.fail_first -= 1
                    status = 500
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self):
                with server._lock:
                    server.hits[self.path] = server.hits.get(self.path, 0) + 1
                    server.user_agents.add(self.headers.get("User-Agent", ""))
                route = server.routes.get(self.path)
                if route is None:
                    route = Route(b"<html><body>Not found</body></html>", status=404)
                if route.delay:
                    time.sleep(route.delay)
                if route.etag and self.headers.get("If-None-Match") == route.etag:
                    self.send_response(304)
                    self.send_header("ETag", route.etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = route.body() if callable(route.body) else route.body
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(body)))
                if route.etag:
                    self.send_header("ETag", route.etag)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "OutletServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def fixture(self, name: str) -> bytes:
        recent = (datetime.now(timezone.utc) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        text = (FIXTURES / name).read_text(encoding="utf-8")
        return text.replace("{base}", self.base).replace("{recent}", recent).encode("utf-8")

    def serve(self, path: str, body: bytes | str | Callable[[], bytes] = b"", **options) -> Route:
        if isinstance(body, str):
            body = body.encode("utf-8")
        route = Route(body=body, **options)
        self.routes[path] = route
        return route

    def serve_feed(self, path: str, links: list[str]) -> Route:
        """An RSS feed whose items link to these paths of this server."""
        return self.serve(path, "<rss version='2.0'><channel><title>x</title>" + "".join(
            f"<item><title>Item {n}</title><link>{self.base}{link}</link></item>" for n, link in enumerate(links))
            + "</channel></rss>", content_type="application/rss+xml")

    def serve_fixture(self, path: str, name: str, **options) -> Route:
        if name.endswith(".xml"):
            options.setdefault("content_type", "application/rss+xml; charset=utf-8")
        return self.serve(path, self.fixture(name), **options)


def serve_sample_outlets(server: OutletServer) -> str:
    """Serves RFA- and Newsweek-shaped outlets; returns an outlets.toml for them."""
    server.serve("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    server.serve_fixture("/arc/outboundfeeds/english/rss/", "rfa_english_rss.xml", etag='"rfa-en-1"')
    server.serve_fixture("/arc/outboundfeeds/korean/rss/", "rfa_korean_rss.xml", etag='"rfa-ko-1"')
    server.serve_fixture("/english/korea/2025/11/03/zelensky-north-korean-soldiers-captured/", "rfa_article.html")
    server.serve_fixture("/rss", "newsweek_rss.xml", etag='"nw-1"')
    server.serve_fixture("/googlenews.xml", "newsweek_googlenews.xml", content_type="application/xml")
    server.serve_fixture("/north-korea-war-certificates-soldiers-killed-russia-10987654", "newsweek_article.html")
    return f"""
[rfa-english]
name = "Radio Free Asia"
language = "en"
feeds = ["{server.base}/arc/outboundfeeds/english/rss/"]
interval = "1h"
parser = "rfa"
delay = 0

[rfa-korean]
name = "Radio Free Asia (Korean)"
language = "ko"
feeds = ["{server.base}/arc/outboundfeeds/korean/rss/"]
interval = "1h"
parser = "rfa"
delay = 0

[newsweek]
name = "Newsweek"
language = "en"
feeds = ["{server.base}/rss"]
sitemaps = ["{server.base}/googlenews.xml"]
interval = "15m"
filter = '"north korea" OR pyongyang OR kursk OR "kim jong un"'
delay = 0
"""
