"""Entity quality by publisher-grouped cross-validation over the labelled articles (issue 36):
one P / R / F1 per type and overall per fold, their mean over the folds and the worst fold.

    .venv/bin/python bench/cv_entities.py [--shared ../shared] [--model MODEL] [--folds 5] [--judge]

--judge re-judges every rule of the stage (crawler.entities.ruleset): each switched off alone, its
gain per fold (F1 with it minus F1 without); a rule helps across folds when its mean gain is above 0
and it lowers no more than a third of the folds. Then the same criterion applied inside each
training part (the other folds) and the rules it keeps scored on the fold left out, to show whether
pruning by it carries over; and each fitted setting (the typing rules' order, the heading, acronym
and 'and' settings) chosen on the training folds only and scored on the fold left out (nested).

Labels: bench/entity_labels.json (by ../shared/ENTITY-GUIDE.md), texts from ../shared/fixtures, scored
as bench/entity_quality.py scores them (a (type, canonical name) pair once per article, micro-averaged
within a fold). An article's publisher is the newsroom that wrote the text: a wire's dateline credit
("LONDON (AP) —", "(Reuters)") names it, else the site's domain; all of a publisher's articles fall in
one fold, so every fold is scored on publishers the other folds never saw. spaCy's Doc of each text is
cached under bench/out/cv_entities/ (keyed by model and text), so rule experiments re-run the rules only.
"""
from __future__ import annotations

import argparse
import dataclasses
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
from crawler.entities.ruleset import ALL, RULES, RuleSet  # noqa: E402
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


def f1s(labels: list[dict], predictions: list[dict], folds: list[list[int]], kind: str = "all") -> list[float]:
    return [result[kind][2] for result in fold_scores(labels, predictions, folds)]


def summary(per_fold: list[dict], kind: str = "all", measure: int = 2) -> tuple[float, float]:
    """(mean over folds, worst fold) of one figure (0 P, 1 R, 2 F1) of one type."""
    values = [fold[kind][measure] for fold in per_fold]
    return statistics.fmean(values), min(values)


def print_folds(labels: list[dict], texts: list[str], predictions: list[dict], folds: list[list[int]]) -> None:
    per_fold = fold_scores(labels, predictions, folds)
    held = fold_scores(labels, predictions, [[n for n in fold if labels[n]["split"] == "held-out"] for fold in folds])
    print("| fold | articles (held out) | person F1 | org F1 | place F1 | all P | all R | all F1 | held-out articles' F1 "
          "| publishers |\n|---|---|---|---|---|---|---|---|---|---|")
    for n, (result, fold) in enumerate(zip(per_fold, folds), 1):
        names = sorted({publisher(labels[i], texts[i]) for i in fold})
        held_out = sum(labels[i]["split"] == "held-out" for i in fold)
        print(f"| {n} | {len(fold)} ({held_out}) | " + " | ".join(f"{result[k][2]:.3f}" for k in ENTITY_TYPES) +
              " | " + " | ".join(f"{result['all'][m]:.3f}" for m in range(3)) +
              f" | {held[n - 1]['all'][2]:.3f} | {', '.join(names)} |")
    for label, pick in (("mean", 0), ("worst", 1)):
        cells = [summary(per_fold, kind, 2)[pick] for kind in ENTITY_TYPES] + \
                [summary(per_fold, "all", m)[pick] for m in range(3)] + [summary(held, "all", 2)[pick]]
        print(f"| **{label}** | | " + " | ".join(f"{c:.3f}" for c in cells[:-2]) +
              f" | **{cells[-2]:.3f}** | {cells[-1]:.3f} | |")


def helps(gains: list[float]) -> bool:
    """A rule helps across folds: its mean gain is above 0 and it lowers no more than a third of the folds."""
    return round(statistics.fmean(gains), 9) > 0 and sum(round(g, 9) < 0 for g in gains) <= len(gains) / 3


def harmless(gains: list[float]) -> bool:
    """A rule does no harm across folds: its mean gain is not below 0 and it lowers no more than a
    third of the folds (a rule no labelled article exercises is kept: nothing measured it)."""
    return round(statistics.fmean(gains), 9) >= 0 and sum(round(g, 9) < 0 for g in gains) <= len(gains) / 3


