"""The `newswatch` command. Exit status: 0 done, 2 usage or settings error, 3 the embedded index
is held by a running daemon."""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys

EXIT_OK, EXIT_USAGE, EXIT_LOCKED = 0, 2, 3


class UsageError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newswatch", description="Media-monitoring daemon.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="the daemon: scheduler, crawler, search API")
    crawl = commands.add_parser("crawl", help="poll the named outlets once, through the full pipeline")
    crawl.add_argument("keys", nargs="+", metavar="KEY")
    extract = commands.add_parser("extract", help="extract saved pages; print one JSON object per line")
    extract.add_argument("files", nargs="+", metavar="FILE")
    extract.add_argument("--url", help="the URL the page(s) were fetched from")
    search = commands.add_parser("search", help="search the index")
    search.add_argument("query", nargs="?", default="")
    search.add_argument("--entity", action="append", default=[], metavar="TYPE:NAME")
    search.add_argument("--outlet", action="append", default=[])
    search.add_argument("--topic", action="append", default=[])
    search.add_argument("--language")
    search.add_argument("--since")
    search.add_argument("--until")
    search.add_argument("--sort", choices=["relevance", "newest"])
    search.add_argument("--size")
    search.add_argument("--cursor")
    search.add_argument("--duplicates", action="store_true", help="show copies too")
    search.add_argument("--json", action="store_true", help="print exactly the /search response")
    reprocess = commands.add_parser("reprocess", help="re-run extraction and entities over the archived pages")
    reprocess.add_argument("--since", help="only pages fetched since this date")
    reprocess.add_argument("--outlet", help="only this outlet's pages")
    commands.add_parser("prune", help="apply the retention settings now (the daemon prunes daily)")
    commands.add_parser("reindex", help="copy the embedded index into Elasticsearch (resumable)")
    commands.add_parser("migrate", help="move the Elasticsearch alias to this version's index, reindexing")
    outlets = commands.add_parser("outlets", help="the outlets and their health")
    outlets.add_argument("--json", action="store_true", help="print exactly the /outlets list")
    return parser


def _configure_logging(level: str) -> None:
    from scrapy.utils.log import configure_logging

    from settings import SCRAPY_BASE

    configure_logging({"LOG_LEVEL": level, "LOG_FORMAT": SCRAPY_BASE["LOG_FORMAT"]})
    if level != "DEBUG":
        # Scrapy lists its components at every crawl's start: noise in a daemon that crawls all day.
        for name in ("scrapy.middleware", "scrapy.crawler", "scrapy.addons", "scrapy.extensions.logstats",
                     "scrapy.core.engine", "apscheduler.executors.default"):
            logging.getLogger(name).setLevel(logging.WARNING)
        # A robots.txt that cannot be fetched is logged with a full traceback; the request it
        # guarded then fails the same way and is logged (one line, with its URL) and counted.
        logging.getLogger("scrapy.downloadermiddlewares.robotstxt").setLevel(logging.CRITICAL)


def configured_names(config):
    from crawler.names import cached_names

    return cached_names(str(config["NEWSWATCH_NAMES"]) if config["NEWSWATCH_NAMES"] else None)


def _print_json(value) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")


def cmd_extract(args, config) -> int:
    from crawler.entities import tag_entities
    from crawler.extract import extract_page

    names = str(config["NEWSWATCH_NAMES"]) if config["NEWSWATCH_NAMES"] else None

    for path in args.files:
        try:
            with open(path, "rb") as page:
                body = page.read()
            if path.endswith(".gz"):
                import gzip

                body = gzip.decompress(body)
            article = extract_page(body, url=args.url)
            entities, _ = tag_entities(article["text"], article["title"], article["language"],
                                       config["NEWSWATCH_NER_MODELS"], names)
        except Exception as exc:  # one bad file never stops the others
            _print_json({"source": path, "error": f"{type(exc).__name__}: {exc}"})
            continue
        _print_json({"source": path, "url": article["url"], "title": article["title"], "text": article["text"],
                     "authors": article["authors"], "published_at": article["published_at"],
                     "language": article["language"],
                     "entities": entities})
    return EXIT_OK


