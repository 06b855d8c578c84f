"""The courier: delivers what waits in the outbox (index.outbox) to Elasticsearch by bulk
requests, on a thread of its own, so a slow or absent cluster never stalls the caller (the
daemon's event loop). At-least-once: an entry leaves the outbox only once acknowledged."""
from __future__ import annotations

import logging
import threading

from elasticsearch import ApiError, Elasticsearch, TransportError, helpers

from index.es.lifecycle import BULK_BATCH, IndexLifecycle
from index.outbox import Outbox

logger = logging.getLogger(__name__)

RETRY_SECONDS = 30  # the courier retries the outbox this often while anything waits


class Courier:
    def __init__(self, client: Elasticsearch, outbox: Outbox, lifecycle: IndexLifecycle):
        self.client, self.outbox, self.lifecycle = client, outbox, lifecycle
        self._delivering = threading.Lock()
        self._wake = threading.Event()
        self._closing = False
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Delivery now, on the courier's thread (started on the first call)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="es-courier", daemon=True)
            self._thread.start()
        self._wake.set()

    def stop(self) -> None:
        self._closing = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

    def _loop(self) -> None:
        while not self._closing:
            self._wake.wait(RETRY_SECONDS)
            self._wake.clear()
            if not self._closing:
                self.deliver()

    def deliver(self) -> int:
        """Delivers what waits in the outbox; returns how many articles Elasticsearch acknowledged."""
        with self._delivering:
            return self._deliver()

    def _deliver(self) -> int:
        delivered = 0
        try:
            if not self.lifecycle.ready:
                self.lifecycle.ensure_index()
            while True:
                batch = self.outbox.pending(BULK_BATCH)
                if not batch:
                    break
                sent = self._bulk(batch)
                delivered += sent
                if sent < len(batch):
                    break
            if delivered:
                self.client.indices.refresh(index=self.lifecycle.alias)
        except TransportError as exc:  # unreachable: everything stays in the outbox
            logger.warning("Elasticsearch unavailable, %d articles wait in the outbox: %s",
                           self.outbox.backlog()["waiting"], exc)
        except ApiError as exc:
            logger.warning("Elasticsearch refused the write, articles wait in the outbox: %s", exc)
        return delivered

    def _bulk(self, batch: list[tuple[str, str, dict]]) -> int:
        alias = self.lifecycle.alias
        entries = {article_id: (article_id, op, doc) for article_id, op, doc in batch}
        actions = ({"_op_type": "index", "_index": alias, "_id": article_id, "_source": self.lifecycle.document(doc)}
                   if op == "index"
                   else {"_op_type": "delete", "_index": alias, "_id": article_id}
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
