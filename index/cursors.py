"""Cursors: where the next page of a search starts, as an opaque token a client hands back.

A cursor is signed (HMAC-SHA256 with a key of the data directory, or NEWSWATCH_CURSOR_KEY when
several processes must share cursors), bound to the search it came from (a fingerprint of the
query), and bounded: whatever a client sends, a backend is never asked for more than
MAX_RESULT_WINDOW hits or handed a sort position of an unexpected shape. A forged, edited,
foreign or stale cursor is a 400, never a crash."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from index.query import MAX_RESULT_WINDOW, QueryError, SearchQuery

MAX_CURSOR_CHARS = 4096
SIGNATURE_BYTES = 16
KEY_FILE = "cursor.key"


def load_key(data_dir: Path, configured: str | None = None) -> bytes:
    """The configured key, else the data directory's (made on first use, readable by its owner only)."""
    if configured:
        return configured.encode("utf-8")
    path = Path(data_dir) / KEY_FILE
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_bytes()
    with os.fdopen(fd, "wb") as out:
        out.write(key)
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Cursors:
    def __init__(self, key: bytes):
        self.key = key

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self.key, payload, hashlib.sha256).digest()[:SIGNATURE_BYTES]

    def encode(self, query: SearchQuery, position: dict | None) -> str | None:
        """The cursor of the page after `query`'s; `position` is the backend's (None: last page)."""
        if not position:
            return None
        payload = json.dumps({**position, "f": query.fingerprint()}, separators=(",", ":")).encode()
        return f"{_b64(payload)}.{_b64(self._sign(payload))}"

    def decode(self, query: SearchQuery, cursor: str) -> dict:
        """The position a cursor of this search says the next page starts at."""
        invalid = QueryError("cursor", "not a cursor returned by this search")
        if len(cursor) > MAX_CURSOR_CHARS or cursor.count(".") != 1:
            raise invalid
        body, signature = cursor.split(".")
        try:
            payload, given = _unb64(body), _unb64(signature)
        except (binascii.Error, ValueError):
            raise invalid from None
        if not hmac.compare_digest(given, self._sign(payload)):
            raise invalid
        try:
            position = json.loads(payload)
        except (ValueError, UnicodeDecodeError):
            raise invalid from None
        if not isinstance(position, dict) or position.pop("f", None) != query.fingerprint():
            raise QueryError("cursor", "the cursor belongs to another search")
        return check_position(position)


def check_position(position: dict) -> dict:
    """Only the shapes the backends write: an offset within the window, a sort position of a few
    scalars, a point-in-time id, a total, a count of hits served."""
    invalid = QueryError("cursor", "not a cursor returned by this search")
    allowed = {"o": int, "a": list, "p": str, "t": int, "n": int}
    for name, value in position.items():
        kind = allowed.get(name)
        if kind is None or not isinstance(value, kind) or isinstance(value, bool):
            raise invalid
    if not 0 <= position.get("o", 0) <= MAX_RESULT_WINDOW or position.get("t", 0) < 0 or position.get("n", 0) < 0:
        raise invalid
    after = position.get("a", [])
    if len(after) > 4 or not all(isinstance(v, (int, float, str)) and not isinstance(v, bool) for v in after):
        raise invalid
    return position
