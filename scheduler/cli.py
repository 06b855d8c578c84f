"""The `newswatch` command. Exit status (also in `newswatch --help`): 0 done, 1 the index could
not be reached or some input could not be read, 2 a usage or settings error, 3 the embedded index
is held by a running daemon, 4 `crawl`: every feed and sitemap of an outlet failed, 130 stopped by
Ctrl-C, 5 `run`: the API's port is in use."""
from __future__ import annotations

import argparse
import asyncio
import errno
import json
import logging
import os
import signal
import sys

from core.version import VERSION

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED, EXIT_SOURCES_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
EXIT_PORT_IN_USE = 5

QUERY_HELP = """\
query syntax:
  words              all must match (english stemming: "soldier" finds "soldiers")
  "a phrase"         the words in this order
  a OR b, a or b     either ("a or b" in quotes: the words)
  -word              not this word
  field:value        in one field: title, description, text, authors, outlet, language, tags;
                     url:"https://..." matches a whole address
  person:NAME        the --entity filter inside the query (also org:, place:; person:"Kim Jong Un"):
                     all must match; not negated, not in an OR or parentheses
  no wildcards (*, ?), fuzzy (~) or regular expressions (/): put such characters in quotes
  (a query starting with "-": newswatch search -- -word)

entities:  --entity TYPE:NAME, TYPE one of person, org, place; names match through aliases and
           in any case (person:Zelenskyy finds Volodymyr Zelensky); repeat it: all must match
dates:     an ISO date (2025-11-05) or date-time (2025-11-05T14:00:00Z, +09:00 ...); --since is
           inclusive, --until exclusive; both filter published_at (UTC)
limits:    --size 0-100 (larger is clamped); by relevance, paging stops after 10,000 hits (sort by
           newest to page through everything)
checks:    the same as GET /search's (one model): a refused parameter prints
           "newswatch: PARAMETER: message" and exits 2"""

EXIT_HELP = """\
exit status:
  0    done (a crawl's failed pages are counted in `newswatch outlets`, not fatal)
  1    the index could not be reached, or an input file could not be read (extract)
  2    a usage or settings error (one line names the setting, outlet or parameter)
  3    the embedded index is held by a running daemon (use its API, or stop it)
  4    crawl: every feed and sitemap of at least one outlet failed
  5    run: the API's address (NEWSWATCH_API_HOST:NEWSWATCH_API_PORT) is in use or cannot be bound
  130  stopped by Ctrl-C"""


class UsageError(Exception):
    pass


class PortUnavailable(Exception):
    """The API's address cannot be bound (in use, or not an address of this machine)."""


def bind_api_socket(config):
    """The API's listening socket, bound before anything starts: a busy port is one line and its
    own exit status, never a log that says the API is up."""
    import socket

    host, port = config["NEWSWATCH_API_HOST"], config["NEWSWATCH_API_PORT"]
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.create_server((host, port), family=family)
    except OSError as exc:
        reason = "already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        raise PortUnavailable(f"setting NEWSWATCH_API_PORT={port}: cannot listen on {host}:{port}: {reason}") from None
    sock.set_inheritable(True)
    return sock


