"""The article body: trafilatura's answer, checked against what else the page says about its text.

- Long pages split their body into chunks between ads and recirculation blocks; trafilatura then
  keeps the first chunk and loses the rest. When the publisher's JSON-LD `articleBody` holds
  much more text than the extraction, the page's paragraphs that belong to that articleBody are
  collected in document order (all chunks), or, failing that, the articleBody itself is used.
- When the extraction is short and the page's own markup (`itemprop="articleBody"`, an
  article-body class) holds half as much again, that marked body is taken: the extractor took a
  paywall's teaser copy or one chunk.
- Pages rendered by JavaScript carry no body in their HTML, only in the embedded state the
  script hydrates (`window.__STATE__ = {...}`, Next.js data). When extraction finds nothing, the
  longest prose-like HTML or text string in the page's scripts is the body.
- Other stories' teasers (a paragraph inside a link) and a closing list of links ("Related:")
  leave the extraction, and so do the next stories a page appends below its own (several
  top-level <article> elements, each with its headline: the page's story is the first)."""
from __future__ import annotations

import json
import re

import lxml.etree
import lxml.html
import trafilatura

from crawler.extraction.bylines import short_text
from crawler.extraction.language import weighted_length

# The extraction is trusted unless the JSON-LD body is this much longer (a teaser-length
# extraction of a long story). Lengths here compare texts of one page, so plain characters do.
ARTICLE_BODY_RATIO = 2.0
MIN_ARTICLE_BODY = 1000
# The page's own article-body markup wins when it holds this much more than a short extraction.
MARKED_BODY_RATIO = 1.5
MIN_PARAGRAPH = 25  # a DOM paragraph shorter than this is not matched against the articleBody
PARAGRAPH_COVERAGE = 0.8  # the matched paragraphs must hold this share of the articleBody
STRING_LITERAL = re.compile(r'"((?:[^"\\]|\\.){400,})"')
SENTENCE_END = re.compile(r"[.!?。！？]|다\.|다\s")
BLOCK_TAGS = ("p", "h2", "h3", "h4", "li", "blockquote")
STANDFIRST_TAGS = {"p", "div", "h2", "span", "li"}
WORD_CHARACTER = re.compile(r"\w")
# The body's own markup: schema.org microdata, or a class token naming the article body exactly
# (not "l-article-body-segment", a layout band that holds the sidebar too).
BODY_CLASSES = ("articleBody", "article-body", "article__body", "story-body", "story__body")
MARKED_BODY = "//*[@itemprop='articleBody'] | //*[" + " or ".join(
    f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')" for name in BODY_CLASSES) + "]"

def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def _html_text(fragment: str) -> str:
    """Text of an HTML fragment, one line per block (a <br> also ends a line)."""
    if "<" not in fragment:
        return "\n".join(" ".join(line.split()) for line in fragment.splitlines() if line.strip())
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return ""
    for bad in root.xpath(".//script | .//style | .//figure | .//figcaption"):
        bad.drop_tree()
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    for block in root.iter(*BLOCK_TAGS, "div"):
        block.tail = "\n" + (block.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().split("\n"))
    return "\n".join(line for line in lines if line)


def trafilatura_text(html: str, url: str | None) -> str:
    # From the HTML, not our tree: trafilatura parses with its own parser settings.
    document = trafilatura.bare_extraction(html, url=url, include_comments=False)
    return ((document.as_dict() if document is not None else {}).get("text") or "").strip()


def from_article_body(tree: lxml.html.HtmlElement, article_body: str) -> str:
    """The page's paragraphs that are part of the JSON-LD articleBody, else the articleBody."""
    body_text = _html_text(article_body)
    body_words = _words(body_text)
    paragraphs, covered = [], 0
    for text in _blocks(tree):
        words = _words(text)
        if len(words) >= MIN_PARAGRAPH and words in body_words and text not in paragraphs:
            paragraphs.append(text)
            covered += len(words)
    if covered >= PARAGRAPH_COVERAGE * len(body_words):
        return "\n".join(paragraphs)
    return body_text


def _blocks(element) -> list[str]:
    out = []
    for block in element.iter(*BLOCK_TAGS):
        if any(a.tag in BLOCK_TAGS for a in block.iterancestors()):
            continue
        text = " ".join(block.text_content().split())
        if text:
            out.append(text)
    return out


def from_marked_body(tree: lxml.html.HtmlElement) -> str:
    """The paragraphs of the elements the page itself marks as the article body (schema.org
    `itemprop="articleBody"`, the common article-body class names), the largest group of
    elements sharing one class taken together (a body in several chunks)."""
    groups: dict[str, list] = {}
    for element in tree.xpath(MARKED_BODY):
        if any(a in groups.get(key, ()) for key in groups for a in element.iterancestors()):
            continue
        groups.setdefault(element.get("itemprop") or element.get("class") or "", []).append(element)
    best = ""
    for elements in groups.values():
        text = "\n".join(line for element in elements for line in _blocks(element))
        if len(text) > len(best):
            best = text
    return best


def from_embedded_state(tree: lxml.html.HtmlElement) -> str:
    best, best_length = "", 0
    for script in tree.xpath("//script[not(@src)]"):
        source = script.text or ""
        if script.get("type") == "application/ld+json" or len(source) < 400:
            continue
        for match in STRING_LITERAL.finditer(source):
            try:
                value = json.loads(f'"{match.group(1)}"')
            except ValueError:
                continue
            if "<" not in value and "\n" not in value:
                continue
            text = _html_text(value)
            if len(SENTENCE_END.findall(text)) < 3 or text.count("{") + text.count(";") > len(text) / 80:
                continue
            length = weighted_length(text)  # a Korean report against a list of English labels
            if length > best_length:
                best, best_length = text, length
    return best


def without_teasers(text: str, tree: lxml.html.HtmlElement) -> str:
    """The extraction without paragraphs that sit inside a link: other stories' teasers (a
    paragraph of the story itself is never wholly a link)."""
    linked = {" ".join(p.text_content().split()) for p in tree.xpath("//a//p")}
    if not linked:
        return text
    lines = text.split("\n")
    # trafilatura writes list items as "- item"
    kept = [line for line in lines if len(line) < 60 or " ".join(line.lstrip("-*• ").split()) not in linked]
    return "\n".join(kept) if len(kept) < len(lines) else text


LINK_SHARE = 0.5  # a list item whose text is this much link text is a link, not a point of the story


def _linked_items(tree: lxml.html.HtmlElement) -> set[str]:
    items = set()
    for item in tree.xpath("//li[.//a]"):
        text = " ".join(item.text_content().split())
        linked = sum(len(" ".join(a.text_content().split())) for a in item.xpath(".//a"))
        if text and linked >= LINK_SHARE * len(text):
            items.add(text)
    return items


def without_trailing_links(text: str, tree: lxml.html.HtmlElement) -> str:
    """The extraction without a closing list of links to other pages ("Related:", "Read more:")
    and the short line that introduces it."""
    lines = text.split("\n")
    end = len(lines)
    linked = None
    while end and lines[end - 1].startswith("- "):
        if linked is None:
            linked = _linked_items(tree)
        if " ".join(lines[end - 1][2:].split()) not in linked:
            break
        end -= 1
    if end == len(lines) or end == 0:
        return text
    if len(lines[end - 1]) < 40 and lines[end - 1].rstrip().endswith(":"):
        end -= 1
    return "\n".join(lines[:end])


def without_next_stories(text: str, tree: lxml.html.HtmlElement) -> str:
    """The extraction without the lines of the stories an endless page appends below its own: when
    several top-level <article> elements each carry a headline, a line found in a later one and
    not in the first is another story's."""
    stories = [a for a in tree.xpath("//article[not(ancestor::article)]") if a.xpath(".//h1")]
    if len(stories) < 2:
        return text
    own = _words(" ".join(_blocks(stories[0])))
    others = _words(" ".join(line for story in stories[1:] for line in _blocks(story)))
    kept = [line for line in text.split("\n") if not (_words(line) and _words(line) in others
                                                       and _words(line) not in own)]
    return "\n".join(kept) if kept else text


def body_text(html: str, url: str | None, tree: lxml.html.HtmlElement, article_body: str | None) -> str:
    text = without_trailing_links(without_teasers(trafilatura_text(html, url), tree), tree)
    text = without_next_stories(text, tree)
    if article_body and len(article_body) >= MIN_ARTICLE_BODY:
        if len(article_body) > ARTICLE_BODY_RATIO * max(len(text), 1):
            fuller = from_article_body(tree, article_body)
            if len(fuller) > len(text):
                text = fuller
    if len(text) < MIN_ARTICLE_BODY * 4:
        # A short extraction beside a page marking a body half as long again: the extractor took a
        # teaser (a paywall's intro copy) or one chunk.
        marked = from_marked_body(tree)
        if len(marked) > MARKED_BODY_RATIO * max(len(text), 1):
            text = marked
    if not text:
        text = from_embedded_state(tree)
    return text


def with_standfirst(text: str, tree: lxml.html.HtmlElement, description: str | None) -> str:
    """The text with the standfirst in front when the extraction left it out: the summary the
    page shows under its headline, known by being the page's description word for word."""
    if not text or not description or len(description) < 40:
        return text
    wanted = _words(description)
    if wanted in _words(text):
        return text
    # an element holding twice the description's characters is not it: read no more than that
    # (a page's whole text may be one chunk, or stand in every ancestor of the standfirst)
    limit = 2 * len(description)
    for body in tree.iterfind(".//body"):
        shown = _standfirst(body, wanted, limit)
        if shown:
            return shown + "\n" + text
    return text


def _standfirst(body: lxml.html.HtmlElement, wanted: str, limit: int) -> str | None:
    first, openings = wanted[:1], _openings(body)
    for element in body.iterdescendants(*STANDFIRST_TAGS):
        # the element's first words must open the description before its whole text is read
        opening = openings.get(element, "")[:limit]
        opens = WORD_CHARACTER.search(opening)  # after any quotes, dashes or "¿" before the first word
        own = opens is not None and opens.group().casefold()[:1] == first and _words(opening)
        if own and wanted.startswith(own):
            shown = short_text(element, limit)
            if shown and _words(shown) == wanted:
                return shown
    return None


def _openings(root: lxml.html.HtmlElement) -> dict:
    """Each element's first text that is not blank, in one walk of the tree (asking each element
    its own would read a deep page's blank start once per level)."""
    found, waiting = {}, []
    for event, element in lxml.etree.iterwalk(root, events=("start", "end", "comment", "pi")):
        if event == "start":
            waiting.append(element)
            chunk = element.text
        elif event == "end":
            if waiting and waiting[-1] is element:
                waiting.pop()  # nothing but blanks inside it
            chunk = element.tail if element is not root else None
        else:
            chunk = element.tail  # a comment's own text is not the page's, what follows it is
        if chunk and not chunk.isspace():
            found.update((e, chunk) for e in waiting)
            waiting.clear()
    return found
