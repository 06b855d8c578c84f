"""Authors: the byline candidates of a page (JSON-LD authors, meta authors, the visible byline,
the line under the headline) cleaned and chosen. The outlet itself is not an author beside a
person; "Last, First" is turned round when another candidate writes the same person "First Last";
e-mail addresses give way to the name beside them, or are dropped; two people in one credit
("A und B") are two authors; a name the page credits as its editor is not the writer."""
from __future__ import annotations

import re
from itertools import islice

import lxml.html

from crawler.extraction.headline import is_site_name

EMAIL = re.compile(r"\S+@\S+\.\w+")
# "By", in the languages of the dev pages and a few more, after a genre word ("Analysis by").
BY_PREFIX = re.compile(r"^(?:(?:analysis|opinion|commentary|review|interview|story|words|reporting)\s+)?"
                       r"(?:by|von|por|par|di|da|av|af|door|przez|от|tekst|text|texto|текст|written by)\s*:?\s+",
                       re.IGNORECASE)
# A job title credited beside a person ("AP Sports Writer", "CNN Editor-at-large") or a degree
# after a name ("Ilana Muhlstein, MS, RDN") is that person's role, not another person; alone
# ("Guardian staff reporter") it is the credit.
ROLE_CREDIT = re.compile(r"\b(?:writer|editor|editor-at-large|correspondent|reporter|columnist|contributor|"
                         r"producer|critic|photographer|analyst)s?$", re.IGNORECASE)
CREDENTIAL = re.compile(r"^(?:Ph\.?D|M\.?D|MS|MA|MBA|MSc|BSc|RDN?|RN|JD|CFA|CPA)\.?$")
# Initials or a role in parentheses after a name: "Elena Oberholzer (obe)", "Jane Roe (AP)".
PARENTHESES = re.compile(r"\s*[(\[][^)\]]{0,40}[)\]]\s*")
# Two people in one string: "Felix Schröder und Jörg Soldwisch", "A og B", "A & B", "A, B and C".
CONJUNCTION = re.compile(r"\s+(?:and|und|og|och|y|e|et|en|i|ve|и|&)\s+|\s*[;、，/|]\s*|\s+&\s+", re.IGNORECASE)
NOT_A_NAME = re.compile(r"^(?:https?:|www\.|\d+$|[\W\d_]+$)")
# Who else a byline credits: "Redaktion"-style desks stay (a publisher's parser keeps them too),
# but the site's own name, URL-ish strings and numbers do not.
MAX_NAME_WORDS = 6
# "chuck-ross": a profile slug, not the name as written (another field usually has that).
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")
# A job title after a CJK name: "신현주 기자" (reporter), "山田太郎記者", "特派員".
ROLE_SUFFIX = re.compile(r"\s*(?:기자|특파원|선임기자|記者|特派員|编辑|記者\s*[:：])$")
SOURCE_ORDER = ["ld:article:author", "meta:author", "ld:webpage:author", "byline", "signature", "header",
                "source line", "feed", "extractor"]
# Where the publisher declares its author: only these may credit an organisation (a visible
# "byline" element naming a company is usually a logo or a footer).
DECLARED = {"ld:article:author", "meta:author", "ld:webpage:author", "feed"}
# Where crediting the outlet itself is a statement about this article: an author on the article's
# own structured data. A `<meta name="author">` naming the site is the template's default, the same
# on every page (it says who runs the site), and the byline, feed and extractor guesses repeat it.
OUTLET_CREDIT_SOURCES = {"ld:article:author", "ld:webpage:author"}
# A credit the page labels as the editor's: "Editor : Ann Lee", "（责编：牛镛、岳弘彬）", "Edited by …".
EDITOR_LABEL = re.compile(r"^[(（\[]?\s*(?:(?:责任编辑|责编|编辑|editor|editora|redaktur)\s*[:：]|"
                          r"edited by\b|editing by\b|editado por\b)\s*", re.IGNORECASE)
MAX_CREDIT_CHARS = 100
# The story's last paragraph crediting the outlet and its source: "Wochenblatt / Última Hora".
SOURCE_LINE = re.compile(r"^[^\W\d][\w.'’ -]{0,30}(?:\s*/\s*[^\W\d][\w.'’ -]{0,30}){1,2}$")
MIN_STORY_PARAGRAPHS = 3
# Between the headline and the story: the lines a reader takes for the byline. The zone ends at the
# second long block (a standfirst may come first); after the first, only a line saying "By …" counts.
LONG_BLOCK_WORDS = 20
MAX_HEADER_LINES = 15
LINE_BLOCKS = {"p", "div", "li", "address", "section", "header", "ul", "dd", "dt", "td", "h1", "h2", "h3",
               "h4", "h5", "h6", "figure", "blockquote", "article", "aside", "footer", "nav", "table", "form"}
