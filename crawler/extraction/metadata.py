"""The publisher's own statements about a page, gathered as evidence: every JSON-LD object (of
any type, nested or in a @graph), microdata, Open Graph and other meta tags, `<time>` elements,
the visible headline and byline. crawler.extraction.headline, crawler.extraction.bylines and crawler.extraction.page_dates choose
among the candidates; this module only collects them."""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field

import lxml.html

from crawler.extraction.bylines import editor_credits, header_credits, source_line

ARTICLE_TYPES = {"newsarticle", "article", "reportagenewsarticle", "analysisnewsarticle",
                 "blogposting", "backgroundnewsarticle", "opinionnewsarticle", "reviewnewsarticle",
                 "liveblogposting", "socialmediaposting", "report", "scholarlyarticle", "techarticle",
                 "videoobject", "webpage"}
# NewsArticle over Article over WebPage: the most specific statement about the story wins.
TYPE_RANK = ["newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
             "backgroundnewsarticle", "reviewnewsarticle", "article", "blogposting", "liveblogposting",
             "report", "scholarlyarticle", "techarticle", "socialmediaposting", "videoobject", "webpage"]
ORGANISATION_TYPES = {"organization", "newsmediaorganization", "corporation", "brand", "website"}
# JSON-LD wrapped the way old CMSs emit it: in CDATA or HTML comments, or with trailing commas.
LD_WRAPPING = re.compile(r"^\s*(?://\s*)?(?:<!\[CDATA\[|<!--)|(?://\s*)?(?:\]\]>|-->)\s*$")
TRAILING_COMMA = re.compile(r",(\s*[}\]])")
BYLINE_CLASS = ('//body//*[contains(concat(" ", normalize-space(@class), " "), " byline ") or '
                'contains(@class, "__author") or contains(@class, "-author") or contains(@class, "author-name")]'
                '[not(self::meta or self::img or self::script)]')
# One to four capitalised words, or two such names joined by "/" or "&": "Mathatisi Sebusi/Mohalenyane Phakela"
NAME = r"[A-ZÀ-ÖØ-ÞĀ-Ž][\w'’.-]+(?:\s+[A-ZÀ-ÖØ-ÞĀ-Ž][\w'’.-]+){1,3}"
SIGNATURE = re.compile(rf"^{NAME}(?:\s*[/&]\s*{NAME})?$")


def clean_text(value) -> str | None:
    """Entities decoded (twice: CMSs double-escape `&amp;#8217;`), whitespace normalised."""
    if not isinstance(value, str):
        return None
    for _ in range(2):
        if "&" not in value:
            break
        value = html.unescape(value)
    value = " ".join(value.replace("\u00ad", "").replace("\u200b", "").split())
    return value or None


def types_of(node: dict) -> set[str]:
    value = node.get("@type") or []
    values = value if isinstance(value, list) else [value]
    return {str(v).lower().rsplit("/", 1)[-1] for v in values}


def _walk(value, depth: int = 0):
    """Every object, however deeply nested (NewsArticle as a WebPage's mainEntity, in @graph)."""
    if depth > 12:
        return
    if isinstance(value, dict):
        yield value
        for child in value.values():
            if isinstance(child, (dict, list)):
                yield from _walk(child, depth + 1)
    elif isinstance(value, list):
        for child in value:
            yield from _walk(child, depth + 1)


def json_ld_nodes(tree: lxml.html.HtmlElement) -> list[dict]:
    nodes = []
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        text = LD_WRAPPING.sub("", (script.text or "").strip())
        if not text:
            continue
        try:
            data = json.loads(text, strict=False)
        except ValueError:
            try:
                data = json.loads(TRAILING_COMMA.sub(r"\1", text), strict=False)
            except ValueError:
                continue
        nodes.extend(_walk(data))
    return nodes


def article_nodes(nodes: list[dict]) -> list[dict]:
    """The article-like objects, most specific type first (stable for equal types)."""
    ranked = []
    for position, node in enumerate(nodes):
        types = types_of(node) & ARTICLE_TYPES
        if types:
            rank = min(TYPE_RANK.index(t) for t in types)
            ranked.append((rank, position, node))
    return [node for _, _, node in sorted(ranked, key=lambda r: r[:2])]


@dataclass
class Evidence:
    """Candidates per field, each a (source, value) pair in the order the page gives them."""
    titles: list[tuple[str, str]] = field(default_factory=list)
    site_names: list[str] = field(default_factory=list)
    dates: list[tuple[str, str]] = field(default_factory=list)
    modified: list[tuple[str, str]] = field(default_factory=list)
    authors: list[tuple[str, list[str]]] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)
    article_body: str | None = None