CRITERIA = {"helps": helps, "does no harm": harmless}


class Judge:
    """Predictions of the stage under a RuleSet over every article, each computed once; `unlabelled`:
    English article bodies without labels, to count where a rule acts at all."""

    def __init__(self, tagger: CachedTagger, labels: list[dict], texts: list[str], folds: list[list[int]],
                 unlabelled: list[str]):
        self.tagger, self.labels, self.texts, self.folds, self.unlabelled = tagger, labels, texts, folds, unlabelled
        self._seen: dict[tuple[RuleSet, bool], list[dict]] = {}

    def predictions(self, rules: RuleSet, unlabelled: bool = False) -> list[dict]:
        if (rules, unlabelled) not in self._seen:
            self.tagger.rules = rules
            self._seen[rules, unlabelled] = [self.tagger.tag(text, language="en")[0]
                                             for text in (self.unlabelled if unlabelled else self.texts)]
            self.tagger.rules = ALL
        return self._seen[rules, unlabelled]

    def f1s(self, rules: RuleSet, folds: list[list[int]] | None = None, kind: str = "all") -> list[float]:
        return f1s(self.labels, self.predictions(rules), self.folds if folds is None else folds, kind)


def judge_rules(judge: Judge) -> dict[str, list[float]]:
    """Each rule switched off alone: its gain per fold, printed with the verdict."""
    base = judge.f1s(ALL)
    print("\n| rule | gain per fold (F1 with − without) | mean | folds lowered | labelled articles changed "
          f"| unlabelled changed (of {len(judge.unlabelled)}) | org gain (mean) | verdict |\n|---|---|---|---|---|---|---|---|")
    gains_of = {}
    for rule in RULES:
        off = RuleSet(off=frozenset({rule}))
        gains = [b - o for b, o in zip(base, judge.f1s(off))]
        org = statistics.fmean(b - o for b, o in zip(judge.f1s(ALL, kind="org"), judge.f1s(off, kind="org")))
        changed = sum(a != b for a, b in zip(judge.predictions(ALL), judge.predictions(off)))
        elsewhere = sum(a != b for a, b in zip(judge.predictions(ALL, True), judge.predictions(off, True)))
        gains_of[rule] = gains
        verdict = "helps" if helps(gains) else "no effect" if not changed else "no harm" if harmless(gains) else "drop"
        print(f"| `{rule}` | " + " ".join(f"{g:+.3f}" for g in gains) + f" | {statistics.fmean(gains):+.4f} | "
              f"{sum(round(g, 9) < 0 for g in gains)} | {changed} | {elsewhere} | {org:+.4f} | {verdict} |")
    return gains_of


def nested_pruning(judge: Judge) -> None:
    """Each criterion applied on each training part (the other folds' gains), the rules it would
    drop switched off, and the result scored on the fold left out: does pruning by it carry over?"""
    k = len(judge.folds)
    print("\n| criterion | fold left out | rules the training folds would drop | F1 all rules | F1 pruned | gain |"
          "\n|---|---|---|---|---|---|")
    for name, keep in CRITERIA.items():
        gains = []
        for out in range(k):
            training = [fold for n, fold in enumerate(judge.folds) if n != out]
            base = judge.f1s(ALL, training)
            dropped = frozenset(rule for rule in RULES if not keep(
                [b - o for b, o in zip(base, judge.f1s(RuleSet(off=frozenset({rule})), training))]))
            idle = frozenset(r for r in dropped if judge.predictions(RuleSet(off=frozenset({r}))) ==
                             judge.predictions(ALL))  # rules that change no labelled article, counted apart
            left_out = [judge.folds[out]]
            every, pruned = judge.f1s(ALL, left_out)[0], judge.f1s(RuleSet(off=dropped), left_out)[0]
            gains.append(pruned - every)
            shown = ", ".join(f"`{r}`" for r in sorted(dropped - idle)) or "—"
            print(f"| {name} | {out + 1} | {shown}{f' (and {len(idle)} that change nothing)' if idle else ''} "
                  f"| {every:.3f} | {pruned:.3f} | {pruned - every:+.3f} |")
        print(f"| {name} | **mean** | | | | **{statistics.fmean(gains):+.4f}** |")


