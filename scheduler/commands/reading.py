"""`newswatch search` and `newswatch outlets`: read the index and the crawl state, never write."""
from __future__ import annotations

import sys

from core.dates import duration_text
from core.statedb import state_path
from index.cursors import Cursors, load_key
from index.query import QueryError, parse_search_params
from index.search import run_search
from scheduler.commands.common import EXIT_OK, EXIT_USAGE, UsageError, print_json
from scheduler.compose import configured_outlets, configured_topics, wired
from web.health import outlets_report


def require_data(config) -> None:
    """Reading commands never create an empty index where a mistyped path points."""
    if not state_path(config["NEWSWATCH_DATA_DIR"]).exists():
        raise UsageError(f"setting NEWSWATCH_DATA_DIR={str(config['NEWSWATCH_DATA_DIR'])!r}: no newswatch data there "
                         "(nothing crawled yet, or another directory was meant)")


def search_params(args) -> list[tuple[str, str]]:
    """The command line as GET /search's parameters: one model checks both."""
    params = [("q", args.query)] + [("entity", e) for e in args.entity] + [("outlet", o) for o in args.outlet]
    params += [("topic", t) for t in args.topic]
    for name in ("language", "since", "until", "sort", "size", "cursor", "histogram", "tz"):
        if getattr(args, name) is not None:
            params.append((name, getattr(args, name)))
    if args.duplicates:
        params.append(("duplicates", "include"))
    return params


def cmd_search(args, config) -> int:
    require_data(config)
    cursors = Cursors(load_key(config["NEWSWATCH_DATA_DIR"], config["NEWSWATCH_CURSOR_KEY"]))
    try:
        with wired(config, writable=False) as wiring:
            outlets = configured_outlets(config)
            topics = configured_topics(config, outlets)
            # The API's parser and checks (index.query.SearchParameters): the CLI refuses what /search refuses.
            query = parse_search_params(search_params(args), names=wiring.names, cursors=cursors,
                                        outlets=set(outlets), topics=set(topics),
                                        kept_outlets=wiring.state.articles_by_outlet)
            result = run_search(wiring.backend, query, cursors)
    except QueryError as exc:
        print(f"newswatch: {exc.parameter}: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print_json(result)
        return EXIT_OK
    print_hits(result, args.duplicates, query.histogram)
    return EXIT_OK


def print_hits(result: dict, duplicates: bool, histogram: str | None) -> None:
    print(f"{result['total']} {'story' if result['total'] == 1 else 'stories'}"
          f"{' (copies included)' if duplicates else ''}")
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
        print(f"\nper {histogram}:")
        for bucket in result["histogram"]:
            print(f"  {bucket['value']}  {bucket['count']}")
    if result["next_cursor"]:
        print(f"\nmore: --cursor {result['next_cursor']}")


def cmd_outlets(args, config) -> int:
    require_data(config)
    with wired(config, writable=False) as wiring:
        report = outlets_report(configured_outlets(config), wiring.state, wiring.backend.backlog())
        reduced = [] if args.json else wiring.backend.reduced_mode()
    if args.json:
        print_json(report)
        return EXIT_OK
    for line in reduced:  # a cluster without some optional modules (README, Elasticsearch)
        print(f"Elasticsearch reduced mode: {line}")
    print_outlets(report)
    return EXIT_OK


def when(value) -> str:
    return (value or "-").replace("T", " ").replace("Z", " UTC")


def print_outlets(report: list[dict]) -> None:
    for row in report:
        per_day = " ".join(str(n) for n in row["articles_per_day"])
        print(f"{row['key']:<16} {row['status']:<8} {row['articles']:>6} articles  {row['errors']:>4} errors  "
              f"last poll {when(row['last_poll_at'])}  per day (7d): {per_day}")
        if row["volume_drop"]:
            print(f"{'':17}VOLUME DROP: {row['volume_drop']}")
        if row["owed"]:
            print(f"{'':17}{row['owed']} fetched {'page waits' if row['owed'] == 1 else 'pages wait'} to be stored "
                  "(tried again by the next crawl)")
        if row["quarantined"]:
            print(f"{'':17}QUARANTINED: {row['quarantined']} {'page' if row['quarantined'] == 1 else 'pages'} "
                  f"failed every try; `newswatch replay --outlet {row['key']}` tries them again")
            for page in row["quarantine"]:
                print(f"{'':25}{page['url']}  ({page['attempts']} tries, quarantined "
                      f"{when(page['quarantined_at'])}): {page['last_error']}")
        for source in row["sources"]:
            interval = duration_text(source["interval"])
            print(f"{'':17}{source['kind']:<8}{source['status']:<8} every {interval:<6} "
                  f"last success {when(source['last_success_at'])}  {source['url']}")
            if source["paused_reason"]:
                print(f"{'':25}paused until {when(source['next_poll_at'])}: {source['paused_reason']}")
            elif source["last_error"]:
                print(f"{'':25}last error {when(source['last_error_at'])}: {source['last_error']}")
