"""Long articles: what reading past the first window buys, and what it costs.

Run on demand (not part of the tests)::

    python bench/long_texts.py --choose-on dev --report-on test

The model reads ``max_length`` tokens (about 315 words of news); real articles
are often longer and report the incident further down. For each window setting
(``max_chunks`` x ``chunk_length``, see ``nlp.classifier.chunk_ids``) this
prints topic micro-F1, kind macro-F1 and incident recall on:

- probes made from held-out news (``nlp.evaluation.long_probes``): an incident
  after a quiet opening ("late"), an incident first ("early"), no incident
  ("none", where reading further can only add false alarms). The setting is
  chosen on the ``--choose-on`` split's probes; ``--report-on`` gives fresh ones.
- the long-article challenge set (``nlp/data/challenge``: 652-904 word
  articles written for evaluation only, never trained or tuned on), by file and
  by where the deciding passage sits;
- speed: texts/s on the challenge articles, each setting against one window
  (``1x512``) timed in the same round, median ratio over ``--rounds``.

Prints tables, then one JSON object.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nlp.dataset import (
    DEFAULT_CORPUS_DIR,
    Example,
    label_vectors,
    load_corpus,
    prepare_text,
    split_examples,
)
from nlp.evaluation import evaluate_arrays, long_probes
from nlp.service import Annotator, load_annotator
from pantau.settings import get_settings

CHALLENGE_DIR = Path(__file__).resolve().parents[1] / "nlp" / "data" / "challenge"
SETTINGS = ("1x512", "4x512", "12x256", "16x192")


def parse_setting(text: str) -> tuple[int, int]:
    chunks, _, length = text.partition("x")
    return int(chunks), int(length or 512)


def probabilities(
    annotator: Annotator, texts: Sequence[str], setting: str
) -> tuple[np.ndarray, np.ndarray]:
    chunks, length = parse_setting(setting)
    annotator.config = dataclasses.replace(annotator.config, max_chunks=chunks, chunk_length=length)
    return annotator.probabilities(texts)


def scores(
    annotator: Annotator, examples: Sequence[Example], probs: tuple[np.ndarray, np.ndarray]
) -> dict[str, float]:
    if not examples:
        return {}
    pairs = [label_vectors(e) for e in examples]
    true_kinds = np.asarray([p[1] for p in pairs])
    report = evaluate_arrays(
        np.asarray([p[0] for p in pairs], dtype=np.float32),
        probs[0],
        true_kinds,
        probs[1],
        annotator.config.topic_thresholds,
        annotator.config.lainnya_topic_threshold,
    )
    incident = annotator.config.kinds.index("dugaan_pelanggaran")
    predicted = probs[1].argmax(axis=1)
    truly = true_kinds == incident
    out = {
        "texts": float(len(examples)),
        "topic_micro_f1": round(report.topic_micro_f1, 4),
        "kind_accuracy": round(report.kind_accuracy, 4),
    }
    if len(set(true_kinds.tolist())) > 1:  # macro-F1 over one true kind says nothing
        out["kind_macro_f1"] = round(report.kind_macro_f1, 4)
    if truly.any():
        out["incident_recall"] = round(float((predicted[truly] == incident).mean()), 4)
    if (~truly).any():
        out["false_incident_rate"] = round(float((predicted[~truly] == incident).mean()), 4)
    return out


def grouped(
    annotator: Annotator,
    examples: Sequence[Example],
    probs: tuple[np.ndarray, np.ndarray],
    key: Any,
) -> dict[str, dict[str, float]]:
    out = {"all": scores(annotator, examples, probs)}
    for name in sorted({key(e) for e in examples}):
        rows = [i for i, e in enumerate(examples) if key(e) == name]
        out[name] = scores(annotator, [examples[i] for i in rows], (probs[0][rows], probs[1][rows]))
    return out


def load_challenge(directory: Path) -> tuple[list[Example], dict[str, str]]:
    """The challenge articles and, per id, where the passage that decides the labels sits."""
    loaded = load_corpus(directory)
    position: dict[str, str] = {}
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                raw = json.loads(line)
                position[raw["id"]] = str(raw.get("position", "?"))
    return loaded.examples, position


def table(title: str, rows: dict[str, dict[str, dict[str, float]]]) -> str:
    lines = [
        f"### {title}",
        "",
        "| setting | group | texts | topic F1 | kind F1 | kind acc. | incident recall "
        "| false incidents |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for setting, groups in rows.items():
        for group, s in groups.items():
            if not s:
                continue
            cells = [
                f"{s[k]:.3f}" if k in s else "-"
                for k in (
                    "topic_micro_f1",
                    "kind_macro_f1",
                    "kind_accuracy",
                    "incident_recall",
                    "false_incident_rate",
                )
            ]
            lines.append(f"| {setting} | {group} | {int(s['texts'])} | {' | '.join(cells)} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS))
    parser.add_argument("--choose-on", default="dev", help="split whose probes choose")
    parser.add_argument("--report-on", default="test", help="split for fresh probes ('' skips)")
    parser.add_argument("--per-kind", type=int, default=60, help="probes per group")
    parser.add_argument("--challenge", type=Path, default=CHALLENGE_DIR)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (0 skips speed)")
    args = parser.parse_args()

    annotator = load_annotator(get_settings(), with_places=False)
    shipped = dataclasses.replace(annotator.config)
    parts = split_examples(load_corpus(DEFAULT_CORPUS_DIR).examples)
    sets: dict[str, list[Example]] = {
        f"probes ({args.choose_on})": long_probes(parts[args.choose_on], args.per_kind, seed=1)
    }
    if args.report_on:
        sets[f"probes ({args.report_on})"] = long_probes(
            parts[args.report_on], args.per_kind, seed=2
        )
    position: dict[str, str] = {}
    if args.challenge.is_dir() and any(args.challenge.glob("*.jsonl")):
        sets["challenge"], position = load_challenge(args.challenge)

    results: dict[str, Any] = {
        "shipped": f"{shipped.max_chunks}x{shipped.chunk_length}",
        "sets": {},
    }
    for name, examples in sets.items():
        texts = [prepare_text(e.text, e.title) for e in examples]
        lengths = [len(ids) for ids in annotator.tokenizer(texts, verbose=False)["input_ids"]]
        per_setting: dict[str, dict[str, dict[str, float]]] = {}
        for setting in args.settings:
            probs = probabilities(annotator, texts, setting)
            if name == "challenge":
                per_setting[setting] = {
                    **grouped(annotator, examples, probs, lambda e: e.origin.split(".")[0]),
                    **{
                        f"position {k}": v
                        for k, v in grouped(
                            annotator, examples, probs, lambda e: position.get(e.id, "?")
                        ).items()
                        if k != "all"
                    },
                }
            else:
                per_setting[setting] = grouped(
                    annotator, examples, probs, lambda e: e.origin.removeprefix("probe-")
                )
        results["sets"][name] = {
            "median_tokens": int(statistics.median(lengths)),
            "scores": per_setting,
        }
        print(
            table(
                f"{name}: {len(examples)} texts, median {statistics.median(lengths):.0f} tokens",
                per_setting,
            )
            + "\n",
            flush=True,
        )

    if args.rounds and "challenge" in sets:
        texts = [prepare_text(e.text, e.title) for e in sets["challenge"]]
        ratios: dict[str, list[float]] = {s: [] for s in args.settings}
        rates: dict[str, list[float]] = {s: [] for s in args.settings}
        probabilities(annotator, texts[:4], "1x512")  # warm-up
        for _ in range(args.rounds):
            base = 0.0
            for setting in ["1x512", *[s for s in args.settings if s != "1x512"]]:
                start = time.perf_counter()
                probabilities(annotator, texts, setting)
                rate = len(texts) / (time.perf_counter() - start)
                base = rate if setting == "1x512" else base
                if setting in rates:
                    rates[setting].append(rate)
                    ratios[setting].append(rate / base)
        results["speed"] = {
            s: {
                "texts_per_s": round(statistics.median(rates[s]), 2),
                "vs_one_window": round(statistics.median(ratios[s]), 3),
            }
            for s in args.settings
        }
        print("### speed on the challenge articles (median over rounds)\n")
        for s, v in results["speed"].items():
            print(f"- {s}: {v['texts_per_s']} texts/s, {v['vs_one_window']}x one window")
        print()
    annotator.config = shipped
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
