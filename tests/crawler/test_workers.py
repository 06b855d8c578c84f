import asyncio
import os

from crawler.workers import WorkerPool


def test_workers_are_replaced_after_max_tasks_without_losing_a_task():
    pool = WorkerPool(1, max_tasks=3)

    async def main():
        # More tasks queued at once than one generation may run: none may hang or get lost.
        return await asyncio.gather(*(pool.run(os.getpid) for _ in range(10)))

    try:
        pids = asyncio.run(main())
    finally:
        pool.shutdown()
    assert len(pids) == 10 and len(set(pids)) == 4 and pool.generation == 4
