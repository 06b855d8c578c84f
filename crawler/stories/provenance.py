"""Who cites whom: the sources an article names as where its facts came from.

"according to a report by Radio Free Asia", "told RFA", "citing Yonhap", "Radio Free Asia cited
a source", "연합뉴스에 따르면": a source's name (an outlet's `name` and `aliases` in outlets.toml,
or a well-known agency of crawler/stories/data/sources.toml) next to a verb or phrase of attribution.
A bare mention ("RFA has not been able to verify") is not a citation; that is what the phrases
are for. The story linker then looks for the cited outlet's own report of the event."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

SOURCES_FILE = Path(__file__).parent / "data" / "sources.toml"

# Attribution before the name, with at most a few words between ("according to a report by the").
BEFORE = r"(?:according to|citing|cited by|told|reported by|report by|reports by|quoted by|report from|" \
         r"reporting by|interview with|confirmed to|said to)"
# ... and after it ("RFA's Korean service reported").
AFTER = r"(?:reported|reports|said|says|cited|quoted|revealed|learned|has learned|first reported|wrote|writes)"
# Korean: "...에 따르면" (according to), "...가 보도했다" (reported), "...에 전했다/밝혔다" (told).
KOREAN_AFTER = r"(?:에 따르면|의 보도|이 보도|가 보도|은 보도|는 보도|에 전했|에 밝혔|와의 통화|과의 통화)"


def load_sources(outlets: dict, path: Path = SOURCES_FILE) -> dict[str, set[str]]:
    """name -> the source keys it names (a name may stand for several: RFA's services)."""
    names: dict[str, set[str]] = {}
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    for key, source in table.items():
        for name in [source["name"], *source.get("aliases", [])]:
            names.setdefault(name, set()).add(key)
    for key, outlet in outlets.items():
        for name in [outlet.name, *outlet.aliases]:
            names.setdefault(name, set()).add(key)
    return names


class Citations:
    def __init__(self, names: dict[str, set[str]]):
        self.names = names
        # Longest first: "Radio Free Asia (Korean)" before "Radio Free Asia".
        alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        name = rf"(?<![\w])(?P<{{group}}>{alternatives})(?![\w])"
        # Names match as written (AP is not "ap"); the phrases in any case ("According to").
        self.pattern = re.compile(
            rf"\b(?i:{BEFORE})\b[^.!?\n]{{0,40}}?{name.format(group='before')}"
            rf"|{name.format(group='after')}(?:'s|’s)?(?:\s+[\w-]+){{0,3}}?\s+(?i:{AFTER})\b"
            # Korean particles attach to the name: no word boundary after it.
            rf"|(?<![\w])(?P<korean>{alternatives})\s?{KOREAN_AFTER}")

    @classmethod
    def for_outlets(cls, outlets: dict) -> "Citations":
        return cls(load_sources(outlets))

    def cited(self, text: str | None, other_than: str | None = None) -> set[str]:
        """The source keys the text attributes something to, its own outlet left out."""
        found: set[str] = set()
        for match in self.pattern.finditer(text or ""):
            name = match.group("before") or match.group("after") or match.group("korean")
            found |= self.names.get(name, set())
        found.discard(other_than)
        return found
