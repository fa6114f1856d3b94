"""Classifier speed and memory: Pantau's inference path vs a naive baseline, same model, same run.

Run on demand (not part of the tests)::

    python bench/classify_bench.py --news 24 --posts 64 --f1-texts 400

Measures texts/s for news-length and post-length inputs:

- ``baseline``: what a transformers pipeline does by default with the shipped
  network: one text at a time (batch 1), every layer fp32, ``torch.no_grad``,
  no length batching, transformer only;
- ``batched fp32``: the same network batched by length under
  ``torch.inference_mode``;
- ``service network + blend``: the network the service runs on every text
  the cascade does not settle: batched (long texts alone), layers int8 as
  the shipped config says, plus the n-gram model blended in, with the
  cascade off (``PANTAU_CLASSIFIER_CASCADE=false``);
- ``service model path``: what ``Annotator.probabilities`` runs by default:
  the same, except that texts whose labels the transformer could not change
  (``nlp.cascade``) skip it; labels are identical to the row above;
- ``service end to end``: ``Annotator.annotate`` (cleaning, language, places,
  severity as well);
- ``service screened``: the service model path with the relevance screen on
  (``PANTAU_CLASSIFIER_SCREEN``): texts the n-gram model is sure are
  off-topic skip the transformer.

Besides the test split's news and posts it times a ``news_stream``: news
with a given share (``--stream-share``, default 0.5) of off-topic texts:
from the general-crawl set (``nlp/data/general``, news with no election
angle) when it is there, else the ``lainnya`` news of the test split and the
fresh-writer set (``--stream-other``); the rest are relevant news from
those two. That share is an assumption about a crawl, not a measurement;
the screen's gain grows with it.

Each round times the paths back to back; speed-ups are per-round ratios
(median, and min-max over the rounds), since the shared machine's speed drifts
between minutes. Also reports topic micro-F1 / kind macro-F1 of the fp32 baseline network and
of the service path on held-out test texts, the recall of the keyword
pre-filter on relevant corpus texts, the relevance screen's recall and
screened share on dev, test, the fresh-writer set and the general-crawl
set (and the rule
``nlp.screen.choose_rule`` picks on dev), the share of texts the cascade
settles on those sets and on the long-article challenge set, load time and peak resident memory
(``ru_maxrss``) of the service before the baseline network is loaded. Prints
a JSON object.
"""

from __future__ import annotations

import argparse
import copy
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
from nlp.dataset import (
    DEFAULT_CORPUS_DIR,
    Example,
    label_vectors,
    load_corpus,
    prepare_text,
    split_examples,
)
from nlp.evaluation import evaluate_arrays
from nlp.lexical import predict as lexical_predict
from nlp.screen import ScreenRule, choose_rule, screen_mask
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


def naive(model: torch.nn.Module, tokenizer: Any, max_length: int, texts: Sequence[str]) -> None:
    """Pipeline-style: tokenize and run each text alone, fp32, no batching."""
    with torch.no_grad():
        for text in texts:
            enc = tokenizer(
                PREFIX + text, truncation=True, max_length=max_length, return_tensors="pt"
            )
            model(enc["input_ids"], enc["attention_mask"])


def batched(annotator: Annotator, model: torch.nn.Module, texts: Sequence[str]) -> None:
    ids = tokenize(annotator.tokenizer, texts, annotator.config.max_length)
    predict_ids(
        model, ids, int(annotator.tokenizer.pad_token_id), annotator.max_tokens, annotator.max_batch
    )


def scores(
    annotator: Annotator, examples: Sequence[Example], probs: tuple[np.ndarray, np.ndarray]
) -> dict[str, float]:
    pairs = [label_vectors(e) for e in examples]
    report = evaluate_arrays(
        np.asarray([p[0] for p in pairs]),
        probs[0],
        np.asarray([p[1] for p in pairs]),
        probs[1],
        annotator.config.topic_thresholds,
        annotator.config.lainnya_topic_threshold,
    )
    return {
        "topic_micro_f1": round(report.topic_micro_f1, 4),
        "kind_macro_f1": round(report.kind_macro_f1, 4),
    }


