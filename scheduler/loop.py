"""One asyncio loop for everything: Twisted's asyncio reactor (for Scrapy), APScheduler and
uvicorn all run on it. The reactor must be installed before anything imports
twisted.internet.reactor, so the CLI calls `run()` before importing the crawler."""
from __future__ import annotations

import asyncio

REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"


def run(main):
    """Runs the coroutine function `main` to completion on the reactor's loop; returns its value."""
    from scrapy.utils.reactor import install_reactor

    install_reactor(REACTOR)
    from twisted.internet import reactor

    outcome: dict = {}

    async def wrapper():
        try:
            outcome["value"] = await main()
        except BaseException as exc:  # re-raised below, outside the reactor
            outcome["error"] = exc
        finally:
            reactor.stop()

    reactor.callWhenRunning(lambda: asyncio.ensure_future(wrapper()))
    # Signals are the daemon's own (one shutdown path that commits first), not Twisted's.
    reactor.run(installSignalHandlers=False)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
