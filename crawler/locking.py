"""One lock per object for classes whose SQLite connection is used from more than one thread."""
from __future__ import annotations

import functools


def locked(method):
    """Runs the method holding `self._lock`."""
    @functools.wraps(method)
    def run(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)
    return run
