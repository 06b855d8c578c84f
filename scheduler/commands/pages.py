"""`newswatch extract` (saved pages through extraction and entities, no network, no index) and
`newswatch discover` (a site's feeds and news sitemaps, as an outlets.toml table)."""
from __future__ import annotations

import gzip
import json
import sys

from crawler.entities.names import names_path
from scheduler.commands.common import EXIT_FAILED, EXIT_OK, UsageError, print_json


def extract_jobs(args) -> list[tuple[str, str | None]]:
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
    # The extraction stack (trafilatura, lxml parsers) loads only for the command that uses it.
    from crawler.entities.stage import tag_entities
    from crawler.extraction.extract import extract_page

    jobs = extract_jobs(args)
    names = names_path(config)
    status = EXIT_OK
    for path, url in jobs:
        try:
            with open(path, "rb") as page:
                body = page.read()
            if path.endswith(".gz"):
                body = gzip.decompress(body)
            article = extract_page(body, url=url)
            entities = None
            if not args.no_entities:
                entities, _ = tag_entities(article["text"], article["title"], article["language"],
                                           config["NEWSWATCH_NER_MODELS"], names)
        except Exception as exc:  # one bad file never stops the others
            print_json({"source": path, "error": f"{type(exc).__name__}: {exc}"})
            status = EXIT_FAILED
            continue
        record = {"source": path, "url": article["url"], "title": article["title"], "text": article["text"],
                  "authors": article["authors"], "published_at": article["published_at"],
                  "language": article["language"]}
        if entities is not None:
            record["entities"] = entities
        print_json(record)
    return status


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
        print_json(found)
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