def _parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="newswatch", formatter_class=formatter, epilog=EXIT_HELP,
        description="Media monitoring: polls news outlets, extracts, dedupes and tags their articles, and "
                    "indexes them for search. Settings come from NEWSWATCH_* environment variables or .env "
                    "(see README).")
    parser.add_argument("--version", action="version", version=f"newswatch {VERSION}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("run", help="the daemon: scheduler, crawler, search API (stop with SIGTERM or Ctrl-C)",
                        description="Polls every outlet of outlets.toml at its interval and serves the API "
                                    "on NEWSWATCH_API_HOST:NEWSWATCH_API_PORT. SIGHUP re-reads outlets.toml and "
                                    "topics.toml.", epilog=EXIT_HELP, formatter_class=formatter)
    crawl = commands.add_parser("crawl", help="poll the named outlets once now, through the full pipeline",
                                epilog=EXIT_HELP, formatter_class=formatter)
    crawl.add_argument("keys", nargs="+", metavar="KEY", help="an outlet key of outlets.toml")
    extract = commands.add_parser("extract", help="extract saved pages; print one JSON object per line",
                                  description="Extraction and entity tagging of saved pages (.html or .html.gz), "
                                              "without network or index. A file that cannot be read gives "
                                              '{"source", "error"} on its line and the exit status 1.',
                                  epilog=EXIT_HELP, formatter_class=formatter)
    extract.add_argument("files", nargs="*", metavar="FILE", help="a saved page")
    extract.add_argument("--url", help="the URL the page(s) were fetched from (for relative links)")
    extract.add_argument("--manifest", metavar="FILE",
                         help='JSON lines {"path", "url"}: each saved page read with its own URL')
    extract.add_argument("--no-entities", action="store_true", help="extraction alone, no entity tagging")
    search = commands.add_parser("search", help="search the index", epilog=QUERY_HELP + "\n\n" + EXIT_HELP,
                                 formatter_class=formatter,
                                 description="Prints the matching stories, newest or most relevant first; "
                                             "--json prints exactly what GET /search answers.")
    search.add_argument("query", nargs="?", default="", help="the words to search for (see query syntax)")
    search.add_argument("--entity", action="append", default=[], metavar="TYPE:NAME", help="a person, org or place")
    search.add_argument("--outlet", action="append", default=[], metavar="KEY", help="an outlet (repeat: any)")
    search.add_argument("--topic", action="append", default=[], metavar="KEY", help="a topic (repeat: any)")
    search.add_argument("--language", metavar="CODE", help="ISO 639-1 language code, e.g. en, ko")
    search.add_argument("--since", metavar="DATE", help="published at or after")
    search.add_argument("--until", metavar="DATE", help="published before")
    # Values are checked by the API's own model (index.query.SearchParameters), not here.
    search.add_argument("--sort", metavar="ORDER", help="relevance or newest; default: relevance with words, else newest")
    search.add_argument("--size", metavar="N", help="stories per page (default 20, at most 100)")
    search.add_argument("--cursor", help="the cursor printed after a page, for the next one")
    search.add_argument("--duplicates", action="store_true", help="show copies too")
    search.add_argument("--histogram", metavar="PERIOD", help="also count matches per day, week or month")
    search.add_argument("--tz", metavar="ZONE", help="the IANA time zone of --histogram's periods (default UTC)")
    search.add_argument("--json", action="store_true", help="print exactly the /search response")
    reprocess = commands.add_parser("reprocess", help="re-run extraction and entities over the archived pages",
                                    epilog=EXIT_HELP, formatter_class=formatter)
    reprocess.add_argument("--since", metavar="DATE", help="only pages fetched since this date")
    reprocess.add_argument("--outlet", metavar="KEY", help="only this outlet's pages")
    reprocess.add_argument("--outdated", action="store_true",
                           help="only articles an older entity stage tagged (entities_model differs from the current)")
    commands.add_parser("prune", help="apply the retention settings now (the daemon prunes daily)",
                        epilog=EXIT_HELP, formatter_class=formatter)
    discover = commands.add_parser("discover", help="find a site's feeds and news sitemaps; print an outlets.toml table",
                                   epilog=EXIT_HELP, formatter_class=formatter)
    discover.add_argument("url", help="the site's homepage")
    discover.add_argument("--json", action="store_true", help="print every candidate tried, as JSON")
    commands.add_parser("reindex", help="copy the embedded index into Elasticsearch (resumable)",
                        epilog=EXIT_HELP, formatter_class=formatter)
    commands.add_parser("migrate", help="move the Elasticsearch alias to this version's index, reindexing",
                        epilog=EXIT_HELP, formatter_class=formatter)
    outlets = commands.add_parser("outlets", help="the outlets and their health", epilog=EXIT_HELP,
                                  formatter_class=formatter)
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
        # The Elasticsearch client logs a traceback for every retry of a cluster that does not
        # answer; the backend logs one line saying so (and /health shows it).
        logging.getLogger("elastic_transport").setLevel(logging.ERROR)


