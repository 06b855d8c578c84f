from __future__ import annotations


def open_backend(config, writable: bool = True, db=None):
    """The configured SearchBackend. The Elasticsearch one creates its template, index and alias
    when it first can (start-up, or once the cluster is back); its outbox lives in the state
    database `db` (core.statedb.StateDB; opened here when not given)."""
    if config["NEWSWATCH_INDEX"] == "embedded":
        from index.tantivy.backend import TantivyBackend

        return TantivyBackend(config["NEWSWATCH_DATA_DIR"] / "index", writable=writable)
    from index.es.backend import ElasticsearchBackend

    backend = ElasticsearchBackend.from_config(config, db)
    if writable:
        backend.commit()  # the courier sets the index up and delivers what waited, once the cluster answers
    return backend