# Not a byline whatever it says: headings (a kicker, a standfirst), captions and picture credits, controls.
NOT_HEADER = {"h2", "h3", "h4", "h5", "h6", "figure", "figcaption", "button", "nav", "form", "select", "label",
              "script", "style", "noscript", "template", "svg"}
NOT_HEADER_CLASS = re.compile(r"caption|credit|copyright|photo|image|media|share|social|breadcrumb", re.IGNORECASE)
HEADER_SEPARATOR = re.compile(r"\s*[|·•]\s*")
AUTHOR_MARK = re.compile(r"author|byline|writer|reporter|autor|penulis|\bname\b", re.IGNORECASE)


def _key(name: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", name.casefold()).split())


def _split(value: str) -> list[str]:
    value = BY_PREFIX.sub("", value.strip())
    value = PARENTHESES.sub(" ", value)
    value = EMAIL.sub(" ", value).strip(" ,;:-–—()<>")  # "Ann Lee <ann@x.test>" -> "Ann Lee"
    if not value:
        return []
    parts = [p.strip(" ,.;:-–—") for p in CONJUNCTION.split(value)]
    parts = [BY_PREFIX.sub("", p) for p in parts if p]
    # "Brazil, Rachel" is one person written surname first; "Ann Lee, Bo Kim" and "Jörg
    # Soldwisch, dpa" are two credits.
    out = []
    for part in parts:
        pieces = [p.strip() for p in part.split(",") if p.strip()]
        if len(pieces) == 2 and len(pieces[0].split()) == 1 and len(pieces[1].split()) <= 2:
            out.append(", ".join(pieces))
        else:
            out += pieces
    out = [ROLE_SUFFIX.sub("", p).strip() for p in out]
    return [p for p in out if p and not NOT_A_NAME.match(p) and not SLUG.match(p)
            and len(p.split()) <= MAX_NAME_WORDS]


def editor_credits(tree: lxml.html.HtmlElement) -> list[str]:
    """The names the page credits as editors, wherever they stand in the story's part of the page
    (often after it); not the site's masthead in the footer ("Editor: …" of the whole paper)."""
    names, read, in_masthead = [], set(), {}
    for text in tree.xpath("//body//text()[contains(., ':') or contains(., '：') or contains(., ' by')]"):
        if not EDITOR_LABEL.match(text.strip()):
            continue
        owner = text.getparent().getparent() if text.is_tail else text.getparent()
        if owner is None or owner in read:
            continue  # an element's text is read once, however many labels it holds
        read.add(owner)
        if owner.tag in ("script", "style") or _in_masthead(owner.getparent(), in_masthead):
            continue
        credit = short_text(owner, MAX_CREDIT_CHARS)
        label = EDITOR_LABEL.match(credit or "")
        if label:
            names += _split(credit[label.end():].strip(" )）]"))
    return _unique(names)


def _in_masthead(element, known: dict) -> bool:
    """Whether the element is, or stands in, a footer or the navigation; `known` keeps the answers
    for the elements passed on the way up, so a page's elements are each looked at once."""
    path = []
    while element is not None and element not in known:
        path.append(element)
        element = element.getparent()
    inside = known.get(element, False)
    for node in reversed(path):
        inside = inside or node.tag in ("footer", "nav") or "footer" in (node.get("class") or "")
        known[node] = inside
    return inside


def short_text(element, limit: int) -> str | None:
    """The element's text with its spaces normalised, or None when it is longer than `limit`
    (read no further than that: a label may stand in a whole page's text), or has more pieces
    than characters allowed (a deep page's blank start is read once per level otherwise)."""
    chunks, size = [], 0
    for chunk in element.itertext():
        chunks.append(chunk)
        size += len(" ".join(chunk.split()))
        if size > limit or len(chunks) > limit:
            return None
    text = " ".join("".join(chunks).split())
    return text if len(text) <= limit else None


def source_line(tree: lxml.html.HtmlElement) -> str | None:
    """The last paragraph of the story when it is a credit line of names joined by "/"; whether
    one of them is the outlet (which makes it a source credit) is for choose_authors to see."""
    candidates = tree.xpath("//body//p[contains(., '/')]")
    # each story's paragraphs are counted once, not once per candidate (a page of many "a / b"
    # lines would cost the square of its size)
    story_length = {}
    for story in dict.fromkeys(p.getparent() for p in candidates):
        shown = [p for p in story.findall("p") if p.text_content().strip()]
        if len(shown) >= MIN_STORY_PARAGRAPHS:
            story_length[shown[-1]] = len(shown)
    best, most = None, 0
    for paragraph in candidates:
        if story_length.get(paragraph, 0) > most:
            text = " ".join(paragraph.text_content().split())
            if SOURCE_LINE.match(text):
                best, most = text, story_length[paragraph]
    return best


def _segments(element):
    """(text, the element holding it) in reading order, nested blocks and hidden parts left out."""
    yield element.text or "", element
    for child in element:
        if isinstance(child.tag, str) and child.tag not in LINE_BLOCKS and not _hidden_from_byline(child, 0):
            yield from _segments(child)
        yield child.tail or "", element


def _is_connector(text: str) -> bool:
    """Punctuation, "and", "By": what joins the parts of one credit rather than starting another."""
    words = re.findall(r"\w{2,}", text)
    return not words or bool(CONJUNCTION.fullmatch(f" {text.strip()} ") or BY_PREFIX.fullmatch(f"{text.strip()} "))


def _line(block) -> str:
    """A block's own text, its nested blocks left out: what the reader sees as one line. Texts of
    two different elements side by side ("<span>Ann Lee</span><span>Korrespondent</span>") are
    two fields of it, kept apart by " | ", unless one of them only joins ("and", ",", "By")."""
    out, previous, gap = [], None, ""
    for text, owner in _segments(block):
        if not text.strip():
            out.append(text)
            gap += text
            continue
        spaced = bool(gap) or text[:1].isspace() or bool(previous and previous[0][-1:].isspace())
        # a one-word piece after a space continues the name (a surname in a span of its own)
        if previous is not None and previous[1] is not owner and not _is_connector(previous[0]) \
                and not _is_connector(text) and not (spaced and len(text.split()) == 1):
            out.append(" | ")
        out.append(text)
        previous, gap = (text, owner), ""
    return " ".join("".join(out).split())


def _hidden_from_byline(element, levels: int = 3) -> bool:
    for node in [element, *islice(element.iterancestors(), levels)]:
        if node.tag in NOT_HEADER or NOT_HEADER_CLASS.search(node.get("class") or ""):
            return True
    return False


def _headline(tree: lxml.html.HtmlElement, titles: list[str]):
    """The H1 that is the story's headline: the first one another title field repeats (a logo or
    a section name in an H1 is not), or the first long one when the page has no other title."""
    h1s = [h for h in tree.xpath("//body//h1") if len(h.text_content().strip()) >= 10]
    keys = {_key(t) for t in titles} - {""}
    if not keys:
        return h1s[0] if h1s else None
    for h1 in h1s:
        shown = _key(h1.text_content())
        if shown and any(shown in k or k in shown for k in keys):
            return h1
    return None


def _header_lines(tree: lxml.html.HtmlElement, titles=()) -> list[tuple[str, bool, lxml.html.HtmlElement]]:
    """The lines between the headline and the story, in document order, up to the second long
    block; each with whether a long block (a standfirst, the first paragraph) came before it, and
    its element."""
    headline = _headline(tree, titles)
    if headline is None:
        return []
    inside = set(headline.iter())
    lines, after, long_blocks = [], False, 0
    for element in headline.getroottree().getroot().iter():
        if element is headline:
            after = True
        if not after or element in inside or element.tag not in LINE_BLOCKS or _hidden_from_byline(element):
            continue
        line = _line(element)
        if not line:
            continue
        if len(re.findall(r"\w+", line)) >= LONG_BLOCK_WORDS:
            long_blocks += 1
            if long_blocks >= 2:
                break
        lines.append((line, long_blocks > 0, element))
        if len(lines) >= MAX_HEADER_LINES:
            break
    return lines


def header_credits(tree: lxml.html.HtmlElement, titles: list[str] = ()) -> list[str]:
    """The byline as a reader sees it under the headline when no markup names it: "AFP, MANILA",
    "Ann Lee | 05.04.2025", "By TPN, in News, Business · 31 Jan 2025" (a standfirst may stand
    before it, so after one long block only a line saying "By …" counts)."""
    for line, after_long, block in _header_lines(tree, titles):
        fields = HEADER_SEPARATOR.split(line)
        first = fields[0].strip(" ,;-–—")
        if BY_PREFIX.match(first):
            names = []
            for part in re.split(r"\s*,\s*", BY_PREFIX.sub("", first)):
                found = _split(part)
                # after the first credit, a single word is a dateline ("By Ann Lee, Nairobi"); a
                # date run into the name ("By Ann Lee Updated Nov 13") leaves the line unread
                if not found or not all(n[:1].isupper() and not any(ch.isdigit() for ch in n)
                                        and (not names or looks_like_name(n)) for n in found):
                    break
                names += found
            if names:
                return names
        elif (not after_long and ":" not in first and not any(ch.isdigit() for ch in first)
              and any(ch.isupper() for ch in first) and looks_like_name(first)
              and (len(fields) > 1 or AUTHOR_MARK.search(f"{block.get('class')} {block.get('id')}"))):
            # A name alone is not enough ("Key Points", "Customer Service" look like one): it
            # must stand as the first field of a line ("Ann Lee | 05.04.2025") or in an element
            # marked as the author's. Capitals are what tell a name from a label: in a script
            # without them ("小字号", "新規登録") a short line is as likely a button as a person.
            return _split(first)
    return []


def looks_like_name(text: str) -> bool:
    """What a visible byline must look like to count: two to four capitalised words, or a short
    run of a script without capitals (CJK)."""
    if not any(ch.isalpha() and ch.isascii() for ch in text) and not any(ch.isupper() for ch in text):
        return 1 < len(text) <= 12 and not any(ch.isdigit() for ch in text)
    words = text.split()
    return 2 <= len(words) <= 4 and all(w[0].isupper() for w in words) and not text.isupper() or (
        2 <= len(words) <= 4 and text.isupper() and all(len(w) > 1 for w in words))


def is_outlet_account(name: str, site_keys: set[str]) -> bool:
    """The site's name, or a CMS account named after it: "Ilanga D" on Ilanga News, a single-letter
    initial is not what tells a person from a site."""
    if is_site_name(name, site_keys):
        return True
    words = [w for w in name.split() if len(w.strip(".")) > 1]
    return 0 < len(words) < len(name.split()) and is_site_name(" ".join(words), site_keys)


def _uninvert(name: str, known: set[str]) -> str:
    if "," not in name:
        return name
    last, _, first = name.partition(",")
    turned = f"{first.strip()} {last.strip()}"
    return turned if _key(turned) in known else name


def choose_authors(candidates: list[tuple[str, list[str]]], organisations, site_keys: set[str]) -> list[str]:
    """The credits of the most trusted candidate list that names someone other than the outlet.
    The outlet's own name (or an account named after it) never stands beside a person, nor
    before the byline a reader sees under the headline; when the page credits nobody but the
    outlet in the article's structured data, that credit is what the page says and is kept
    (publishers' own parsers keep it: 13 of 16 such dev pages); a meta tag naming the site is not
    such a credit. An agency or desk named in a declared author field ("dpa", "MND Staff") stays,
    as those parsers keep it too.
    A name the page credits as its editor is not the writer (CMSs often file the story under the
    editor's account); the editors are the credit only when the page names no one else. A name
    that is one of the page's sections ("Nachrichten") is an account named after it, no person.
    A closing "Outlet / Source" line credits the source, and only when it names the outlet.
    The editors and the sections come as the candidates "editor" and "section"."""
    editors = [name for source, names in candidates if source == "editor" for name in names]
    sections = [name for source, names in candidates if source == "section" for name in names]
    candidates = [c for c in candidates if c[0] not in ("editor", "section")]
    organisation_keys = {_key(o) for o in organisations if o}
    editor_keys = {_key(e) for e in editors}
    section_keys = {_key(s) for s in sections if s}
    order = {source: index for index, source in enumerate(SOURCE_ORDER)}
    people_lists, outlet_credits = [], []
    for source, names in sorted(candidates, key=lambda c: order.get(c[0], len(order))):
        people = []
        for raw in names:
            split = _split(raw)
            if source == "source line" and not any(is_outlet_account(n, site_keys) for n in split):
                continue
            for name in split:
                if _key(name) in editor_keys or _key(name) in section_keys:
                    continue
                if is_outlet_account(name, site_keys):
                    if source in OUTLET_CREDIT_SOURCES:
                        outlet_credits.append(name)
                elif source not in DECLARED and (_key(name) in organisation_keys
                                                 or source != "header" and not looks_like_name(name)):
                    continue  # a visible element naming a company (a logo), initials, a form label
                else:
                    people.append(name)
        roles = [name for name in people if ROLE_CREDIT.search(name) or CREDENTIAL.match(name)]
        if len(roles) < len(people):
            people = [name for name in people if name not in roles]
        if people:
            people_lists.append((source, people))
    if not people_lists:
        return editors or outlet_credits[:1]
    known = {_key(n) for _, people in people_lists for n in people if "," not in n}
    return _unique(_uninvert(n, known) for n in people_lists[0][1])


def _unique(names) -> list[str]:
    seen, out = set(), []
    for name in names:
        if _key(name) not in seen:
            seen.add(_key(name))
            out.append(name)
    return out
