"""Classifier speed and memory: Pantau's inference path vs a naive baseline, same model, same run.

Run on demand (not part of the tests)::

    python bench/classify_bench.py --news 24 --posts 64 --f1-texts 200

Measures texts/s for news-length and post-length inputs:

- ``baseline``: what a transformers pipeline does by default: one text at a
  time (batch 1), fp32, ``torch.no_grad``, no length batching;
- ``batched fp32``: Pantau's path: texts sorted and batched by length,
  ``torch.inference_mode``;
- ``int8 lower`` / ``int8 all``: the same after
  ``torch.ao.quantization.quantize_dynamic`` (int8 weights, fp32 activations)
  of the ``nn.Linear`` layers of the frozen lower part only, then of all;
- ``service``: ``Annotator.annotate`` end to end (cleaning, language, places,
  severity) with the fp32 model.

Also reports topic micro-F1 / kind macro-F1 of fp32 vs both int8 stages on held-out test
texts, the recall of the keyword pre-filter on relevant corpus texts, load
time and peak resident memory (``ru_maxrss``). Prints a JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np
import torch

from nlp.classifier import PREFIX, predict_ids, tokenize
from nlp.dataset import Example, label_vectors, load_corpus, prepare_text, split_examples
from nlp.evaluation import evaluate_arrays
from nlp.service import Annotator, election_relevant, load_annotator
from pantau.settings import get_settings


def peak_rss_mb() -> float:
    # Linux reports kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], Any], rounds: int = 1) -> float:
    """Best wall time of ``rounds`` runs (after the caller's warm-up)."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def naive(annotator: Annotator, texts: Sequence[str]) -> None:
    """Pipeline-style: tokenize and run each text alone, fp32, no batching."""
    model, tok = annotator.model, annotator.tokenizer
    with torch.no_grad():
        for text in texts:
            enc = tok(
                PREFIX + text,
                truncation=True,
                max_length=annotator.config.max_length,
                return_tensors="pt",
            )
            model(enc["input_ids"], enc["attention_mask"])


def batched(annotator: Annotator, model: torch.nn.Module, texts: Sequence[str]) -> None:
    ids = tokenize(annotator.tokenizer, texts, annotator.config.max_length)
    predict_ids(
        model, ids, int(annotator.tokenizer.pad_token_id), annotator.max_tokens, annotator.max_batch
    )


def f1_of(
    annotator: Annotator, model: torch.nn.Module, examples: Sequence[Example]
) -> dict[str, float]:
    texts = [prepare_text(e.text, e.title) for e in examples]
    ids = tokenize(annotator.tokenizer, texts, annotator.config.max_length)
    topic_p, kind_p = predict_ids(
        model, ids, int(annotator.tokenizer.pad_token_id), annotator.max_tokens, annotator.max_batch
    )
    pairs = [label_vectors(e) for e in examples]
    report = evaluate_arrays(
        np.asarray([p[0] for p in pairs]),
        topic_p,
        np.asarray([p[1] for p in pairs]),
        kind_p,
        annotator.config.topic_thresholds,
        annotator.config.lainnya_topic_threshold,
    )
    return {"topic_micro_f1": report.topic_micro_f1, "kind_macro_f1": report.kind_macro_f1}


def every_kth(items: Sequence[Example], n: int) -> list[Example]:
    if n >= len(items):
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--news", type=int, default=24, help="news texts to time")
    parser.add_argument("--posts", type=int, default=64, help="posts to time")
    parser.add_argument("--f1-texts", type=int, default=200, help="test texts for the F1 check")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    settings = get_settings()
    start = time.perf_counter()
    annotator = load_annotator(settings)
    load_s = time.perf_counter() - start
    rss_after_load = peak_rss_mb()

    corpus = load_corpus(strict=False).examples
    test = sorted(split_examples(corpus)["test"], key=lambda e: e.id)
    news = every_kth([e for e in test if e.register == "news"], args.news)
    posts = every_kth([e for e in test if e.register == "post"], args.posts)
    samples = {
        "news": [prepare_text(e.text, e.title) for e in news],
        "post": [prepare_text(e.text, e.title) for e in posts],
    }
    records = {
        "news": [{"id": e.id, "title": e.title, "text": e.text} for e in news],
        "post": [{"id": e.id, "text": e.text} for e in posts],
    }
    results: dict[str, Any] = {
        "torch_threads": torch.get_num_threads(),
        "load_seconds": round(load_s, 2),
        "rss_after_load_mb": round(rss_after_load, 0),
        "texts": {k: len(v) for k, v in samples.items()},
        "mean_tokens": {
            k: round(float(np.mean([len(i) for i in tokenize(annotator.tokenizer, v, 512)])), 1)
            for k, v in samples.items()
        },
    }
    model = annotator.model
    speed: dict[str, dict[str, float]] = {}
    for register, texts in samples.items():
        naive(annotator, texts[:2])  # warm-up
        batched(annotator, model, texts[:4])
        t_naive = timed(partial(naive, annotator, texts))
        t_batched = timed(partial(batched, annotator, model, texts))
        t_service = timed(partial(annotator.annotate, records[register]))
        speed[register] = {
            "baseline_texts_per_s": len(texts) / t_naive,
            "batched_fp32_texts_per_s": len(texts) / t_batched,
            "service_fp32_texts_per_s": len(texts) / t_service,
        }

    f1_examples = every_kth(test, args.f1_texts)
    f1_fp32 = f1_of(annotator, model, f1_examples)

    # In place, in two stages (a copy would hold fp32 and int8 weights at once):
    # first only the frozen lower layers, then everything.
    stages: dict[str, dict[str, float]] = {}
    for stage in ("int8_lower", "int8_all"):
        if stage == "int8_lower":
            for layer in model.encoder.encoder.layer[: annotator.config.split_layer]:
                torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]
                    layer, {torch.nn.Linear}, dtype=torch.qint8, inplace=True
                )
        else:
            torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]
                model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True
            )
        for register, texts in samples.items():
            batched(annotator, model, texts[:4])
            t_int8 = timed(partial(batched, annotator, model, texts))
            speed[register][f"batched_{stage}_texts_per_s"] = len(texts) / t_int8
        stages[stage] = f1_of(annotator, model, f1_examples)

    for register, row in speed.items():
        base = row["baseline_texts_per_s"]
        row["speedup_batched_fp32"] = row["batched_fp32_texts_per_s"] / base
        row["speedup_int8_lower"] = row["batched_int8_lower_texts_per_s"] / base
        row["speedup_int8_all"] = row["batched_int8_all_texts_per_s"] / base
        speed[register] = {k: round(v, 2) for k, v in row.items()}
    results["speed"] = speed
    results["f1"] = {
        "texts": len(f1_examples),
        "fp32": {k: round(v, 4) for k, v in f1_fp32.items()},
        **{name: {k: round(v, 4) for k, v in f.items()} for name, f in stages.items()},
    }

    relevant = [e for e in corpus if e.kind != "lainnya"]
    other = [e for e in corpus if e.kind == "lainnya"]
    passed_relevant = sum(election_relevant(prepare_text(e.text, e.title)) for e in relevant)
    passed_other = sum(election_relevant(prepare_text(e.text, e.title)) for e in other)
    results["prefilter"] = {
        "recall_on_relevant": round(passed_relevant / max(1, len(relevant)), 4),
        "relevant_texts": len(relevant),
        "lainnya_skipped_fraction": round(1 - passed_other / max(1, len(other)), 4),
        "lainnya_texts": len(other),
    }
    results["peak_rss_mb"] = round(peak_rss_mb(), 0)
    return results


if __name__ == "__main__":
    out = main(sys.argv[1:])
    print(json.dumps(out, indent=2))
