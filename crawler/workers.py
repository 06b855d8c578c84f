"""Worker processes for the CPU-heavy stages, so the event loop that serves the API and drives
the crawl never waits on them."""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

logger = logging.getLogger(__name__)

WATCH_SECONDS = 2.0


def _alive(pid: int) -> bool:
    """A killed process stays a zombie until its parent reaps it, and `kill(pid, 0)` still finds
    it; /proc says what state it is in."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: signal 0 at least finds a process that was reaped
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False


def _watch_owner(owner: int) -> None:
    """In a worker: exit when the process that owns the pool is gone. Workers are children of
    the forkserver, not of the owner, so a kill -9 of the daemon would otherwise leave them (and
    the forkserver) running for ever, holding its log file open."""
    def watch():
        while _alive(owner):
            time.sleep(WATCH_SECONDS)
        os._exit(1)
    threading.Thread(target=watch, name="owner-watch", daemon=True).start()


def _report_warm_failure(future) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.warning("warming the worker failed (the first task loads instead): %s", future.exception())


class WorkerPool:
    """`max_tasks`: the workers are replaced after this many tasks, so that what a long-running
    process accumulates (spaCy's string store grows with every new word it sees, fragmentation)
    is returned to the system; the new workers load their models again on their first task.
    The pool itself is replaced, not single workers: ProcessPoolExecutor's own
    `max_tasks_per_child` deadlocks on Python 3.11 once a worker retires with tasks queued
    (CPython gh-115634)."""

    def __init__(self, workers: int, max_tasks: int | None = None, warm: tuple | None = None):
        """`warm`: (function, *args) each new set of workers runs first (loading models), so
        that no article waits for a model to load."""
        self.workers = workers
        self.max_tasks = max_tasks
        self.warm = warm
        self._executor: ProcessPoolExecutor | None = None
        self._tasks = 0
        self.generation = 0  # pools started so far

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is not None and self.max_tasks and self._tasks >= self.max_tasks:
            # Tasks already given to the old pool finish there; it exits once they have.
            self._executor.shutdown(wait=False)
            self._executor = None
        if self._executor is None:
            # forkserver: workers start clean, not as forks of a process running an event loop
            # and Twisted.
            context = multiprocessing.get_context("forkserver")
            self._executor = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_watch_owner,
                                                 initargs=(os.getpid(),))
            self._tasks = 0
            self.generation += 1
            if self.warm is not None:
                for _ in range(self.workers):
                    self._executor.submit(*self.warm).add_done_callback(_report_warm_failure)
        self._tasks += 1
        return self._executor

    def start(self) -> None:
        """Starts (and warms) the workers now rather than at the first task."""
        if self._executor is None:
            self._pool()
            self._tasks -= 1  # starting is not a task

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
