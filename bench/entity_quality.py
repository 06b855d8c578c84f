"""Entity quality and throughput on real published text (labels: bench/entity_labels.json, written
by hand by ENTITY-GUIDE.md and frozen before tuning). Reads the pages from ../shared.

    .venv/bin/python bench/entity_quality.py [--shared ../shared] [--model MODEL]... [--show]

The English model is NEWSWATCH_NER_MODELS's (settings.py: environment, .env, default); each
--model adds another to compare (a package name or a pipeline directory, as the setting takes).
Scoring as the guide says: per type, a (type, canonical name) pair counts once per article;
precision, recall and F1 micro-averaged; dev, held-out (issues 4 and 13) and the third batch (issue 36,
all held out, labelled blind) reported separately, next to raw spaCy
(its PERSON / ORG / GPE+LOC+FAC spans, text as written) on the same text; then per model the CPU
per article of the entity stage and the peak memory of a process that loaded it. --show prints the
dev set's misses only: held-out errors are never printed (they would guide tuning).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import settings  # noqa: E402
from crawler.entities.models import load_pipeline, parse_models  # noqa: E402
from crawler.entities.tagger import MODEL_TYPES, EntityTagger  # noqa: E402
from crawler.entities.names import load_names  # noqa: E402
from core.article import ENTITY_TYPES  # noqa: E402


def page_text(page: dict, shared: Path) -> str:
    if page["set"] == "aeb-dev":
        truth = json.loads((shared / "fixtures" / "aeb-dev" / "ground-truth.json").read_text())
        return next(v["articleBody"] for k, v in truth.items() if k.startswith(page["key"]))
    expected = json.loads((shared / "fixtures" / "pages" / f"{page['key']}.expected.json").read_text())["V1"]
    return "\n".join(p for section in expected["body"]["sections"] for p in section["headline"] + section["paragraphs"])


def score(pages: list[dict], predictions: list[dict]) -> dict:
    result = {}
    for kind in ENTITY_TYPES + ("all",):
        kinds = ENTITY_TYPES if kind == "all" else (kind,)
        tp = fp = fn = 0
        for page, predicted in zip(pages, predictions):
            for k in kinds:
                gold, got = set(page[k]), set(predicted[k])
                tp, fp, fn = tp + len(gold & got), fp + len(got - gold), fn + len(gold - got)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result[kind] = (precision, recall, f1)
    return result


def raw_spacy(nlp, text: str) -> dict:
    found = {kind: set() for kind in ENTITY_TYPES}
    for ent in nlp(text).ents:
        if ent.label_ in MODEL_TYPES:
            found[MODEL_TYPES[ent.label_]].add(ent.text.strip())
    return found


def peak_memory_mb(model: str) -> float:
    """Peak RSS of a fresh process that has loaded the stage with `model` and tagged a sentence
    (what a worker holds): measured apart, as models share nothing in one process that matters."""
    code = ("import resource, sys; sys.path.insert(0, sys.argv[2]); "
            "from crawler.entities.tagger import EntityTagger; from crawler.entities.models import parse_models; "
            "from crawler.entities.names import load_names; "
            "EntityTagger(parse_models('en=' + sys.argv[1]), load_names()).tag('warm up in Kursk', language='en'); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")
    return float(subprocess.run([sys.executable, "-c", code, model, str(ROOT)], check=True, capture_output=True,
                                text=True).stdout)


def measure(model: str, labels: list[dict], texts: list[str], show: bool) -> dict:
    tagger = EntityTagger(parse_models(f"en={model}"), load_names())
    tagger.tag("warm up in Kursk", language="en")  # loads the model and the gazetteer
    memory = peak_memory_mb(model)
    start = time.process_time()
    tagged = [tagger.tag(text, language="en") for text in texts]
    cpu = time.process_time() - start
    ours = [entities for entities, _ in tagged]
    nlp = load_pipeline(model)
    raw = [raw_spacy(nlp, text) for text in texts]
    print(f"\n=== {model} ({tagged[0][1]})")
    # The articles labelled for issue 4, then for issue 13; the rest (issue 36) form the third batch.
    first_batch, second_batch = 15, 45
    batches = {"all": (0, second_batch), "first": (0, first_batch), "third": (second_batch, len(labels))}
    scores = {}
    for split, subset in (("dev", "all"), ("held-out", "all"), ("held-out", "third"), ("dev", "first"),
                          ("held-out", "first")):
        low, high = batches[subset]
        chosen = [n for n, p in enumerate(labels) if p["split"] == split and low <= n < high]
        if not chosen:
            continue
        note = {"all": "", "first": ", the first 15 labelled", "third": ", the third batch"}[subset]
        print(f"\n{split} ({len(chosen)} articles{note})")
        print(f"{'type':<7} {'newswatch P / R / F1':>24}   {'raw spaCy P / R / F1':>24}")
        ours_score = score([labels[n] for n in chosen], [ours[n] for n in chosen])
        raw_score = score([labels[n] for n in chosen], [raw[n] for n in chosen])
        if subset != "first":
            scores[split if subset == "all" else subset] = ours_score
        for kind in ENTITY_TYPES + ("all",):
            a, b = ours_score[kind], raw_score[kind]
            print(f"{kind:<7} {a[0]:>8.3f} {a[1]:>6.3f} {a[2]:>6.3f}     {b[0]:>8.3f} {b[1]:>6.3f} {b[2]:>6.3f}")
        if show and split == "dev" and subset == "all":
            for n in chosen:
                for kind in ENTITY_TYPES:
                    gold, got = set(labels[n][kind]), set(ours[n][kind])
                    if gold != got:
                        print(f"  {labels[n]['key']} {kind}: missed {sorted(gold - got)} extra {sorted(got - gold)}")
    words = sum(len(t.split()) for t in texts)
    print(f"\nNER throughput: {len(texts) / cpu:.1f} articles/s, {words / cpu:.0f} words/s "
          f"({cpu / len(texts) * 1000:.0f} ms CPU per article of {words // len(texts)} words on average); "
          f"a worker with the stage loaded: {memory:.0f} MB peak RSS")
    return {"scores": scores, "cpu_ms": cpu / len(texts) * 1000, "memory_mb": memory}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--model", action="append", default=[], help="another English model to compare")
    parser.add_argument("--show", action="store_true", help="print each dev page's misses and extras")
    args = parser.parse_args()
    configured = parse_models(settings.load(env_file=ROOT / ".env")["NEWSWATCH_NER_MODELS"]).get("en")
    models = list(dict.fromkeys([m for m in [configured, *args.model] if m]))
    labels = json.loads((ROOT / "bench" / "entity_labels.json").read_text())["pages"]
    texts = [page_text(p, args.shared) for p in labels]
    results = {model: measure(model, labels, texts, args.show) for model in models}
    print(f"\n{'model':<28} {'dev F1':>7} {'held-out F1':>12} {'person':>7} {'org':>6} {'place':>6} "
          f"{'third batch':>12} {'ms CPU/article':>15} {'MB':>5}")
    for model, result in results.items():
        dev, held, third = (result["scores"][k] for k in ("dev", "held-out", "third"))
        print(f"{model:<28} {dev['all'][2]:>7.3f} {held['all'][2]:>12.3f} {held['person'][2]:>7.3f} "
              f"{held['org'][2]:>6.3f} {held['place'][2]:>6.3f} {third['all'][2]:>12.3f} {result['cpu_ms']:>15.0f} "
              f"{result['memory_mb']:>5.0f}")


if __name__ == "__main__":
    main()
