"""The syntax of `q` (words, "phrases", OR, -not, field:value, and the entity terms person:,
org:, place:) as far as the query model checks it before a backend parses it."""
from __future__ import annotations

import re

from core.article import ENTITY_TYPES


class QueryError(ValueError):
    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message

    def as_json(self) -> dict:
        return {"error": self.message, "parameter": self.parameter}


# The fields `q` may name (`field:value`); both backends index each of them.
QUERY_FIELDS = ("title", "description", "text", "authors", "outlet", "language", "tags", "url")
NAMED_FIELD = re.compile(r'(?:^|[\s(+\-])([A-Za-z_][\w.]*):')
QUOTED = re.compile(r'"[^"]*"')

# Wildcards, fuzzy and regular-expression terms mean different things to the two backends' query
# parsers (tantivy has none of them): refused rather than answered differently.
UNSUPPORTED = re.compile(r"[*?~/]")

# `url:` holds the whole address as one term: a value that is not an address can match nothing.
URL_TERM = re.compile(r'(?:^|[\s(+\-])url:(?!"?[A-Za-z][A-Za-z0-9+.\-]*:)("[^"]*"|[^\s()"]*)')


def _outside_phrases(q: str, position: int) -> bool:
    return q.count('"', 0, position) % 2 == 0


def check_fields(q: str) -> None:
    unquoted = QUOTED.sub(" ", q)
    for name in NAMED_FIELD.findall(unquoted):
        if name not in QUERY_FIELDS:
            raise QueryError("q", f"unknown field {name!r} in the query (fields: {', '.join(QUERY_FIELDS)})")
    found = UNSUPPORTED.search(unquoted)
    if found:
        raise QueryError("q", f"{found.group()!r} is not supported: no wildcards (*, ?), fuzzy (~) or regular "
                              "expressions (/); put it in quotes to search for it as text")
    url = next((m for m in URL_TERM.finditer(q) if _outside_phrases(q, m.start(1))), None)
    if url:
        raise QueryError("q", f"url:{url.group(1)} matches nothing: url: takes a whole address in quotes, e.g. "
                              'url:"https://www.rfa.org/english/..." (to find a word, search for it alone)')


# TYPE:NAME, the type in any case; as the OpenAPI document states it (ECMA-262 has no flags).
ENTITY_PATTERN = r"^([Pp][Ee][Rr][Ss][Oo][Nn]|[Oo][Rr][Gg]|[Pp][Ll][Aa][Cc][Ee]):.*\S.*$"

# What ECMA-262's \s (ENTITY_PATTERN's) calls white space; Python's str.isspace also counts
# the separators \x1c-\x1f and \x85, so a name of those is "blank" to one and not the other.
ECMA_SPACE = set("\t\n\x0b\x0c\r \xa0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff") | {chr(c) for c in range(0x2000, 0x200b)}


def parse_entity(value: str) -> tuple[str, str]:
    kind, sep, name = value.partition(":")
    kind = kind.lower()
    if not sep or kind not in ENTITY_TYPES or all(c in ECMA_SPACE for c in name):
        raise QueryError("entity", f"{value!r} is not TYPE:NAME with TYPE one of {', '.join(ENTITY_TYPES)}")
    return kind, " ".join(name.split())


# An entity term of `q`: person:Zelenskyy, person:"Kim Jong Un" (the type in any case), with what
# stands before it (start, space, parenthesis, +, -) to tell a required term from the others.
ENTITY_TERM = re.compile(r'(?P<before>^|[\s(+\-]+)(?P<kind>(?i:person|org|place)):(?:"(?P<phrase>[^"]*)"|(?P<word>[^\s()"]*))')
OR_BEFORE = re.compile(r'(?:^|[\s)])(?i:or)[\s+]*$')
OR_AFTER = re.compile(r'\s*(?:(?i:or)(?=$|[\s(])|\))')
NOT_BEFORE = re.compile(r'(?:^|[\s(])NOT[\s+]*$')


def entity_terms(q: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """`q` without its entity terms, and those terms as (type, name): filters on the whole query,
    the same as the `entity` parameter (all must match, through the alias table). A term that is
    not simply required — negated, an alternative of OR, inside parentheses — is refused: a filter
    cannot say it."""
    found, rest, position = [], [], 0
    unquoted = QUOTED.sub(lambda m: " " * len(m.group()), q)  # the same positions, phrases blanked
    for match in ENTITY_TERM.finditer(q):
        if not _outside_phrases(q, match.start("kind")):
            continue  # words of a phrase
        term = match.group()[len(match.group("before")):]
        name = match.group("phrase") if match.group("phrase") is not None else match.group("word")
        before, after = unquoted[:match.start("kind")], unquoted[match.end():]
        if "-" in match.group("before") or NOT_BEFORE.search(before):
            raise QueryError("q", f"-{term}: an entity term cannot be negated; it is a filter (all entity terms "
                                  "must match)")
        if OR_BEFORE.search(before) or OR_AFTER.match(after) or before.count("(") > before.count(")"):
            raise QueryError("q", f"{term}: entity terms (person:, org:, place:) are filters on the whole query, "
                                  "all of which must match: not an alternative of OR, nor inside parentheses")
        if not name or all(c in ECMA_SPACE for c in name):
            raise QueryError("q", f'{term}: a name must follow, e.g. person:Zelenskyy or person:"Kim Jong Un"')
        found.append((match.group("kind").lower(), " ".join(name.split())))
        rest.append(q[position:match.start()] + " ")
        position = match.end()
    if not found:
        return q, ()
    rest.append(q[position:])
    return " ".join("".join(rest).split()), tuple(found)


QUERY_PIECE = re.compile(r'"[^"]*"|[()]|[^\s()"]+')
NOT_AN_OPERAND = {"(", ")", "OR", "AND", "NOT"}


def or_operators(q: str) -> str:
    """`q` with a lower-case (or mixed-case) `or` between two terms made the operator OR: a user
    typing "hypersonic or dwarf" means either, and a required word "or" matched nothing."""
    pieces = list(QUERY_PIECE.finditer(q))
    out, position = [], 0
    for n, piece in enumerate(pieces):
        if piece.group() != "OR" and piece.group().lower() == "or" and 0 < n < len(pieces) - 1:
            before, after = pieces[n - 1].group(), pieces[n + 1].group()
            if before.upper() not in NOT_AN_OPERAND - {")"} and not before.endswith(":") \
                    and after.upper() not in NOT_AN_OPERAND - {"("}:
                out.append(q[position:piece.start()] + "OR")
                position = piece.end()
    out.append(q[position:])
    return "".join(out)