def configured_names(config):
    from crawler.entities.names import cached_names, names_path

    return cached_names(names_path(config))


def _print_json(value) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")


def _extract_jobs(args) -> list[tuple[str, str | None]]:
    jobs = [(path, args.url) for path in args.files]
    if args.manifest:
        try:
            with open(args.manifest, encoding="utf-8") as manifest:
                lines = [line for line in manifest if line.strip()]
        except OSError as exc:
            raise UsageError(f"--manifest {args.manifest!r}: cannot read it: {exc.strerror}") from None
        for number, line in enumerate(lines, 1):
            try:
                entry = json.loads(line)
                jobs.append((str(entry["path"]), entry.get("url")))
            except (ValueError, KeyError, TypeError):
                raise UsageError(f'--manifest {args.manifest!r} line {number}: expected {{"path", "url"}}') from None
    if not jobs:
        raise UsageError("extract: give FILE arguments or --manifest FILE")
    return jobs


def cmd_extract(args, config) -> int:
    from crawler.entities.tagger import tag_entities
    from crawler.extraction.extract import extract_page
    from crawler.entities.names import names_path

    jobs = _extract_jobs(args)
    names = names_path(config)
    status = EXIT_OK
    for path, url in jobs:
        try:
            with open(path, "rb") as page:
                body = page.read()
            if path.endswith(".gz"):
                import gzip

                body = gzip.decompress(body)
            article = extract_page(body, url=url)
            entities = None
            if not args.no_entities:
                entities, _ = tag_entities(article["text"], article["title"], article["language"],
                                           config["NEWSWATCH_NER_MODELS"], names)
        except Exception as exc:  # one bad file never stops the others
            _print_json({"source": path, "error": f"{type(exc).__name__}: {exc}"})
            status = EXIT_FAILED
            continue
        record = {"source": path, "url": article["url"], "title": article["title"], "text": article["text"],
                  "authors": article["authors"], "published_at": article["published_at"],
                  "language": article["language"]}
        if entities is not None:
            record["entities"] = entities
        _print_json(record)
    return status


def _require_data(config) -> None:
    """Reading commands never create an empty index where a mistyped path points."""
    data_dir = config["NEWSWATCH_DATA_DIR"]
    if not (data_dir / "state.sqlite3").exists():
        raise UsageError(f"setting NEWSWATCH_DATA_DIR={str(data_dir)!r}: no newswatch data there "
                         "(nothing crawled yet, or another directory was meant)")


