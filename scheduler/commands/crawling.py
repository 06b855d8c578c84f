"""`newswatch crawl` (one poll now) and `newswatch run` (the daemon): both hold the writer lock
and run on the one asyncio loop of scheduler/loop.py. Scrapy and everything that imports it are
imported inside the loop's coroutine: the twisted reactor must be installed first."""
from __future__ import annotations

import asyncio
import errno
import signal
import socket
import sys

from scheduler.commands.common import (EXIT_INTERRUPTED, EXIT_OK, EXIT_SOURCES_FAILED, UsageError,
                                       print_json)
from scheduler.compose import configured_outlets, configured_topics, wired, writer_lock
from scheduler.loop import run


class PortUnavailable(Exception):
    """The API's address cannot be bound (in use, or not an address of this machine)."""


def bind_api_socket(config) -> socket.socket:
    """The API's listening socket, bound before anything starts: a busy port is one line and its
    own exit status, never a log that says the API is up."""
    host, port = config["NEWSWATCH_API_HOST"], config["NEWSWATCH_API_PORT"]
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.create_server((host, port), family=family)
    except OSError as exc:
        reason = "already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        raise PortUnavailable(f"setting NEWSWATCH_API_PORT={port}: cannot listen on {host}:{port}: {reason}") from None
    sock.set_inheritable(True)
    return sock


def cmd_crawl(args, config) -> int:
    outlets = configured_outlets(config)
    unknown = [k for k in args.keys if k not in outlets]
    if unknown:
        raise UsageError(f"unknown outlet {unknown[0]!r} (known: {', '.join(outlets)})")
    topics = configured_topics(config, outlets)

    async def main():
        from crawler.service import CrawlService

        with wired(config, writable=True, outlets=outlets, topics=topics) as wiring:
            service = CrawlService(config, outlets, wiring.backend, topics, wiring.db)
            loop = asyncio.get_running_loop()
            interrupted = asyncio.Event()

            def interrupt():
                # Ctrl-C or SIGTERM: the crawl stops, what reached the end of the pipeline is committed.
                interrupted.set()
                asyncio.ensure_future(service.stop())

            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, interrupt)
            try:
                await service.prepare()
                reports = await service.crawl(args.keys)
                if not interrupted.is_set():
                    # What fails waits in the outbox for the next run.
                    await asyncio.to_thread(service.alerts.deliver_pending)
                return reports, interrupted.is_set()
            finally:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(sig)
                await service.close()
                await asyncio.to_thread(wiring.close_index)

    with writer_lock(config):
        reports, interrupted = run(main)
    for report in reports:  # one JSON line per outlet on stdout (`newswatch crawl KEY | jq`); logs on stderr
        print_json(report.summary())
    if interrupted:
        return EXIT_INTERRUPTED
    failed = [r.outlet for r in reports if r.sources and not r.sources_ok]
    if failed:
        print(f"newswatch: every feed and sitemap failed for {', '.join(failed)} (see `newswatch outlets`)",
              file=sys.stderr)
        return EXIT_SOURCES_FAILED
    return EXIT_OK


def cmd_run(args, config) -> int:
    outlets = configured_outlets(config)
    topics = configured_topics(config, outlets)

    async def main():
        from scheduler.daemon import Daemon

        with wired(config, writable=True, outlets=outlets, topics=topics) as wiring:
            await Daemon(wiring, api_socket).run()

    with writer_lock(config):
        api_socket = bind_api_socket(config)
        try:
            run(main)
        finally:
            api_socket.close()
    return EXIT_OK
