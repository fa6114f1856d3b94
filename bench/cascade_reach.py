"""How far the cascade could go: texts settled and F1 lost as its assumption loosens.

Run on demand (not part of the tests; about five minutes on 2 cores)::

    python -m bench.cascade_reach [--sets dev test fresh general challenge]

The service's cascade (``nlp.cascade``, ``reach`` 1) skips the transformer only
where no output of it could change a label, so it loses nothing. A ``reach``
below 1 assumes the transformer's probability lies within ``reach`` of the
n-gram model's; it settles more texts, and this measures what that costs. For
each held-out set it runs the n-gram model and the service's network once,
then for each reach prints the share of texts (and of news) settled and the
topic micro-F1 / kind macro-F1 against the full model's (labels of settled
texts from the n-gram model, the rest blended as in the service). Prints a
JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np

from nlp.cascade import settled_for
from nlp.dataset import DEFAULT_CORPUS_DIR, label_vectors, load_corpus, prepare_text, split_examples
from nlp.evaluation import evaluate_arrays
from nlp.lexical import blend
from nlp.lexical import predict as lexical_predict
from nlp.service import Annotator, load_annotator
from pantau.settings import get_settings

REACHES = (1.0, 0.8, 0.6, 0.5, 0.45, 0.4, 0.35, 0.3, 0.25)
SETS = ("dev", "test", "fresh", "general", "challenge")


def reach_table(annotator: Annotator, examples: list[Any]) -> dict[str, Any]:
    config = annotator.config
    assert annotator.lexical is not None
    texts = [prepare_text(e.text, e.title) for e in examples]
    lex_topic, lex_kind = lexical_predict(annotator.lexical, texts)
    net_topic, net_kind = annotator.model_probabilities(texts)
    weight = config.lexical_weight
    topic = blend(net_topic, lex_topic, weight)
    kind = blend(net_kind, lex_kind, weight)
    pairs = [label_vectors(e) for e in examples]
    true_topics = np.asarray([p[0] for p in pairs], dtype=np.float32)
    true_kinds = np.asarray([p[1] for p in pairs], dtype=np.int64)
    news = np.asarray([e.register == "news" for e in examples])

    def f1(t: np.ndarray, k: np.ndarray) -> tuple[float, float]:
        report = evaluate_arrays(
            true_topics, t, true_kinds, k, config.topic_thresholds, config.lainnya_topic_threshold
        )
        return report.topic_micro_f1, report.kind_macro_f1

    full_topic, full_kind = f1(topic, kind)
    rows = []
    for reach in REACHES:
        mask = settled_for(lex_topic, lex_kind, config, reach)
        t, k = f1(
            np.where(mask[:, None], lex_topic, topic), np.where(mask[:, None], lex_kind, kind)
        )
        rows.append(
            {
                "reach": reach,
                "settled_share": round(float(mask.mean()), 3),
                "news_settled_share": round(float(mask[news].mean()), 3) if news.any() else None,
                "topic_micro_f1": round(t, 4),
                "kind_macro_f1": round(k, 4),
                "topic_points_lost": round(100 * (full_topic - t), 2),
                "kind_points_lost": round(100 * (full_kind - k), 2),
            }
        )
    return {
        "texts": len(examples),
        "news": int(news.sum()),
        "full_model": {
            "topic_micro_f1": round(full_topic, 4),
            "kind_macro_f1": round(full_kind, 4),
        },
        "reaches": rows,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS))
    args = parser.parse_args(argv)
    settings = get_settings().model_copy(update={"classifier_screen": False})
    annotator = load_annotator(settings, with_places=False)
    splits = split_examples(load_corpus(strict=False).examples)
    out: dict[str, Any] = {"lexical_weight": annotator.config.lexical_weight}
    for name in args.sets:
        if name in ("dev", "test"):
            examples = list(splits[name])
        else:
            examples = load_corpus(DEFAULT_CORPUS_DIR.parent / name, strict=False).examples
        if examples:
            out[name] = reach_table(annotator, examples)
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:]), indent=2))
