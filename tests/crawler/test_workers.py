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


def test_new_workers_load_their_models_before_any_article():
    import settings
    from crawler.entities.stage import loaded_languages, warm_worker

    models = settings.load(env_file="/nonexistent")["NEWSWATCH_NER_MODELS"]
    pool = WorkerPool(1, max_tasks=2, warm=(warm_worker, models, None))

    async def main():
        first = await pool.run(loaded_languages)
        await pool.run(loaded_languages)
        return first, await pool.run(loaded_languages)  # a new worker (max_tasks), warmed too

    try:
        pool.start()
        first, after_replacement = asyncio.run(main())
    finally:
        pool.shutdown()
    assert first == after_replacement == ["en"] and pool.generation == 2