def network_probs(
    annotator: Annotator, model: torch.nn.Module, texts: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """The network alone, batched and heap-trimmed exactly as the service batches."""
    ids = tokenize(annotator.tokenizer, texts, annotator.config.max_length)
    return predict_ids(
        model,
        ids,
        int(annotator.tokenizer.pad_token_id),
        annotator.max_tokens,
        annotator.max_batch,
        solo_tokens=annotator.solo_tokens,
        after_batch=annotator.after_batch,
    )


def every_kth(items: Sequence[Example], n: int) -> list[Example]:
    if n >= len(items):
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


GENERAL_DIR = DEFAULT_CORPUS_DIR.parent / "general"


def stream(
    relevant: Sequence[Example], other: Sequence[Example], n: int, share: float
) -> list[Example]:
    """``n`` texts of which ``share`` come from ``other``, interleaved evenly (pure)."""
    n_other = min(len(other), round(n * share))
    picked_other = every_kth(other, n_other) if n_other else []
    picked_relevant = every_kth(relevant, n - n_other)
    out: list[Example] = []
    for i in range(n):
        # Bresenham-style: the i-th text is off-topic when the running share says so.
        take_other = bool(picked_other) and (i + 1) * n_other // n > i * n_other // n
        out.append(picked_other.pop(0) if take_other else picked_relevant.pop(0))
    return out


def screen_figures(annotator: Annotator, rule: ScreenRule) -> dict[str, Any]:
    """Recall and screened share of ``rule`` (n-gram model only) on held-out sets."""
    if annotator.lexical is None:
        return {"error": "this classifier has no n-gram model"}
    lexical = annotator.lexical
    lainnya = annotator.config.kinds.index("lainnya")
    parts = split_examples(load_corpus(strict=False).examples)
    sets = {
        "dev": parts["dev"],
        "test": parts["test"],
        "fresh": load_corpus(DEFAULT_CORPUS_DIR.parent / "fresh", strict=False).examples,
    }
    if any(GENERAL_DIR.glob("*.jsonl")):
        sets["general"] = load_corpus(GENERAL_DIR, strict=False).examples
    out: dict[str, Any] = {"rule": {"lainnya_min": rule.lainnya_min, "topic_max": rule.topic_max}}
    for name, examples in sets.items():
        topic, kind = lexical_predict(lexical, [prepare_text(e.text, e.title) for e in examples])
        relevant = np.asarray([e.kind != "lainnya" for e in examples], dtype=bool)
        mask = screen_mask(topic, kind, lainnya, rule)
        out[name] = {
            "texts": len(examples),
            "relevant_screened": int((mask & relevant).sum()),
            "recall_on_relevant": round(1 - (mask & relevant).sum() / max(1, relevant.sum()), 4),
            "screened_share": round(float(mask.mean()), 4),
            "lainnya_screened_share": round(float(mask[~relevant].mean()), 4)
            if (~relevant).any()
            else None,
            "news_screened_share": round(
                float(mask[[e.register == "news" for e in examples]].mean()), 4
            ),
        }
        if name == "dev":
            choice = choose_rule(topic, kind, relevant, lainnya)
            out["chosen_on_dev"] = {
                "lainnya_min": choice.rule.lainnya_min,
                "topic_max": choice.rule.topic_max,
            }
    return out


def cascade_figures(annotator: Annotator) -> dict[str, Any]:
    """Share of texts the cascade settles (n-gram model only) on the held-out sets."""
    from nlp.cascade import settled_for

    assert annotator.lexical is not None
    config = annotator.config
    corpus = load_corpus(strict=False).examples
    sets = {
        "dev": split_examples(corpus)["dev"],
        "test": split_examples(corpus)["test"],
        **{
            name: load_corpus(DEFAULT_CORPUS_DIR.parent / name, strict=False).examples
            for name in ("fresh", "general", "challenge")
        },
    }
    out: dict[str, Any] = {}
    for name, examples in sets.items():
        if not examples:
            continue
        topic, kind = lexical_predict(
            annotator.lexical, [prepare_text(e.text, e.title) for e in examples]
        )
        mask = settled_for(topic, kind, config)
        news = np.asarray([e.register == "news" for e in examples])
        out[name] = {
            "texts": len(examples),
            "settled_share": round(float(mask.mean()), 4),
            "news_settled_share": round(float(mask[news].mean()), 4) if news.any() else None,
            "posts_settled_share": round(float(mask[~news].mean()), 4) if (~news).any() else None,
        }
    return out


def fp32_network(settings: Any) -> torch.nn.Module:
    """The shipped delta on a fresh base with every layer fp32 (what a pipeline would run)."""
    from pathlib import Path

    from nlp.base_model import load_base_model
    from nlp.classifier import build_model
    from nlp.service import resolve_base_dir

    encoder, _ = load_base_model(resolve_base_dir(settings))
    model, _ = build_model(encoder, Path(settings.classifier_path), quantize=False)
    return model


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--news", type=int, default=24, help="news texts to time")
    parser.add_argument("--posts", type=int, default=64, help="posts to time")
    parser.add_argument("--f1-texts", type=int, default=400, help="test texts for the F1 check")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    parser.add_argument("--rounds", type=int, default=3, help="timing rounds (ratios per round)")
    parser.add_argument(
        "--stream-other",
        choices=("general", "heldout"),
        default="general" if any(GENERAL_DIR.glob("*.jsonl")) else "heldout",
        help="off-topic texts of the news_stream: the general-crawl set or held-out lainnya news",
    )
    parser.add_argument(
        "--stream-share",
        type=float,
        default=0.5,
        help="share of lainnya texts in the news_stream sample (an assumption, not data)",
    )
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    settings = get_settings().model_copy(
        update={"classifier_screen": False, "classifier_cascade": True}
    )
    start = time.perf_counter()
    annotator = load_annotator(settings)
    load_s = time.perf_counter() - start
    rss_after_load = peak_rss_mb()
    rule = ScreenRule(settings.classifier_screen_lainnya, settings.classifier_screen_topic)
    screening = copy.copy(annotator)  # same network and lock, screen on
    screening.screen = rule
    full = copy.copy(annotator)  # same network, every text through the transformer
    full.cascade = False

    corpus = load_corpus(strict=False).examples
    test = sorted(split_examples(corpus)["test"], key=lambda e: e.id)
    news = every_kth([e for e in test if e.register == "news"], args.news)
    posts = every_kth([e for e in test if e.register == "post"], args.posts)
    fresh = load_corpus(DEFAULT_CORPUS_DIR.parent / "fresh", strict=False).examples
    held_news = sorted([e for e in [*test, *fresh] if e.register == "news"], key=lambda e: e.id)
    if args.stream_other == "general":
        other_news = sorted(
            [e for e in load_corpus(GENERAL_DIR, strict=False).examples if e.register == "news"],
            key=lambda e: e.id,
        )
    else:
        other_news = [e for e in held_news if e.kind == "lainnya"]
    news_stream = stream(
        [e for e in held_news if e.kind != "lainnya"], other_news, args.news, args.stream_share
    )
    picked = {"news": news, "post": posts, "news_stream": news_stream}
    samples = {k: [prepare_text(e.text, e.title) for e in v] for k, v in picked.items()}
    records = {
        k: [{"id": e.id, "title": e.title, "text": e.text} for e in v] for k, v in picked.items()
    }
    results: dict[str, Any] = {
        "torch_threads": torch.get_num_threads(),
        "int8_lower": annotator.config.int8_lower,
        "int8_upper": annotator.config.int8_upper,
        "bf16_ffn": any(type(m).__name__ == "BF16Linear" for m in annotator.model.modules()),
        "lexical_weight": annotator.config.lexical_weight,
        "load_seconds": round(load_s, 2),
        "rss_after_load_mb": round(rss_after_load, 0),
        "texts": {k: len(v) for k, v in samples.items()},
        "stream_other": args.stream_other,
        "stream_lainnya_share": round(
            sum(e.kind == "lainnya" for e in news_stream) / max(1, len(news_stream)), 3
        ),
        "mean_tokens": {
            k: round(float(np.mean([len(i) for i in tokenize(annotator.tokenizer, v, 512)])), 1)
            for k, v in samples.items()
        },
    }
    f1_examples = every_kth(test, args.f1_texts)
    f1_texts = [prepare_text(e.text, e.title) for e in f1_examples]

    # The service first, so the peak memory below is the service's own.
    for register, texts in samples.items():
        annotator.probabilities(texts[:4])  # warm-up
        annotator.annotate(records[register])
    f1_service = scores(annotator, f1_examples, annotator.probabilities(f1_texts))
    # Taken before anything the service does not do (the network-only pass below).
    results["service_peak_rss_mb"] = round(peak_rss_mb(), 0)
    service_network = network_probs(annotator, annotator.model, f1_texts)
    f1_service_network = scores(annotator, f1_examples, service_network)
    results["peak_rss_mb_after_network_only_pass"] = round(peak_rss_mb(), 0)

    baseline = fp32_network(settings)
    tokenizer, max_length = annotator.tokenizer, annotator.config.max_length
    # The machine's speed drifts (shared cores), so every round times all four paths
    # back to back and the ratios are taken within a round: median, min and max.
    paths: dict[str, Callable[[str], Any]] = {
        "baseline": lambda r: naive(baseline, tokenizer, max_length, samples[r]),
        "batched_fp32": lambda r: batched(annotator, baseline, samples[r]),
        "service_network_blend": lambda r: full.probabilities(samples[r]),
        "service_model_path": lambda r: annotator.probabilities(samples[r]),
        "service_end_to_end": lambda r: annotator.annotate(records[r]),
        "service_screened": lambda r: screening.probabilities(samples[r]),
    }
    speed: dict[str, dict[str, Any]] = {}
    for register, texts in samples.items():
        naive(baseline, tokenizer, max_length, texts[:2])  # warm-up
        per_round: dict[str, list[float]] = {name: [] for name in paths}
        for _ in range(args.rounds):
            for name, run in paths.items():
                per_round[name].append(len(texts) / timed(partial(run, register)))
        row: dict[str, Any] = {
            f"{name}_texts_per_s": round(float(np.median(v)), 2) for name, v in per_round.items()
        }
        row["screened_texts"] = int(screening.scores(texts).screened.sum())
        row["settled_texts"] = int(annotator.scores(texts).settled.sum())
        for name in (
            "batched_fp32",
            "service_network_blend",
            "service_model_path",
            "service_end_to_end",
            "service_screened",
        ):
            ratios = [a / b for a, b in zip(per_round[name], per_round["baseline"], strict=True)]
            row[f"speedup_{name}"] = round(float(np.median(ratios)), 2)
            row[f"speedup_{name}_range"] = [round(min(ratios), 2), round(max(ratios), 2)]
        speed[register] = row
    results["speed"] = speed
    results["f1"] = {
        "texts": len(f1_examples),
        "baseline_fp32_network": scores(
            annotator, f1_examples, network_probs(annotator, baseline, f1_texts)
        ),
        "service_network_only": f1_service_network,
        "service_network_blend": scores(annotator, f1_examples, full.probabilities(f1_texts)),
        "service": f1_service,
        "service_screened": scores(annotator, f1_examples, screening.probabilities(f1_texts)),
    }
    results["screen"] = screen_figures(annotator, rule)
    results["cascade"] = cascade_figures(annotator)

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
    results["peak_rss_mb_with_baseline_loaded"] = round(peak_rss_mb(), 0)
    return results


if __name__ == "__main__":
    out = main(sys.argv[1:])
    print(json.dumps(out, indent=2))