def cmd_search(args, config) -> int:
    from crawler.config.outlets import load_outlets
    from crawler.state import CrawlState
    from index.backends import open_backend
    from index.cursors import Cursors, load_key
    from index.query import QueryError, parse_search_params
    from index.search import run_search

    _require_data(config)
    params = [("q", args.query)] + [("entity", e) for e in args.entity] + [("outlet", o) for o in args.outlet]
    params += [("topic", t) for t in args.topic]
    for name in ("language", "since", "until", "sort", "size", "cursor", "histogram", "tz"):
        if getattr(args, name) is not None:
            params.append((name, getattr(args, name)))
    if args.duplicates:
        params.append(("duplicates", "include"))
    cursors = Cursors(load_key(config["NEWSWATCH_DATA_DIR"], config["NEWSWATCH_CURSOR_KEY"]))
    db = _state_db(config)
    try:
        outlets = load_outlets(config["NEWSWATCH_OUTLETS"])
        topics = load_topics_for(config, outlets)
        # The API's parser and checks (index.query.SearchParameters): the CLI refuses what /search refuses.
        query = parse_search_params(params, names=configured_names(config), cursors=cursors, outlets=set(outlets),
                                    topics=set(topics), kept_outlets=CrawlState(db).articles_by_outlet)
        result = run_search(open_backend(config, writable=False, db=db), query, cursors)
    except QueryError as exc:
        print(f"newswatch: {exc.parameter}: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        db.close()
    if args.json:
        _print_json(result)
        return EXIT_OK
    print(f"{result['total']} {'story' if result['total'] == 1 else 'stories'}"
          f"{' (copies included)' if args.duplicates else ''}")
    for hit in result["hits"]:
        published = (hit["published_at"] or "").replace("T", " ").replace("Z", " UTC")
        copies = hit.get("duplicate_count") or 0
        extra = f", {copies} {'copy' if copies == 1 else 'copies'}" if copies else ""
        extra += f", copy of {hit['duplicate_of']}" if hit.get("duplicate_of") else ""
        print(f"\n{hit['title'] or hit['url']}")
        print(f"  {hit['outlet']}, {published}{extra}")
        if hit.get("snippet"):
            print(f"  {' '.join(hit['snippet'].split())}")
        print(f"  {hit['url']}")
    if result.get("histogram"):
        print(f"\nper {query.histogram}:")
        for bucket in result["histogram"]:
            print(f"  {bucket['value']}  {bucket['count']}")
    if result["next_cursor"]:
        print(f"\nmore: --cursor {result['next_cursor']}")
    return EXIT_OK


def _state_db(config):
    from core.statedb import StateDB

    return StateDB(config["NEWSWATCH_DATA_DIR"] / "state.sqlite3")


def cmd_outlets(args, config) -> int:
    from core.dates import duration_text
    from web.health import outlets_report
    from crawler.config.outlets import load_outlets
    from crawler.state import CrawlState
    from index.backends import open_backend

    _require_data(config)
    db = _state_db(config)
    try:
        backend = open_backend(config, writable=False, db=db)
        report = outlets_report(load_outlets(config["NEWSWATCH_OUTLETS"]), CrawlState(db), backend.backlog())
        reduced = backend.reduced_mode() if hasattr(backend, "reduced_mode") and not args.json else []
    finally:
        db.close()
    if args.json:
        _print_json(report)
        return EXIT_OK
    for line in reduced:  # a cluster without some optional modules (README, Elasticsearch)
        print(f"Elasticsearch reduced mode: {line}")
    def when(value):
        return (value or "-").replace("T", " ").replace("Z", " UTC")

    for row in report:
        per_day = " ".join(str(n) for n in row["articles_per_day"])
        print(f"{row['key']:<16} {row['status']:<8} {row['articles']:>6} articles  {row['errors']:>4} errors  "
              f"last poll {when(row['last_poll_at'])}  per day (7d): {per_day}")
        if row["volume_drop"]:
            print(f"{'':17}VOLUME DROP: {row['volume_drop']}")
        for source in row["sources"]:
            interval = duration_text(source["interval"])
            line = (f"{'':17}{source['kind']:<8}{source['status']:<8} every {interval:<6} "
                    f"last success {when(source['last_success_at'])}  {source['url']}")
            print(line)
            if source["paused_reason"]:
                print(f"{'':25}paused until {when(source['next_poll_at'])}: {source['paused_reason']}")
            elif source["last_error"]:
                print(f"{'':25}last error {when(source['last_error_at'])}: {source['last_error']}")
    return EXIT_OK



def load_topics_for(config, outlets: dict):
    from crawler.config.topics import check_topics, load_topics

    topics = load_topics(config["NEWSWATCH_TOPICS"], configured_names(config))
    check_topics(topics, outlets, bool(config["NEWSWATCH_SMTP_URL"] and config["NEWSWATCH_MAIL_FROM"]))
    return topics


def cmd_crawl(args, config) -> int:
    from crawler.config.outlets import load_outlets
    from scheduler.lock import DataDirLock
    from scheduler.loop import run

    outlets = load_outlets(config["NEWSWATCH_OUTLETS"])
    unknown = [k for k in args.keys if k not in outlets]
    if unknown:
        raise UsageError(f"unknown outlet {unknown[0]!r} (known: {', '.join(outlets)})")
    topics = load_topics_for(config, outlets)
    lock = DataDirLock(config["NEWSWATCH_DATA_DIR"]).acquire()

    async def main():
        from crawler.service import CrawlService
        from index.backends import open_backend

        db = _state_db(config)
        backend = open_backend(config, db=db)
        service = CrawlService(config, outlets, backend, topics, db)
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
            await asyncio.to_thread(backend.close)
            db.close()

    try:
        reports, interrupted = run(main)
    finally:
        lock.release()
    for report in reports:  # one JSON line per outlet on stdout (`newswatch crawl KEY | jq`); logs on stderr
        _print_json(report.summary())
    if interrupted:
        return EXIT_INTERRUPTED
    failed = [r.outlet for r in reports if r.sources and not r.sources_ok]
    if failed:
        print(f"newswatch: every feed and sitemap failed for {', '.join(failed)} (see `newswatch outlets`)",
              file=sys.stderr)
        return EXIT_SOURCES_FAILED
    return EXIT_OK


def cmd_run(args, config) -> int:
    from crawler.config.outlets import load_outlets
    from scheduler.lock import DataDirLock
    from scheduler.loop import run

    outlets = load_outlets(config["NEWSWATCH_OUTLETS"])
    topics = load_topics_for(config, outlets)
    lock = DataDirLock(config["NEWSWATCH_DATA_DIR"]).acquire()
    try:
        api_socket = bind_api_socket(config)
    except PortUnavailable:
        lock.release()
        raise

    async def main():
        from index.backends import open_backend
        from scheduler.daemon import Daemon

        db = _state_db(config)
        try:
            await Daemon(config, outlets, open_backend(config, db=db), topics, db, api_socket).run()
        finally:
            db.close()

    try:
        run(main)
    finally:
        api_socket.close()
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
    from crawler.config.outlets import load_outlets
    from crawler.state import CrawlState
    from index.backends import open_backend
    from index.query import QueryError, parse_date_param
    from scheduler.lock import DataDirLock, IndexLocked

    try:
        since = parse_date_param("since", args.since) if args.since else None
    except QueryError as exc:
        raise UsageError(f"--since: {exc.message}") from None
    outlets = load_outlets(config["NEWSWATCH_OUTLETS"])
    if args.outlet and args.outlet not in outlets:
        raise UsageError(f"unknown outlet {args.outlet!r}")
    try:
        lock = DataDirLock(config["NEWSWATCH_DATA_DIR"]).acquire()
    except IndexLocked as held:
        status = _ask_daemon(config, "/reprocess", {"since": args.since, "outlet": args.outlet,
                                                     "outdated": args.outdated}, held)
        print("newswatch: the running daemon reprocesses the pages; its log gives the counts", file=sys.stderr)
        return status
    db = _state_db(config)
    backend = open_backend(config, db=db)
    try:
        with tqdm(unit="page", desc="reprocess", file=sys.stderr) as bar:
            counts = reprocess.run(config, outlets, backend, CrawlState(db),
                                   PageArchive(config["NEWSWATCH_DATA_DIR"] / "pages"), since, args.outlet, bar,
                                   outdated=args.outdated)
    finally:
        backend.close()
        db.close()
        lock.release()
    _print_json(counts)
    return EXIT_OK


def _ask_daemon(config, path: str, body: dict | None, held: Exception) -> int:
    """The daemon holds the index: the command is asked of it, through its admin API (with the
    first admin key, when keys are set). Its answer is printed as the command's own."""
    import urllib.error
    import urllib.request

    from scheduler.lock import IndexLocked

    host, port = config["NEWSWATCH_API_HOST"], config["NEWSWATCH_API_PORT"]
    host = "127.0.0.1" if host in ("0.0.0.0", "") else "[::1]" if host == "::" else host
    headers = {"Content-Type": "application/json"}
    if config["NEWSWATCH_ADMIN_KEYS"]:
        headers["Authorization"] = f"Bearer {config['NEWSWATCH_ADMIN_KEYS'][0]}"
    request = urllib.request.Request(f"http://{host}:{port}{path}", method="POST", headers=headers,
                                     data=json.dumps(body or {}).encode("utf-8"))
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            _print_json(json.loads(response.read()))
            return EXIT_OK
    except urllib.error.HTTPError as error:
        try:
            message = json.loads(error.read()).get("error")
        except ValueError:
            message = None
        print(f"newswatch: the running daemon refused {path}: HTTP {error.code}"
              + (f": {message}" if message else ""), file=sys.stderr)
        return EXIT_USAGE if error.code == 400 else EXIT_FAILED
    except (urllib.error.URLError, OSError) as error:
        raise IndexLocked(f"{held}; its API at http://{host}:{port} did not answer "
                          f"({getattr(error, 'reason', error)})") from None


def cmd_prune(args, config) -> int:
    """Applies the retention settings now (the daemon does it daily) and prints what went and
    what the data directory holds."""
    from crawler.archive import PageArchive
    from crawler.stories.copies import DuplicateIndex
    from crawler.retention import prune, storage_report
    from index.backends import open_backend
    from scheduler.lock import DataDirLock, IndexLocked

    try:
        lock = DataDirLock(config["NEWSWATCH_DATA_DIR"]).acquire()
    except IndexLocked as held:
        return _ask_daemon(config, "/prune", None, held)
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


def cmd_discover(args, config) -> int:
    from crawler.discover import DiscoveryError, Fetcher, discover, outlets_table

    fetcher = Fetcher(config["NEWSWATCH_USER_AGENT"], config["NEWSWATCH_DOWNLOAD_DELAY"],
                      config["NEWSWATCH_ALLOW_PRIVATE_ADDRESSES"], config["NEWSWATCH_DOWNLOAD_TIMEOUT"])
    try:
        found = discover(args.url, fetcher)
    except DiscoveryError as exc:
        print(f"newswatch: discover: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        _print_json(found)
        return EXIT_OK
    for candidate in found["candidates"]:
        if candidate["kind"]:
            print(f"# {candidate['kind']:<13} {candidate['items']:>4} items, {candidate['recent']:>4} in 7 days, "
                  f"newest {candidate['newest'] or '-'}  {candidate['url']}")
    if not (found["feeds"] or found["sitemaps"]):
        print(f"newswatch: discover: no feed or news sitemap found on {args.url}", file=sys.stderr)
        return EXIT_FAILED
    print(outlets_table(found), end="")
    return EXIT_OK


def cmd_migrate(args, config) -> int:
    _print_json(_elasticsearch(config).migrate())
    return EXIT_OK


COMMANDS = {"run": cmd_run, "crawl": cmd_crawl, "extract": cmd_extract, "search": cmd_search,
            "outlets": cmd_outlets, "reindex": cmd_reindex, "reprocess": cmd_reprocess, "migrate": cmd_migrate,
            "prune": cmd_prune, "discover": cmd_discover}


def main(argv: list[str] | None = None) -> int:
    import settings
    from core.statedb import StateError
    from crawler.config.crawler_settings import check_crawler_settings
    from crawler.config.outlets import OutletsError
    from crawler.config.topics import TopicsError
    from index.protocol import BackendUnavailable
    from scheduler.lock import IndexLocked

    args = _parser().parse_args(argv)
    try:
        config = settings.load()
        check_crawler_settings(config)
        if args.command in ("run", "crawl"):
            _configure_logging(config["NEWSWATCH_LOG_LEVEL"])
        else:
            logging.basicConfig(level=logging.WARNING)
        status = COMMANDS[args.command](args, config)
        sys.stdout.flush()  # inside the try: a reader that went away is a BrokenPipeError here
        return status
    except (settings.SettingsError, OutletsError, TopicsError, UsageError, StateError) as exc:
        print(f"newswatch: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except IndexLocked as exc:
        print(f"newswatch: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except PortUnavailable as exc:
        print(f"newswatch: {exc}", file=sys.stderr)
        return EXIT_PORT_IN_USE
    except BackendUnavailable as exc:
        print(f"newswatch: the index is unavailable: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`newswatch search | head -1`): end quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
