"""The `newswatch` command. Exit status (also in `newswatch --help`): 0 done, 1 the index could
not be reached or some input could not be read, 2 a usage or settings error, 3 the embedded index
is held by a running daemon, 4 `crawl`: every feed and sitemap of an outlet failed, 130 stopped by
Ctrl-C, 5 `run`: the API's port is in use."""
from __future__ import annotations

import argparse
import logging
import os
import sys

import settings
from core.statedb import StateError
from core.version import VERSION
from crawler.config.outlets import OutletsError
from crawler.config.topics import TopicsError
from index.protocol import BackendUnavailable
from scheduler.commands.common import (EXIT_FAILED, EXIT_INTERRUPTED, EXIT_LOCKED, EXIT_OK, EXIT_PORT_IN_USE,
                                       EXIT_USAGE, UsageError)
from scheduler.commands.crawling import PortUnavailable, cmd_crawl, cmd_replay, cmd_run
from scheduler.commands.maintenance import cmd_migrate, cmd_prune, cmd_reindex, cmd_reprocess
from scheduler.commands.pages import cmd_discover, cmd_extract
from scheduler.commands.reading import cmd_outlets, cmd_search
from scheduler.compose import load_config
from scheduler.lock import IndexLocked

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
  3    the embedded index is held by a running daemon (use its API, or stop it; prune, reprocess
       and replay ask the daemon themselves, and exit 3 only when it does not answer)
  4    crawl: every feed and sitemap of at least one outlet failed
  5    run: the API's address (NEWSWATCH_API_HOST:NEWSWATCH_API_PORT) is in use or cannot be bound
  130  stopped by Ctrl-C"""


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
    replay = commands.add_parser(
        "replay", help="try the quarantined pages again (those that failed NEWSWATCH_PAGE_ATTEMPTS times)",
        description="Gives the quarantined pages (see `newswatch outlets`) their attempts back and processes them "
                    "now, from the state: nothing is fetched again. Prints one JSON summary per outlet, as crawl "
                    "does, with `replayed`. While the daemon runs, it is asked to do it through its API.",
        epilog=EXIT_HELP, formatter_class=formatter)
    replay.add_argument("--outlet", metavar="KEY", help="only this outlet's quarantined pages")
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

    configure_logging({"LOG_LEVEL": level, "LOG_FORMAT": settings.SCRAPY_BASE["LOG_FORMAT"]})
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


COMMANDS = {"run": cmd_run, "crawl": cmd_crawl, "extract": cmd_extract, "search": cmd_search,
            "outlets": cmd_outlets, "reindex": cmd_reindex, "reprocess": cmd_reprocess, "migrate": cmd_migrate,
            "prune": cmd_prune, "discover": cmd_discover, "replay": cmd_replay}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = load_config()
        if args.command in ("run", "crawl", "replay"):
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
