"""Lines of an extracted body that are not the article: the headline again, a byline, an agency
credit in the dateline, credit, copyright and source lines. The stored text (and so its
snippets) leaves them out; the entity stage does not analyse them either."""
from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.gazetteer import US_STATE_ABBREVIATIONS, place

CREDIT_LINE = re.compile(
    r"^(?:©|\(c\)\s|copyright\b|(?:main |lead )?(?:image|photo|picture)s? (?:credit|by)\b|this (?:article|story) "
    r"(?:was|is) (?:originally )?(?:published|republished)|read the original|\(graphic:|staff reports?$|disclaimer$|"
    r"(?:additional )?reporting by\b|editing by\b|writing by\b|all rights reserved)|all rights reserved\.?$|"
    r"\[\s*[^\]]{2,40}\s*\]$", re.IGNORECASE)
BYLINE = re.compile(r"^(?:[Bb][Yy]\s+[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3}|[A-Z][\w.'’ -]{1,40}\s+staff)$")
# "ST. JOSEPH, Mich. (AP) —", "BUFFALO, N.Y. —", "Indianapolis –", "KYIV (Newswire) —"
DATELINE = re.compile(r"^(?P<city>[A-Z][A-Za-z.'’ -]{1,30}?)(?:,\s*(?P<region>[A-Z][A-Za-z. ]{1,20}?))?"
                      r"\s*(?:\((?P<credit>[^)]{1,40})\))?\s*[—–]\s+|^(?P<city2>[A-Z][A-Z.'’ -]{2,30}?)"
                      r"(?:,\s*(?P<region2>[A-Z][A-Za-z. ]{1,20}?))?\s*(?:\((?P<credit2>[^)]{1,40})\))?\s+-{1,2}\s+")


@dataclass
class Dateline:
    city: str
    region: str
    credit: tuple[int, int] | None  # where the agency credit's parentheses are
    end: int  # where the report itself starts


def dateline(paragraph: str) -> Dateline | None:
    """The dateline opening a paragraph. Its place is in capitals, known, or followed by its
    state: not any opening words before a dash ("Two hostages — an American and ...")."""
    match = DATELINE.match(paragraph)
    if not match:
        return None
    city = (match.group("city") or match.group("city2") or "").strip()
    region = (match.group("region") or match.group("region2") or "").strip()
    if len(city.split()) > 4 or not (city.isupper() or region in US_STATE_ABBREVIATIONS or place(city)):
        return None
    group = "credit" if match.group("credit") else "credit2" if match.group("credit2") else None
    credit = match.span(group) if group else None
    return Dateline(city, region, (credit[0] - 1, credit[1] + 1) if credit else None, match.end())


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


LEAD_PARAGRAPH = 120  # a line this long is the story's text, not a caption or a player's label
SITE_TAIL = 30  # what may follow a repeated headline: " | site name"
# A line counts as seen when it has this many words (or characters, for scripts without spaces):
# shorter ones ("Q:", "Advertisement", "-") may repeat anywhere in a story.
REPEATED_WORDS, REPEATED_CHARS = 6, 40
# A line that is only an address or a machine timestamp: a structured-data value rendered as text.
MACHINE_LINE = re.compile(r"^(?:https?://\S+|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)$")


def _once(lines: list[str]) -> list[str]:
    """The lines without a second copy of a passage: a page that carries its story twice (a
    hidden copy for another template, an app's state rendered as text) gives the extractor both.
    A copy is two or more lines in a row seen before; one line seen before stays (an interview
    that asks each guest the same question)."""
    keys = [_normal(line) for line in lines]
    seen: set[str] = set()
    repeated = []
    for key in keys:
        repeated.append(key in seen)
        if len(key.split()) >= REPEATED_WORDS or len(key) >= REPEATED_CHARS:
            seen.add(key)
    kept = []
    for i, line in enumerate(lines):
        in_copy = repeated[i] and ((i > 0 and repeated[i - 1]) or (i + 1 < len(lines) and repeated[i + 1]))
        if not in_copy:
            kept.append(line)
    return kept


def _repeats(line: str, heads: set[str]) -> bool:
    """The line is one of the headlines, alone or with the site's name after it ("Headline | site").
    Looked up, not compared with each: a page may state a headline per story it lists."""
    if line in heads:
        return True
    return any(line[end] == " " and line[:end] in heads for end in range(max(1, len(line) - SITE_TAIL), len(line)))


def clean_body(text: str, title: str | None = None, authors: list[str] | None = None,
               headlines: list[str] | None = None) -> str:
    """`text` without the headline repeated as its first line or before its first paragraph
    (a player's label) — the chosen title or another headline the page states (`headlines`: its
    H1, its sharing or structured-data headline, often worded differently) —, a leading byline
    ("By Ann Lee", "Newswire staff", an author's name alone), the agency credit of its dateline
    ("KYIV (Newswire) —" -> "KYIV —"), credit or copyright lines, a passage the page carries twice
    and lines that are only an address or a machine timestamp."""
    lines = [line.strip() for line in text.split("\n")]
    lines = [line for line in lines if line]
    authors = {_normal(a) for a in authors or [] if a}
    heads = {_normal(h) for h in [title, *(headlines or [])] if h and _normal(h)}
    while lines and (_normal(lines[0]) in heads or BYLINE.match(lines[0])
                     or _normal(lines[0]) in authors or _normal(lines[0]).removeprefix("by ") in authors):
        lines.pop(0)
    if heads:
        # Before the story's first paragraph, a video player or a gallery repeats the headline,
        # alone or with the site's name after it ("Headline | site").
        first_paragraph = next((i for i, line in enumerate(lines) if len(line) >= LEAD_PARAGRAPH), len(lines))
        lines = [line for i, line in enumerate(lines)
                 if i >= first_paragraph or not _repeats(_normal(line), heads)]
    lines = [line for line in _once(lines) if not CREDIT_LINE.search(line) and not MACHINE_LINE.match(line)]
    found = dateline(lines[0]) if lines else None
    if found is not None and found.credit is not None:
        start, end = found.credit
        lines[0] = (lines[0][:start].rstrip() + " " + lines[0][end:].lstrip()).strip()
    return "\n".join(lines)
