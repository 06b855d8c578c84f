"""`newswatch crawl` (one poll now), `newswatch replay` (the quarantined pages again) and
`newswatch run` (the daemon): they hold the writer lock and run on the one asyncio loop of
scheduler/loop.py. Scrapy and everything that imports it are
imported inside the loop's coroutine: the twisted reactor must be installed first."""
from __future__ import annotations

import asyncio
import errno
import signal
import socket
import sys

from crawler.events import Tally
from scheduler.commands.common import (EXIT_INTERRUPTED, EXIT_OK, EXIT_SOURCES_FAILED, UsageError,
                                       print_json)
from scheduler.commands.maintenance import ask_daemon
from scheduler.compose import configured_outlets, configured_topics, crawl_service, daemon, wired, writer_lock
from scheduler.lock import IndexLocked
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
        with wired(config, writable=True, outlets=outlets, topics=topics) as wiring:
            service = crawl_service(wiring)
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
                    await service.deliver_alerts()
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
    failed = [r.outlet for r in reports if r.count(Tally.SOURCES) and not r.count(Tally.SOURCES_OK)]
    if failed:
        print(f"newswatch: every feed and sitemap failed for {', '.join(failed)} (see `newswatch outlets`)",
              file=sys.stderr)
        return EXIT_SOURCES_FAILED
    return EXIT_OK


def cmd_replay(args, config) -> int:
    """The quarantined pages (of one outlet) owed again with their attempts back, and processed
    now from the state (their outlets' feeds are not polled). While a daemon holds the index it
    is asked to do it (its log gives the outcome)."""
    outlets = configured_outlets(config)
    if args.outlet and args.outlet not in outlets:
        raise UsageError(f"unknown outlet {args.outlet!r} (known: {', '.join(outlets)})")
    topics = configured_topics(config, outlets)
    try:
        lock = writer_lock(config).acquire()
    except IndexLocked as held:
        return ask_daemon(config, "/replay", {"outlet": args.outlet}, held)

    async def main():
        with wired(config, writable=True, outlets=outlets, topics=topics) as wiring:
            service = crawl_service(wiring)
            try:
                replayed = await service.replay(args.outlet)
                keys = [key for key in replayed if key in outlets]
                if not keys:
                    return replayed, []
                await service.prepare()
                reports = await service.crawl(keys, force=False, poll_sources=False)
                await service.deliver_alerts()
                return replayed, reports
            finally:
                await service.close()
                await asyncio.to_thread(wiring.close_index)

    with lock:
        replayed, reports = run(main)
    for report in reports:  # one JSON line per outlet, as `crawl` prints
        print_json({**report.summary(), "replayed": replayed[report.outlet]})
    if not replayed:
        print("newswatch: no page is quarantined" + (f" for {args.outlet}" if args.outlet else ""), file=sys.stderr)
    return EXIT_OK


def cmd_run(args, config) -> int:
    outlets = configured_outlets(config)
    topics = configured_topics(config, outlets)

    async def main():
        with wired(config, writable=True, outlets=outlets, topics=topics) as wiring:
            await daemon(wiring, api_socket).run()

    with writer_lock(config):
        api_socket = bind_api_socket(config)
        try:
            run(main)
        finally:
            api_socket.close()
    return EXIT_OK
