"""The crawl's serial thread. The event loop only schedules; everything that blocks on a disk, a
lock or the network — the state database, the index writer and its commits, searches of a
remote index, the page archive — runs on this one thread, in the order the loop hands it over.
One thread is also what makes the dedupe decisions deterministic: they are taken one article at
a time, in arrival order, across every crawl of the process (crawler/stories/related.py)."""
from __future__ import annotations

import asyncio
import functools
import logging
from concurrent.futures import ThreadPoolExecutor

logger = logging.getLogger(__name__)


class SerialThread:
    def __init__(self):
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="newswatch-serial")

    async def run(self, function, *args, **kwargs):
        """Runs `function` on the serial thread and waits for it without blocking the loop."""
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, functools.partial(function, *args, **kwargs))

    def later(self, function, *args) -> None:
        """Queues `function` on the serial thread without waiting (bookkeeping: errors, counts)."""
        def run():
            try:
                function(*args)
            except Exception:
                logger.exception("background write %r failed", function)
        self._executor.submit(run)

    def shutdown(self) -> None:
        """Runs what is queued, then stops."""
        self._executor.shutdown(wait=True)
