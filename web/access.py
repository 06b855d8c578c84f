"""Access control for the API: with keys configured, every endpoint but /health needs
`Authorization: Bearer KEY` (or the `newswatch_key` cookie the search page sets, or `?key=KEY` on
exports and feeds, for clients that cannot send headers); admin endpoints
need an admin key. Searches are rate-limited per key. Keys are compared in constant time and
never logged."""
from __future__ import annotations

import hmac
import time
from collections import defaultdict, deque

from fastapi import Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer

from web.templating import key_form

OPEN_PATHS = {"/health", "/login", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}
OPEN_PREFIXES = ("/static-offline-docs/",)  # the documentation's own scripts and styles
# Everything that runs a search or a count over the index is rate-limited.
LIMITED_PATHS = {"/search", "/entities", "/"}
LIMITED_PREFIXES = ("/search.", "/stories/")
PAGE_PREFIXES = ("/page/",)
# Exports and feeds: feed readers and spreadsheets cannot send headers, so these take ?key=KEY.
KEY_PARAMETER_PREFIXES = ("/search.",)
ADMIN_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
RATE_WINDOW = 60.0
# The key, as the OpenAPI document declares it: every operation but /health asks for it (checked
# by AccessControl below, not by this dependency, which never refuses).
BEARER = HTTPBearer(scheme_name="bearer", auto_error=False,
                    description="NEWSWATCH_API_KEYS / NEWSWATCH_ADMIN_KEYS, when set; /health is always open")
SWEEP_AT = 10_000  # clients remembered before idle ones are forgotten


class AccessControl:
    def __init__(self, read_keys: tuple[str, ...], admin_keys: tuple[str, ...], searches_per_minute: int):
        self.read_keys, self.admin_keys = tuple(read_keys), tuple(admin_keys)
        self.limit = searches_per_minute
        self._recent: dict[str, deque] = defaultdict(deque)

    @property
    def enabled(self) -> bool:
        return bool(self.read_keys or self.admin_keys)

    @staticmethod
    def _known(key: str, keys: tuple[str, ...]) -> bool:
        return any(hmac.compare_digest(key.encode(), k.encode()) for k in keys)

    def valid(self, key: str) -> bool:
        return bool(key) and (self._known(key, self.admin_keys) or self._known(key, self.read_keys))

    def key_of(self, request: Request) -> str:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip()
        if request.url.path.startswith(KEY_PARAMETER_PREFIXES) and request.query_params.get("key"):
            return request.query_params["key"]
        return request.cookies.get("newswatch_key", "")

    def check(self, request: Request) -> JSONResponse | None:
        key = self.key_of(request)
        path = request.url.path
        if self.enabled and path not in OPEN_PATHS and not path.startswith(OPEN_PREFIXES):
            is_admin = self._known(key, self.admin_keys)
            if not (is_admin or self._known(key, self.read_keys)):
                if request.url.path == "/" or request.url.path.startswith(PAGE_PREFIXES):
                    # The page asks for the key once, then keeps it (a cookie).
                    return key_form(request, str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""))
                return JSONResponse({"error": "a valid API key is needed (Authorization: Bearer KEY)"},
                                    status_code=401, headers={"WWW-Authenticate": "Bearer"})
            if request.method in ADMIN_METHODS and not is_admin:
                return JSONResponse({"error": "this needs an admin key"}, status_code=403)
        limited = path in LIMITED_PATHS or path.startswith(LIMITED_PREFIXES)
        if limited and not self._allow(key or (request.client.host if request.client else "")):
            return JSONResponse({"error": f"more than {self.limit} searches a minute; slow down"}, status_code=429,
                                headers={"Retry-After": str(int(RATE_WINDOW))})
        return None

    def _allow(self, who: str) -> bool:
        now = time.monotonic()
        if len(self._recent) > SWEEP_AT:
            # Clients come and go (addresses, without keys): forget those idle for a window.
            for idle in [k for k, times in self._recent.items() if not times or now - times[-1] > RATE_WINDOW]:
                del self._recent[idle]
        recent = self._recent[who]
        while recent and now - recent[0] > RATE_WINDOW:
            recent.popleft()
        if len(recent) >= self.limit:
            return False
        recent.append(now)
        return True
