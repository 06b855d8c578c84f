"""Cursors are signed, bound to their search and bounded: a client can only hand back one it got."""
import base64
import json

import pytest

from index.cursors import Cursors, load_key
from index.query import MAX_RESULT_WINDOW, QueryError, parse_search_params

CURSORS = Cursors(b"k" * 32)


def query(*params):
    return parse_search_params([("q", "kursk"), ("size", "2"), *params], cursors=CURSORS)


def test_a_cursor_comes_back_to_its_own_search_only():
    cursor = CURSORS.encode(query(), {"o": 2})
    assert query(("cursor", cursor)).offset == 2
    with pytest.raises(QueryError, match="another search"):
        parse_search_params([("q", "zelensky"), ("size", "2"), ("cursor", cursor)], cursors=CURSORS)
    assert CURSORS.encode(query(), None) is None


def forged(position: dict) -> str:
    payload = json.dumps({**position, "f": query().fingerprint()}).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=") + ".AAAA"


@pytest.mark.parametrize("cursor", [
    forged({"o": 4_800_000_000_000}),  # the unsigned cursor that aborted the daemon
    forged({"o": 2}),
    "not-a-cursor", "a.b.c", "", "." * 5000, "eyJvIjoxfQ.", "%%%.%%%",
])
def test_a_forged_or_broken_cursor_is_a_400(cursor):
    with pytest.raises(QueryError) as raised:
        query(("cursor", cursor)) if cursor else CURSORS.decode(query(), cursor)
    assert raised.value.parameter == "cursor"


def test_another_key_does_not_accept_it():
    cursor = CURSORS.encode(query(), {"o": 2})
    with pytest.raises(QueryError, match="not a cursor"):
        Cursors(b"other").decode(query(), cursor)


@pytest.mark.parametrize("position", [{"o": MAX_RESULT_WINDOW + 1}, {"o": -1}, {"a": [1] * 5}, {"a": [{"x": 1}]},
                                      {"z": 1}, {"o": True}, {"n": -3}])
def test_even_a_signed_cursor_is_bounded(position):
    with pytest.raises(QueryError):
        query(("cursor", CURSORS.encode(query(), position)))


def test_the_key_is_kept_in_the_data_dir_unless_one_is_set(tmp_path):
    key = load_key(tmp_path)
    assert key == load_key(tmp_path) and len(key) == 32
    assert (tmp_path / "cursor.key").stat().st_mode & 0o777 == 0o600
    assert load_key(tmp_path, "shared secret") == b"shared secret"
