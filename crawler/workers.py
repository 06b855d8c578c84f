"""Worker processes for the CPU-heavy stages, so the event loop that serves the API and drives
the crawl never waits on them."""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

logger = logging.getLogger(__name__)


class WorkerPool:
    def __init__(self, workers: int):
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # forkserver: workers start clean, not as forks of a process running an event loop
            # and Twisted.
            context = multiprocessing.get_context("forkserver")
            self._executor = ProcessPoolExecutor(self.workers, mp_context=context)
        return self._executor

    async def run(self, function, *args):
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool(), function, *args)
        except BrokenProcessPool:
            # A worker died (e.g. a parser crash on a hostile page): replace the pool, report the
            # input as failed, keep crawling.
            logger.error("a worker process died; restarting the pool")
            self._executor = None
            raise RuntimeError("the worker process died while handling this input") from None

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
