"""Does the score carry over to texts by other writers? And the n-gram blend with it?

Run on demand (not part of the tests)::

    python bench/writers.py

The corpus test split was written by the same sessions, from the same briefs,
as the training split, so it flatters a model that learned the writers'
habits. The n-gram model, which carries 0.6 of the blend (chosen on dev, the
same writers again), is the part most exposed to that. This scores the shipped
classifier on:

- ``test``: the corpus test split (same writers as training);
- ``fresh``: ``nlp/data/fresh``, normal-length news and posts written for
  evaluation only by sessions that never saw the corpus;
- ``challenge``: ``nlp/data/challenge``, long articles by such sessions.

``fresh:choose`` and ``fresh:report`` are the two scenario halves of the
fresh set (``nlp.dataset.half_of``); see ``nlp/data/fresh/README.md`` for
which decisions the first half may inform.

For each set it prints topic micro-F1 and kind macro-F1 of the transformer
alone, the n-gram model alone and blends with other n-gram weights (the
shipped thresholds and decision rule throughout), each twice: as shipped and
with the transformer's probabilities temperature-scaled first (temperatures
fitted on the corpus dev split by log-loss, ``nlp.evaluation.fit_temperatures``),
then per-topic F1 of the shipped blend. Nothing is tuned on the sets scored
here.

Prints tables, then one JSON object.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nlp.classifier import temper
from nlp.dataset import (
    DEFAULT_CORPUS_DIR,
    TOPICS,
    Example,
    half_of,
    label_vectors,
    load_corpus,
    prepare_text,
    split_examples,
)
from nlp.evaluation import Report, evaluate_arrays, fit_temperatures
from nlp.lexical import predict as lexical_predict
from nlp.service import Annotator, load_annotator
from pantau.settings import get_settings

DATA_DIR = Path(__file__).resolve().parents[1] / "nlp" / "data"
WEIGHTS = (0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0)


def load_sets(names: Sequence[str]) -> dict[str, list[Example]]:
    sets: dict[str, list[Example]] = {}
    for name in names:
        folder, _, half = name.partition(":")
        if folder in ("train", "dev", "test"):
            examples = split_examples(load_corpus(DEFAULT_CORPUS_DIR).examples)[folder]  # type: ignore[index]
        else:
            examples = load_corpus(DATA_DIR / folder).examples
        if half:
            examples = [e for e in examples if half_of(e.scenario) == half]
        sets[name] = examples
    return sets


def scores(
    annotator: Annotator, examples: Sequence[Example]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """True labels, transformer probabilities and n-gram probabilities."""
    if annotator.lexical is None:
        raise SystemExit("the shipped classifier has no n-gram model; nothing to compare")
    texts = [prepare_text(e.text, e.title) for e in examples]
    topic_p, kind_p = annotator.model_probabilities(texts)
    lex_topic, lex_kind = lexical_predict(annotator.lexical, texts)
    pairs = [label_vectors(e) for e in examples]
    true_topics = np.asarray([p[0] for p in pairs], dtype=np.float32).reshape(-1, len(TOPICS))
    true_kinds = np.asarray([p[1] for p in pairs], dtype=np.int64)
    return true_topics, true_kinds, topic_p, kind_p, lex_topic, lex_kind


def blend_report(
    annotator: Annotator,
    arrays: tuple[np.ndarray, ...],
    weight: float,
    temperatures: tuple[float, float] = (1.0, 1.0),
) -> Report:
    true_topics, true_kinds, topic_p, kind_p, lex_topic, lex_kind = arrays
    topic_p, kind_p = temper(topic_p, kind_p, *temperatures)
    config = annotator.config
    return evaluate_arrays(
        true_topics,
        (1.0 - weight) * topic_p + weight * lex_topic,
        true_kinds,
        (1.0 - weight) * kind_p + weight * lex_kind,
        config.topic_thresholds,
        config.lainnya_topic_threshold,
    )


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", nargs="+", default=["test", "fresh", "challenge"])
    args = parser.parse_args(argv)

    annotator = load_annotator(get_settings(), with_places=False)
    shipped = float(annotator.config.lexical_weight)
    weights = sorted({*WEIGHTS, shipped})
    configured = (annotator.config.topic_temperature, annotator.config.kind_temperature)
    dev = scores(annotator, load_sets(["dev"])["dev"])
    fitted = fit_temperatures(dev[0], dev[1], dev[2], dev[3])
    print(f"temperatures fitted on dev: topic {fitted[0]:g}, kind {fitted[1]:g}")
    print(f"shipped: n-gram weight {shipped:g}, temperatures {configured[0]:g} / {configured[1]:g}")
    variants = {"raw": (1.0, 1.0), "tempered": fitted}
    results: dict[str, Any] = {
        "shipped_weight": shipped,
        "shipped_temperatures": configured,
        "dev_temperatures": fitted,
        "sets": {},
    }
    for name, examples in load_sets(args.sets).items():
        if not examples:
            print(f"{name}: no texts, skipped")
            continue
        arrays = scores(annotator, examples)
        sweep = {
            (v, w): blend_report(annotator, arrays, w, t)
            for v, t in variants.items()
            for w in weights
        }
        registers = {e.register for e in examples}
        print(f"\n{name}: {len(examples)} texts ({', '.join(sorted(registers))})")
        print(f"{'n-gram weight':>24} {'raw: topic / kind':>18} {'tempered: topic / kind':>24}")
        for w in weights:
            label = {0.0: "0 (transformer alone)", 1.0: "1 (n-gram alone)"}.get(w, f"{w:g}")
            raw, hot = sweep[("raw", w)], sweep[("tempered", w)]
            mark = " <- shipped weight" if w == shipped else ""
            print(
                f"{label:>24} {raw.topic_micro_f1:>10.3f} / {raw.kind_macro_f1:.3f}"
                f" {hot.topic_micro_f1:>16.3f} / {hot.kind_macro_f1:.3f}{mark}"
            )
        per_register: dict[str, dict[str, float]] = {}
        for register in sorted(registers):
            rows = [i for i, e in enumerate(examples) if e.register == register]
            sub = tuple(a[rows] for a in arrays)
            for w in (0.0, shipped, 1.0):
                r = blend_report(annotator, sub, w, configured)
                per_register.setdefault(register, {})[f"{w:g}"] = round(r.topic_micro_f1, 4)
                per_register[register][f"kind {w:g}"] = round(r.kind_macro_f1, 4)
        print("by register, topic micro-F1 / kind macro-F1 at weights 0, shipped, 1:")
        for register, row in per_register.items():
            parts = [f"{row[f'{w:g}']:.3f}/{row[f'kind {w:g}']:.3f}" for w in (0.0, shipped, 1.0)]
            print(f"  {register:>5}: {'  '.join(parts)}")
        ship = blend_report(annotator, arrays, shipped, configured)
        print("per topic (shipped blend): F1 (support)")
        print("  " + "  ".join(f"{s.label} {s.f1:.2f} ({s.support})" for s in ship.topics))
        results["sets"][name] = {
            "texts": len(examples),
            "by_weight": {
                f"{v} {w:g}": {
                    "topic_micro_f1": round(r.topic_micro_f1, 4),
                    "kind_macro_f1": round(r.kind_macro_f1, 4),
                }
                for (v, w), r in sweep.items()
            },
            "by_register": per_register,
            "per_topic_f1": {s.label: round(s.f1, 4) for s in ship.topics},
            "kind_confusion": ship.confusion,
        }
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()
