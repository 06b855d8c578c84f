"""Entity quality by publisher-grouped cross-validation over the labelled articles (issue 36):
one P / R / F1 per type and overall per fold, their mean over the folds and the worst fold.

    .venv/bin/python bench/cv_entities.py [--shared ../shared] [--model MODEL] [--folds 5]

Labels: bench/entity_labels.json (by ../shared/ENTITY-GUIDE.md), texts from ../shared/fixtures, scored
as bench/entity_quality.py scores them (a (type, canonical name) pair once per article, micro-averaged
within a fold). An article's publisher is the newsroom that wrote the text: a wire's dateline credit
("LONDON (AP) —", "(Reuters)") names it, else the site's domain; all of a publisher's articles fall in
one fold, so every fold is scored on publishers the other folds never saw. spaCy's Doc of each text is
cached under bench/out/cv_entities/ (keyed by model and text), so rule experiments re-run the rules only.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import statistics
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import settings  # noqa: E402
from core.article import ENTITY_TYPES  # noqa: E402
from crawler.entities.models import parse_models  # noqa: E402
from crawler.entities.names import load_names  # noqa: E402
from crawler.entities.tagger import EntityTagger  # noqa: E402
from entity_quality import page_text, score  # noqa: E402

CACHE = ROOT / "bench" / "out" / "cv_entities"
WIRE_CREDIT = re.compile(r"^[^\n]{0,60}?\((AP|Reuters)\)")
KINDS = ENTITY_TYPES + ("all",)


class CachedTagger(EntityTagger):
    """The stage as it is, with the model's Doc of each text read from disk once computed: the rules
    run over cached model output (the model is by far the stage's larger cost)."""

    def parse(self, nlp, text: str):
        from spacy.tokens import Doc

        key = hashlib.sha256(f"{nlp.meta['name']}-{nlp.meta['version']}\n{text}".encode()).hexdigest()
        path = CACHE / f"{key}.doc"
        if path.exists():
            return Doc(nlp.vocab).from_bytes(path.read_bytes())
        doc = nlp(text)
        CACHE.mkdir(parents=True, exist_ok=True)
        path.write_bytes(doc.to_bytes())
        return doc


def publisher(page: dict, text: str) -> str:
    credit = WIRE_CREDIT.search(text)
    if credit:
        return credit.group(1)
    host = urlsplit(page["url"]).hostname or page["key"]
    return "AP" if host == "hosted.ap.org" else re.sub(r"^www\.", "", host)


def make_folds(labels: list[dict], texts: list[str], k: int) -> list[list[int]]:
    """k folds of whole publishers, balanced by the number of labels: the largest publisher first,
    each into the fold with the fewest labels so far (deterministic)."""
    groups: dict[str, list[int]] = {}
    for n, (page, text) in enumerate(zip(labels, texts)):
        groups.setdefault(publisher(page, text), []).append(n)
    size = {g: sum(len(labels[n][kind]) for n in members for kind in ENTITY_TYPES) for g, members in groups.items()}
    folds: list[list[int]] = [[] for _ in range(k)]
    weight = [0] * k
    for group in sorted(groups, key=lambda g: (-size[g], g)):
        lightest = min(range(k), key=lambda f: (weight[f], f))
        folds[lightest] += groups[group]
        weight[lightest] += size[group]
    return [sorted(fold) for fold in folds]


def fold_scores(labels: list[dict], predictions: list[dict], folds: list[list[int]]) -> list[dict]:
    return [score([labels[n] for n in fold], [predictions[n] for n in fold]) for fold in folds]


def summary(per_fold: list[dict], kind: str = "all", measure: int = 2) -> tuple[float, float]:
    """(mean over folds, worst fold) of one figure (0 P, 1 R, 2 F1) of one type."""
    values = [fold[kind][measure] for fold in per_fold]
    return statistics.fmean(values), min(values)


def print_folds(per_fold: list[dict], folds: list[list[int]], labels: list[dict], texts: list[str]) -> None:
    print(f"{'fold':<5} {'articles':>8} {'person F1':>9} {'org F1':>7} {'place F1':>8} {'all P':>6} {'all R':>6} "
          f"{'all F1':>7}  publishers")
    for n, (result, fold) in enumerate(zip(per_fold, folds), 1):
        names = sorted({publisher(labels[i], texts[i]) for i in fold})
        print(f"{n:<5} {len(fold):>8} {result['person'][2]:>9.3f} {result['org'][2]:>7.3f} {result['place'][2]:>8.3f} "
              f"{result['all'][0]:>6.3f} {result['all'][1]:>6.3f} {result['all'][2]:>7.3f}  {', '.join(names)}")
    for label, pick in (("mean", 0), ("worst", 1)):
        cells = [summary(per_fold, kind, 2)[pick] for kind in ENTITY_TYPES]
        p, r, f = (summary(per_fold, "all", m)[pick] for m in range(3))
        print(f"{label:<5} {'':>8} {cells[0]:>9.3f} {cells[1]:>7.3f} {cells[2]:>8.3f} {p:>6.3f} {r:>6.3f} {f:>7.3f}")


def load(shared: Path) -> tuple[list[dict], list[str]]:
    labels = json.loads((ROOT / "bench" / "entity_labels.json").read_text())["pages"]
    return labels, [page_text(p, shared) for p in labels]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--model", help="the English model (default: NEWSWATCH_NER_MODELS's)")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    model = args.model or parse_models(settings.load(env_file=ROOT / ".env")["NEWSWATCH_NER_MODELS"])["en"]
    labels, texts = load(args.shared)
    folds = make_folds(labels, texts, args.folds)
    tagger = CachedTagger(parse_models(f"en={model}"), load_names())
    tagged = [tagger.tag(text, language="en") for text in texts]
    print(f"=== {tagged[0][1]}: {len(labels)} articles, {args.folds} folds by publisher\n")
    print_folds(fold_scores(labels, [entities for entities, _ in tagged], folds), folds, labels, texts)


if __name__ == "__main__":
    main()
