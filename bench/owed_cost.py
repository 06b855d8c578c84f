"""What keeping a crawl's work in the state costs per article (issue 33, items 0 and 6): the page
kept as owed work with its body (crawler/owed.py), the article held in flight from its dedupe
decision to its commit (crawler/stories/in_flight.py: hold, three reads of its story fields,
one rewrite, `stored`), and the commit that settles both. Measured on the serial thread's own
work, in CPU seconds of this process, against what main already wrote to the state per new
article on the same thread (its dedupe signature, its related-report words, its commit record)
— a baseline measured in the same run, so the ratio is the figure to quote.

    .venv/bin/python bench/owed_cost.py [--articles 2000] [--commit-every 50]

The pages are the test fixtures' two real article pages (about 60 and 250 kB), alternating."""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.article import new_article  # noqa: E402
from core.statedb import StateDB  # noqa: E402
from crawler.commits import CommitRecord  # noqa: E402
from crawler.extraction.extract import extract_page  # noqa: E402
from crawler.items import CrawledItem  # noqa: E402
from crawler.owed import OwedPages  # noqa: E402
from crawler.state import CrawlState  # noqa: E402
from crawler.stories.copies import DuplicateIndex, fingerprint  # noqa: E402
from crawler.stories.in_flight import InFlight  # noqa: E402
from crawler.stories.related import term_counts  # noqa: E402

PAGES = ("rfa_article.html", "newsweek_article.html")


def articles(count: int):
    """(item, article, fingerprint, words) for `count` pages: the fixtures, each under its own URL."""
    pages = []
    for name in PAGES:
        body = (ROOT / "tests" / "fixtures" / name).read_bytes()
        fields = extract_page(body, f"https://example.org/{name}")
        pages.append((body, fields, fingerprint(fields["text"]), set(term_counts(fields["text"]))))
    for n in range(count):
        body, fields, fp, words = pages[n % len(pages)]
        url = f"https://example.org/{n}/{PAGES[n % len(PAGES)]}"
        item = CrawledItem(outlet="bench", url=url, feed={"url": url, "title": fields["title"]},
                           fetched_at="2025-11-05T10:00:00Z", body=body, content_type="text/html",
                           url_keys=[f"example.org/{n}", url])
        article = new_article(id=f"a{n}", outlet="bench", url=url, title=fields["title"], text=fields["text"],
                              content_hash=f"h{n}", published_at="2025-11-05T10:00:00Z")
        yield item, article, fp, words


def run(folder: Path, count: int, commit_every: int, with_owed: bool) -> float:
    db = StateDB(folder / "state.sqlite3")
    state, dedupe, owed, in_flight = CrawlState(db), DuplicateIndex(db), OwedPages(db), InFlight(db)
    record = CommitRecord(db, state, in_flight, owed) if with_owed else state
    work = list(articles(count))
    batch = []
    started = time.process_time()
    for item, article, fp, words in work:
        if with_owed:
            owed.keep(item)
        dedupe.add(article["id"], fp)
        if with_owed:
            in_flight.hold(article)
        state.count_terms(words)
        if with_owed:
            for _ in range(3):  # related, topics, store read its story fields afresh
                in_flight.get(article["id"])
            in_flight.save(article)
            in_flight.stored(article)
        batch.append((article, item.url_keys, None))
        if len(batch) >= commit_every:
            record.record_committed(batch)
            batch = []
    if batch:
        record.record_committed(batch)
    seconds = time.process_time() - started
    db.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--commit-every", type=int, default=50)
    args = parser.parse_args()
    results = {}
    for with_owed in (False, True, False, True):  # interleaved: the machine's drift hits both
        with tempfile.TemporaryDirectory() as tmp:
            results.setdefault(with_owed, []).append(run(Path(tmp), args.articles, args.commit_every, with_owed))
    main_cost, owed_cost = min(results[False]), min(results[True])
    per = 1e6 / args.articles
    print(f"{args.articles} articles, a commit every {args.commit_every}; CPU of the serial thread's state work")
    print(f"  main's state writes per article      {main_cost * per:8.0f} us")
    print(f"  with owed pages and in-flight rows   {owed_cost * per:8.0f} us")
    print(f"  added per article                    {(owed_cost - main_cost) * per:8.0f} us "
          f"(x{owed_cost / main_cost:.2f} of main's state work)")


if __name__ == "__main__":
    main()
