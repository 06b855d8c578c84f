"""`newswatch reprocess`, `prune`, `reindex` and `migrate`: work on the index and the state that
needs the writer lock. While a daemon holds it, reprocess and prune are asked of the daemon
through its admin API instead."""
from __future__ import annotations

import contextlib
import json
import sys
import urllib.error
import urllib.request

from crawler.archive import PageArchive
from crawler.retention import prune, storage_report
from crawler.state import CrawlState
from index.query import QueryError, parse_date_param
from scheduler.commands.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, print_json
from scheduler.compose import configured_outlets, state_db, wired, writer_lock
from scheduler.lock import IndexLocked


def elasticsearch(config, db=None):
    from index.es.backend import ElasticsearchBackend

    if not config["ELASTICSEARCH_URL"]:
        raise UsageError("setting ELASTICSEARCH_URL: required for this command")
    return ElasticsearchBackend.from_config(config, db)


def cmd_reindex(args, config) -> int:
    """Copies every article of the embedded index into Elasticsearch, batch by batch; the
    position reached is kept in the crawl state, so a second run resumes (copies are upserts by
    id, so a batch copied twice is harmless)."""
    from index.tantivy.backend import TantivyBackend

    with contextlib.ExitStack() as opened:
        source = opened.enter_context(contextlib.closing(
            TantivyBackend(config["NEWSWATCH_DATA_DIR"] / "index", writable=False)))
        db = opened.enter_context(contextlib.closing(state_db(config)))
        target = opened.enter_context(contextlib.closing(elasticsearch(config, db)))
        return copy_articles(source, target, CrawlState(db))


def copy_articles(source, target, state) -> int:
    from tqdm import tqdm

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

    try:
        since = parse_date_param("since", args.since) if args.since else None
    except QueryError as exc:
        raise UsageError(f"--since: {exc.message}") from None
    outlets = configured_outlets(config)
    if args.outlet and args.outlet not in outlets:
        raise UsageError(f"unknown outlet {args.outlet!r}")
    try:
        lock = writer_lock(config).acquire()
    except IndexLocked as held:
        status = ask_daemon(config, "/reprocess", {"since": args.since, "outlet": args.outlet,
                                                    "outdated": args.outdated}, held)
        print("newswatch: the running daemon reprocesses the pages; its log gives the counts", file=sys.stderr)
        return status
    with lock, wired(config, writable=True) as wiring:
        with tqdm(unit="page", desc="reprocess", file=sys.stderr) as bar:
            counts = reprocess.run(config, outlets, wiring.backend, wiring.state,
                                   PageArchive(config["NEWSWATCH_DATA_DIR"] / "pages"), since, args.outlet, bar,
                                   outdated=args.outdated)
    print_json(counts)
    return EXIT_OK


def cmd_prune(args, config) -> int:
    """Applies the retention settings now (the daemon does it daily) and prints what went and
    what the data directory holds."""
    from crawler.stories.copies import DuplicateIndex

    try:
        lock = writer_lock(config).acquire()
    except IndexLocked as held:
        return ask_daemon(config, "/prune", None, held)
    with lock, wired(config, writable=True) as wiring:
        archive = PageArchive(config["NEWSWATCH_DATA_DIR"] / "pages")
        counts = prune(config, wiring.db, wiring.backend, archive, DuplicateIndex(wiring.db))
        wiring.backend.commit()
        print_json({"pruned": counts, **storage_report(wiring.db, archive)})
    return EXIT_OK


def cmd_migrate(args, config) -> int:
    with contextlib.closing(state_db(config)) as db, contextlib.closing(elasticsearch(config, db)) as backend:
        print_json(backend.migrate())
    return EXIT_OK


def ask_daemon(config, path: str, body: dict | None, held: Exception) -> int:
    """The daemon holds the index: the command is asked of it, through its admin API (with the
    first admin key, when keys are set). Its answer is printed as the command's own."""
    host, port = config["NEWSWATCH_API_HOST"], config["NEWSWATCH_API_PORT"]
    host = "127.0.0.1" if host in ("0.0.0.0", "") else "[::1]" if host == "::" else host
    headers = {"Content-Type": "application/json"}
    if config["NEWSWATCH_ADMIN_KEYS"]:
        headers["Authorization"] = f"Bearer {config['NEWSWATCH_ADMIN_KEYS'][0]}"
    request = urllib.request.Request(f"http://{host}:{port}{path}", method="POST", headers=headers,
                                     data=json.dumps(body or {}).encode("utf-8"))
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            print_json(json.loads(response.read()))
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