def _person_names(value, organisations: list[str]) -> list[str]:
    values = value if isinstance(value, list) else [value]
    names = []
    for item in values:
        if isinstance(item, dict):
            name = item.get("name")
            if isinstance(name, list):
                name = " ".join(str(n) for n in name)
            if not isinstance(name, str):
                given, family = item.get("givenName"), item.get("familyName")
                name = " ".join(n for n in (given, family) if isinstance(n, str)) or None
            if types_of(item) & ORGANISATION_TYPES and name:
                organisations.append(name)
            item = name
        if isinstance(item, str) and clean_text(item):
            names.append(clean_text(item))
    return names


def _first_string(value) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("@id")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _keywords(value) -> list[str]:
    if isinstance(value, str):
        return [k.strip() for k in value.split(",") if k.strip()]
    if isinstance(value, list):
        return [k.strip() for k in value if isinstance(k, str) and k.strip()]
    return []


def _text(element) -> str:
    return " ".join(element.text_content().split())


def in_teaser(element, levels: int = 6) -> bool:
    """Whether a byline belongs to another story's teaser card: going up, a container with a
    linked sub-heading ("<h3><a href=…>") comes before one with the page's headline (<h1>)."""
    for ancestor in list(element.iterancestors())[:levels]:
        if ancestor.tag in ("body", "html") or ancestor.xpath(".//h1"):
            return False
        if ancestor.xpath(".//*[self::h2 or self::h3 or self::h4][.//a[@href] or ancestor::a[@href]]"):
            return True
    return False


def gather(tree: lxml.html.HtmlElement) -> tuple[Evidence, dict]:
    """The candidates, and the best article JSON-LD object (for the single-valued fields)."""
    evidence = Evidence()
    nodes = json_ld_nodes(tree)
    articles = article_nodes(nodes)
    ld = articles[0] if articles else {}

    by_name: dict[str, list[str]] = {}
    for element in tree.iter("meta"):
        content = element.get("content")
        if content and content.strip():
            for attr in ("property", "name", "itemprop"):
                if element.get(attr):
                    by_name.setdefault(element.get(attr), []).append(content)
                    break

    def metas(*names: str) -> list[str]:
        return [v for name in names for v in by_name.get(name, ())]

    for node in articles:
        kind = "ld:" + ("webpage" if types_of(node) == {"webpage"} else "article")
        for key in ("headline", "name"):
            if clean_text(node.get(key)):
                evidence.titles.append((f"{kind}:{key}", clean_text(node[key])))
                break
        for key in ("datePublished", "dateCreated", "uploadDate"):
            if isinstance(node.get(key), str):
                evidence.dates.append((f"{kind}:{key}", node[key]))
        if isinstance(node.get("dateModified"), str):
            evidence.modified.append((kind, node["dateModified"]))
        names = _person_names(node.get("author"), evidence.organisations)
        if names:
            evidence.authors.append((f"{kind}:author", names))
        publisher = node.get("publisher")
        evidence.organisations += [n for n in _person_names(publisher, []) if n]
        if isinstance(publisher, dict) and clean_text(publisher.get("name")):
            evidence.site_names.append(clean_text(publisher["name"]))
        if evidence.article_body is None and isinstance(node.get("articleBody"), str):
            evidence.article_body = node["articleBody"]
    for node in nodes:
        types = types_of(node)
        if types & ORGANISATION_TYPES and clean_text(node.get("name")):
            evidence.organisations.append(clean_text(node["name"]))
            if "website" in types:
                evidence.site_names.append(clean_text(node["name"]))

    for source in ("og:title", "twitter:title", "headline", "dc.title", "DC.title"):
        evidence.titles += [(source, v) for v in map(clean_text, metas(source)[:1]) if v]
    evidence.titles += [("microdata:headline", v) for v in
                        (clean_text(_text(e)) for e in tree.xpath('//*[@itemprop="headline"][not(self::meta)]')[:1]) if v]
    h1 = [clean_text(_text(e)) for e in tree.xpath("//body//h1")]
    evidence.titles += [("h1", v) for v in h1[:2] if v]
    title = tree.xpath("//head/title")
    if title and clean_text(_text(title[0])):
        evidence.titles.append(("title", clean_text(_text(title[0]))))
    for name in ("og:site_name", "application-name", "apple-mobile-web-app-title", "twitter:site"):
        evidence.site_names += [clean_text(v.lstrip("@")) for v in metas(name)[:1] if clean_text(v)]

    for source in ("article:published_time", "datePublished", "og:article:published_time", "pubdate",
                   "publish-date", "publishdate", "publish_date", "article.published", "parsely-pub-date",
                   "sailthru.date", "dc.date.issued", "DC.date.issued", "dcterms.created", "date", "dc.date",
                   "DC.date", "citation_publication_date"):
        evidence.dates += [(f"meta:{source}", v) for v in metas(source)[:1]]
    for element in tree.xpath('//*[@itemprop="datePublished"][not(self::meta)]')[:2]:
        value = element.get("datetime") or element.get("content") or _text(element)
        if value:
            evidence.dates.append(("microdata:datePublished", value))
    for element in tree.xpath("//body//time[@datetime]")[:3]:
        evidence.dates.append(("time", element.get("datetime")))
    evidence.modified += [("meta", v) for v in metas("article:modified_time", "og:updated_time", "dateModified",
                                                       "last-modified")[:1]]

    person_meta = [clean_text(v) for v in metas("author", "article:author", "dc.creator", "DC.creator",
                                                "citation_author", "parsely-author", "sailthru.author")]
    if person_meta:
        evidence.authors.append(("meta:author", [v for v in person_meta if v and not v.startswith("http")]))
    byline_names = []
    authored = tree.xpath('//*[@rel="author"] | //*[@itemprop="author"][not(self::meta)]')
    for element in [e for e in authored[:12] if not in_teaser(e)][:6]:
        names = element.xpath('.//*[@itemprop="name"]/@content | .//*[@itemprop="name"][not(self::meta)]')
        value = names[0] if names else element
        value = value if isinstance(value, str) else _text(value)
        if clean_text(value) and len(value) < 80:
            byline_names.append(clean_text(value))
    if not byline_names:
        # a byline marked only by its class ("article__author", "byline"): the first two, since
        # later ones are usually other stories' teasers
        for element in [e for e in tree.xpath(BYLINE_CLASS)[:6] if not in_teaser(e)][:2]:
            name = clean_text(_text(element))  # None when the text is only invisible characters
            if name and not element.xpath(BYLINE_CLASS.replace("//*", ".//*")) and len(_text(element)) < 80:
                byline_names.append(name)
    if byline_names:
        evidence.authors.append(("byline", byline_names))
    # a name alone in bold near the body's start or as its last paragraph ("<p><strong>Ann Lee</strong></p>")
    signed = []
    for paragraph in tree.xpath("//body//p[strong or b]"):
        text = _text(paragraph)
        if not (text and SIGNATURE.match(text)) or text != " ".join(_text(b) for b in paragraph.xpath("./strong | ./b")):
            continue
        siblings = [p for p in paragraph.getparent().findall("p") if p.text_content().strip()]
        # first or last, or after a standfirst of one or two lines ("<p><em>…</em></p>" twice)
        if len(siblings) >= 3 and (paragraph in (siblings[0], siblings[-1])
                                   or len(siblings) >= 4 and paragraph in siblings[:3]):
            signed.append(text)
    if signed:
        evidence.authors.append(("signature", signed[:1]))
    # the first title of each kind: a page may list other stories' JSON-LD headlines after its own
    stated_titles = {}
    for source, title in evidence.titles:
        if source not in ("h1", "title"):
            stated_titles.setdefault(source, title)
    header = header_credits(tree, list(stated_titles.values()))
    if header:
        evidence.authors.append(("header", header))
    credit = source_line(tree)
    if credit:
        evidence.authors.append(("source line", [credit]))
    # not authors but what tells who is not one: the editors and the page's sections
    evidence.authors.append(("editor", editor_credits(tree)))
    section = ld.get("articleSection")
    evidence.authors.append(("section", [v for v in map(clean_text, [
        *(section if isinstance(section, list) else [section]), *metas("article:section"),
        *tree.xpath('//a[@rel="category tag"]//text()')]) if v]))
    return evidence, ld


