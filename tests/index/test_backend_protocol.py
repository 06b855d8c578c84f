"""Both backends have every method of the one protocol the rest of newswatch calls
(index.protocol.SearchBackend): a caller never asks `hasattr` of a backend."""
import inspect

import pytest

from index.es.backend import ElasticsearchBackend
from index.protocol import SearchBackend
from index.tantivy.backend import TantivyBackend

PROTOCOL_METHODS = sorted(name for name, member in vars(SearchBackend).items()
                          if inspect.isfunction(member) and not name.startswith("_"))


@pytest.mark.parametrize("backend", [TantivyBackend, ElasticsearchBackend], ids=lambda c: c.__name__)
def test_a_backend_has_every_method_of_the_protocol(backend):
    assert "reduced_mode" in PROTOCOL_METHODS
    missing = [name for name in PROTOCOL_METHODS if not callable(getattr(backend, name, None))]
    assert missing == []