def cmd_search(args, config) -> int:
    from index.backends import open_backend
    from index.query import QueryError, parse_search_params
    from index.search import run_search

    params = [("q", args.query)] + [("entity", e) for e in args.entity] + [("outlet", o) for o in args.outlet]
    params += [("topic", t) for t in args.topic]
    for name in ("language", "since", "until", "sort", "size", "cursor"):
        if getattr(args, name) is not None:
            params.append((name, getattr(args, name)))
    if args.duplicates:
        params.append(("duplicates", "include"))
    try:
        query = parse_search_params(params, names=configured_names(config))
        result = run_search(open_backend(config, writable=False), query)
    except QueryError as exc:
        print(f"newswatch: {exc.parameter}: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        _print_json(result)
        return EXIT_OK
    print(f"{result['total']} stories")
    for hit in result["hits"]:
        print(f"{(hit['published_at'] or '')[:16]}  {hit['outlet']:<14} {hit['title']}")
        print(f"{'':18}{hit['url']}")
    if result["next_cursor"]:
        print(f"more: --cursor {result['next_cursor']}")
    return EXIT_OK


def _state_db(config):
    from core.statedb import StateDB

    return StateDB(config["NEWSWATCH_DATA_DIR"] / "state.sqlite3")


def cmd_outlets(args, config) -> int:
    from core.health import outlets_report
    from crawler.outlet_config import load_outlets
    from crawler.state import CrawlState
    from index.backends import open_backend

    db = _state_db(config)
    try:
        report = outlets_report(load_outlets(config["NEWSWATCH_OUTLETS"]), CrawlState(db),
                                open_backend(config, writable=False, db=db).backlog())
    finally:
        db.close()
    if args.json:
        _print_json(report)
        return EXIT_OK
    for row in report:
        print(f"{row['key']:<16} {row['status']:<6} {row['articles']:>6} articles  {row['errors']:>4} errors  "
              f"last poll {row['last_poll_at'] or '-'}")
        if row["last_error"]:
            print(f"{'':17}last error: {row['last_error']}")
    return EXIT_OK


def load_topics_for(config):
    from crawler.topic_config import load_topics

    return load_topics(config["NEWSWATCH_TOPICS"], configured_names(config))


def cmd_crawl(args, config) -> int:
    from crawler.outlet_config import load_outlets
    from scheduler.lock import DataDirLock
    from scheduler.loop import run

    outlets = load_outlets(config["NEWSWATCH_OUTLETS"])
    unknown = [k for k in args.keys if k not in outlets]
    if unknown:
        raise UsageError(f"unknown outlet {unknown[0]!r} (known: {', '.join(outlets)})")
    topics = load_topics_for(config)
    lock = DataDirLock(config["NEWSWATCH_DATA_DIR"]).acquire()

    async def main():
        from crawler.service import CrawlService
        from index.backends import open_backend

        db = _state_db(config)
        backend = open_backend(config, db=db)
        service = CrawlService(config, outlets, backend, topics, db)
        try:
            await service.prepare()
            reports = await service.crawl(args.keys)
            # What fails waits in the outbox for the next run.
            await asyncio.to_thread(service.alerts.deliver_pending)
            return reports
        finally:
            await service.close()
            await asyncio.to_thread(backend.close)
            db.close()

    try:
        reports = run(main)
    finally:
        lock.release()
    for report in reports:
        print(json.dumps(report.summary()), file=sys.stderr)
    return EXIT_OK


def cmd_run(args, config) -> int:
    from crawler.outlet_config import load_outlets
    from scheduler.lock import DataDirLock
    from scheduler.loop import run

    outlets = load_outlets(config["NEWSWATCH_OUTLETS"])
    topics = load_topics_for(config)
    lock = DataDirLock(config["NEWSWATCH_DATA_DIR"]).acquire()

    async def main():
        from index.backends import open_backend
        from scheduler.daemon import Daemon

        db = _state_db(config)
        try:
            await Daemon(config, outlets, open_backend(config, db=db), topics, db).run()
        finally:
            db.close()

    try:
        run(main)
    finally:
        lock.release()
    return EXIT_OK


def _elasticsearch(config, db=None):
    from index.es_backend import ElasticsearchBackend

    if not config["ELASTICSEARCH_URL"]:
        raise UsageError("setting ELASTICSEARCH_URL: required for this command")
    return ElasticsearchBackend.from_config(config, db)


def cmd_reindex(args, config) -> int:
    """Copies every article of the embedded index into Elasticsearch, batch by batch; the
    position reached is kept in the crawl state, so a second run resumes (copies are upserts by
    id, so a batch copied twice is harmless)."""
    from tqdm import tqdm

    from crawler.state import CrawlState
    from index.tantivy_backend import TantivyBackend

    source = TantivyBackend(config["NEWSWATCH_DATA_DIR"] / "index", writable=False)
    db = _state_db(config)
    target = _elasticsearch(config, db)
    state = CrawlState(db)
    total = source.count()
    done = state.progress("reindex")
    if done >= total:
        done = 0  # a finished copy: start over (new articles may have come)
    pending = 0
    with tqdm(total=total, initial=done, unit="article", desc="reindex", file=sys.stderr) as bar:
        for position, article in source.articles(start=done):
            target.upsert(article)
            pending += 1
            if pending == 500 or position == total:
                if target.flush_backlog() < pending:
                    print(f"newswatch: Elasticsearch did not take everything ({target.backlog()}); "
                          "run `newswatch reindex` again to resume", file=sys.stderr)
                    return 1
                state.set_progress("reindex", position)
                bar.update(pending)
                pending = 0
    if pending and target.flush_backlog() < pending:
        print("newswatch: Elasticsearch did not take everything; run `newswatch reindex` again to resume",
              file=sys.stderr)
        return 1
    state.set_progress("reindex", total)
    print(json.dumps({"copied": total, "index": target.alias}))
    return EXIT_OK


def cmd_reprocess(args, config) -> int:
    from tqdm import tqdm

    from crawler import reprocess
    from crawler.archive import PageArchive
    from crawler.outlet_config import load_outlets
    from crawler.state import CrawlState
    from index.backends import open_backend
    from index.query import QueryError, parse_date_param
    from scheduler.lock import DataDirLock

    try:
        since = parse_date_param("since", args.since) if args.since else None
    except QueryError as exc:
        raise UsageError(f"--since: {exc.message}") from None
    outlets = load_outlets(config["NEWSWATCH_OUTLETS"])
    if args.outlet and args.outlet not in outlets:
        raise UsageError(f"unknown outlet {args.outlet!r}")
    lock = DataDirLock(config["NEWSWATCH_DATA_DIR"]).acquire()
    db = _state_db(config)
    backend = open_backend(config, db=db)
    try:
        with tqdm(unit="page", desc="reprocess", file=sys.stderr) as bar:
            counts = reprocess.run(config, outlets, backend, CrawlState(db),
                                   PageArchive(config["NEWSWATCH_DATA_DIR"] / "pages"), since, args.outlet, bar)
    finally:
        backend.close()
        db.close()
        lock.release()
    _print_json(counts)
    return EXIT_OK


def cmd_prune(args, config) -> int:
    """Applies the retention settings now (the daemon does it daily) and prints what went and
    what the data directory holds."""
    from crawler.archive import PageArchive
    from crawler.dedupe import DuplicateIndex
    from crawler.retention import prune, storage_report
    from index.backends import open_backend
    from scheduler.lock import DataDirLock

    lock = DataDirLock(config["NEWSWATCH_DATA_DIR"]).acquire()
    db = _state_db(config)
    backend = open_backend(config, db=db)
    archive = PageArchive(config["NEWSWATCH_DATA_DIR"] / "pages")
    try:
        counts = prune(config, db, backend, archive, DuplicateIndex(db))
        backend.commit()
        _print_json({"pruned": counts, **storage_report(db, archive)})
    finally:
        backend.close()
        db.close()
        lock.release()
    return EXIT_OK


def cmd_migrate(args, config) -> int:
    _print_json(_elasticsearch(config).migrate())
    return EXIT_OK


COMMANDS = {"run": cmd_run, "crawl": cmd_crawl, "extract": cmd_extract, "search": cmd_search,
            "outlets": cmd_outlets, "reindex": cmd_reindex, "reprocess": cmd_reprocess, "migrate": cmd_migrate,
            "prune": cmd_prune}


def main(argv: list[str] | None = None) -> int:
    import settings
    from crawler.outlet_config import OutletsError
    from crawler.topic_config import TopicsError
    from index.protocol import BackendUnavailable
    from scheduler.lock import IndexLocked

    args = _parser().parse_args(argv)
    try:
        config = settings.load()
        if args.command in ("run", "crawl"):
            _configure_logging(config["NEWSWATCH_LOG_LEVEL"])
        else:
            logging.basicConfig(level=logging.WARNING)
        return COMMANDS[args.command](args, config)
    except (settings.SettingsError, OutletsError, TopicsError, UsageError) as exc:
        print(f"newswatch: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except IndexLocked as exc:
        print(f"newswatch: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except BackendUnavailable as exc:
        print(f"newswatch: the index is unavailable: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