def moved_orders(order: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The typing order with one rule moved to another place (the current order first)."""
    found = [order]
    for rule in order:
        rest = [r for r in order if r != rule]
        for at in range(len(order)):
            candidate = tuple(rest[:at] + [rule] + rest[at:])
            if candidate not in found:
                found.append(candidate)
    return found


SETTINGS = {
    "type_order": moved_orders(ALL.type_order),
    "heading_words": [8, 10, 12, 14, 16, 20, 25, 30, 40, 60],
    "heading_share": [0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
    "acronym_letters": [2, 3, 4],
    "conjoined_words": [1, 2, 3],
}


def nested_settings(judge: Judge) -> None:
    """Each setting chosen on the training folds (the highest mean F1 over them; the current value
    on a tie) and scored on the fold left out, against the current value on that fold."""
    k = len(judge.folds)
    print("\n| setting | chosen per fold left out | gain per fold (chosen − current) | mean | chosen on all folds |"
          "\n|---|---|---|---|---|")
    for setting, values in SETTINGS.items():
        current = dataclasses.asdict(ALL)[setting]
        candidates = {value: RuleSet(**{setting: value}) for value in values}
        chosen, gains = [], []
        for out in range(k):
            training = [fold for n, fold in enumerate(judge.folds) if n != out]
            best = max(values, key=lambda v: (statistics.fmean(judge.f1s(candidates[v], training)), v == current))
            chosen.append(best)
            gains.append(judge.f1s(candidates[best], [judge.folds[out]])[0] -
                         judge.f1s(candidates[current], [judge.folds[out]])[0])
        overall = max(values, key=lambda v: (statistics.fmean(judge.f1s(candidates[v])), v == current))
        print(f"| `{setting}` | " + "; ".join(_shown(setting, c) for c in chosen) + " | " +
              " ".join(f"{g:+.3f}" for g in gains) + f" | {statistics.fmean(gains):+.4f} | {_shown(setting, overall)} |")


def _shown(setting: str, value) -> str:
    if setting != "type_order":
        return str(value)
    if value == ALL.type_order:
        return "current"
    moved = next(r for n, r in enumerate(value) if ALL.type_order.index(r) != n and (
        n + 1 >= len(value) or ALL.type_order.index(value[n + 1]) != n))
    return f"{moved} at {value.index(moved) + 1}"


def load(shared: Path) -> tuple[list[dict], list[str]]:
    labels = json.loads((ROOT / "bench" / "entity_labels.json").read_text())["pages"]
    return labels, [page_text(p, shared) for p in labels]


def unlabelled_texts(shared: Path, labels: list[dict]) -> list[str]:
    """The English bodies of ../shared's aeb-dev pages nobody labelled and of fundus-dev's publishers."""
    from crawler.extraction.language import detect

    labelled = {p["key"] for p in labels}
    truth = json.loads((shared / "fixtures" / "aeb-dev" / "ground-truth.json").read_text())
    texts = [v["articleBody"] for k, v in sorted(truth.items()) if k[:10] not in labelled]
    for path in sorted((shared / "fixtures" / "fundus-dev").glob("*/*.json")):
        body = json.loads(path.read_text())["V1"]["body"]
        texts.append("\n".join(p for section in body["sections"] for p in section["headline"] + section["paragraphs"]))
    return [text for text in texts if detect(text)[0] == "en"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--model", help="the English model (default: NEWSWATCH_NER_MODELS's)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--judge", action="store_true", help="re-judge every rule and setting of the stage")
    args = parser.parse_args()
    model = args.model or parse_models(settings.load(env_file=ROOT / ".env")["NEWSWATCH_NER_MODELS"])["en"]
    labels, texts = load(args.shared)
    folds = make_folds(labels, texts, args.folds)
    tagger = CachedTagger(parse_models(f"en={model}"), load_names())
    judge = Judge(tagger, labels, texts, folds, unlabelled_texts(args.shared, labels) if args.judge else [])
    print(f"{tagger.tag('warm up', language='en')[1]}: {len(labels)} articles, {args.folds} folds by publisher\n")
    print_folds(labels, texts, judge.predictions(ALL), folds)
    if args.judge:
        judge_rules(judge)
        nested_pruning(judge)
        nested_settings(judge)


if __name__ == "__main__":
    main()