def page_metadata(tree: lxml.html.HtmlElement) -> dict:
    """The single-valued fields (description, canonical URL, image, tags, language) and the
    gathered evidence for title, dates and authors under "evidence"."""
    evidence, ld = gather(tree)

    def meta(*names: str) -> str | None:
        for name in names:
            for attr in ("property", "name", "itemprop"):
                found = tree.xpath(f'//meta[@{attr}="{name}"]/@content')
                if found and found[0].strip():
                    return found[0].strip()
        return None

    def metas(name: str) -> list[str]:
        return [v.strip() for v in tree.xpath(f'//meta[@property="{name}" or @name="{name}"]/@content') if v.strip()]

    canonical = tree.xpath('//link[@rel="canonical"]/@href')
    html_lang = tree.xpath("/html/@lang")
    return {
        "evidence": evidence,
        "description": clean_text(ld.get("description")) or clean_text(meta("og:description", "description",
                                                                             "twitter:description")),
        "canonical_url": (canonical[0].strip() if canonical and canonical[0].strip() else None)
                         or meta("og:url") or _first_string(ld.get("mainEntityOfPage")) or _first_string(ld.get("url")),
        "image_url": _first_string(ld.get("image")) or meta("og:image", "twitter:image"),
        "tags": _keywords(ld.get("keywords")) or metas("article:tag") or _keywords(meta("news_keywords", "keywords")),
        "language": (ld.get("inLanguage") if isinstance(ld.get("inLanguage"), str) else None)
                    or (html_lang[0] if html_lang else None) or meta("og:locale", "language"),
        "is_article": bool(ld) or meta("og:type") == "article",
    }
