"""How far each reduced-precision layout of the shipped network strays from fp32, text by text.

Run on demand (not part of the tests)::

    python bench/quant_fidelity.py            # the 717 test texts, about 3 minutes on 2 cores
    python bench/quant_fidelity.py --texts 200

F1 over a split can stay flat while single texts' answers move a lot, so this
counts texts: for each layout, the transformer's topic and kind probabilities
(batched as the service batches) are compared with the same weights in fp32,
and a text counts when any probability moves by more than 0.05, 0.2 or 0.5.
Layouts name which Linear modules of every layer run in int8 (``Int8Linear``:
per-channel weight scales, per-token activation scales, as the service runs
them); the others run in bf16 (``BF16Linear``, as the service does on
CPUs with native bf16). Also prints each layout's seconds for the whole pass
(one pass, so only a rough guide; ``bench/classify_bench.py`` measures speed).
With ``--batch-dependence`` it also counts the texts whose labels differ when
the service (``Annotator.probabilities`` and ``decide``) classifies them in
one call, batched, and one at a time. Prints a JSON object.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from torch import nn

from nlp.base_model import load_base_model
from nlp.classifier import (
    BATCH_MAX_TEXTS,
    BATCH_MAX_TOKENS,
    SOLO_TOKENS,
    BF16Linear,
    Int8Linear,
    build_model,
    predict_ids,
    tokenize,
)
from nlp.dataset import load_corpus, prepare_text, split_examples
from nlp.service import resolve_base_dir
from pantau.settings import get_settings

# Names of the six Linear modules of a BERT layer.
MODULES = ("query", "key", "value", "attention_output", "ffn_input", "ffn_output")
LAYOUTS: dict[str, tuple[str, ...]] = {
    "bf16 everywhere": (),
    "int8 attention, bf16 feed-forward (--float-ffn)": (
        "query",
        "key",
        "value",
        "attention_output",
    ),
    "int8 FFN input only": ("ffn_input",),
    "int8 FFN output only": ("ffn_output",),
    "int8 everywhere (shipped, int8_ffn)": MODULES,
}
BOUNDS = (0.05, 0.2, 0.5)


def linear_slots(layer: Any) -> dict[str, tuple[nn.Module, str]]:
    """Where each of a BERT layer's Linear modules hangs (parent module, attribute)."""
    attention = layer.attention
    return {
        "query": (attention.self, "query"),
        "key": (attention.self, "key"),
        "value": (attention.self, "value"),
        "attention_output": (attention.output, "dense"),
        "ffn_input": (layer.intermediate, "dense"),
        "ffn_output": (layer.output, "dense"),
    }


def with_layout(fp32_model: nn.Module, int8: Sequence[str]) -> nn.Module:
    """A copy of the fp32 network with the named modules in int8 and the rest in bf16."""
    model: Any = copy.deepcopy(fp32_model)
    for layer in model.encoder.encoder.layer:
        for name, (parent, attr) in linear_slots(layer).items():
            linear = getattr(parent, attr)
            setattr(parent, attr, Int8Linear(linear) if name in int8 else BF16Linear(linear))
    return model  # type: ignore[no-any-return]


def moved_counts(
    reference: tuple[np.ndarray, np.ndarray], other: tuple[np.ndarray, np.ndarray]
) -> dict[str, int]:
    """Texts whose largest probability change exceeds each bound (pure)."""
    moved = np.maximum(
        np.abs(reference[0] - other[0]).max(axis=1), np.abs(reference[1] - other[1]).max(axis=1)
    )
    return {f"over_{bound}": int((moved > bound).sum()) for bound in BOUNDS}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=0, help="first N test texts (0: all)")
    parser.add_argument(
        "--batch-dependence", action="store_true", help="also batched vs one-at-a-time labels"
    )
    args = parser.parse_args(argv)
    settings = get_settings()
    test = split_examples(load_corpus().examples)["test"]
    if args.texts > 0:
        test = test[: args.texts]
    texts = [prepare_text(e.text, e.title) for e in test]
    encoder, tokenizer = load_base_model(resolve_base_dir(settings), compact=True)
    fp32_model, config = build_model(encoder, Path(settings.classifier_path), quantize=False)
    ids = tokenize(tokenizer, texts, config.max_length)

    def run(model: nn.Module) -> tuple[tuple[np.ndarray, np.ndarray], float]:
        start = time.perf_counter()
        probs = predict_ids(
            model,
            ids,
            int(tokenizer.pad_token_id),
            BATCH_MAX_TOKENS,
            BATCH_MAX_TEXTS,
            solo_tokens=SOLO_TOKENS,
        )
        return probs, time.perf_counter() - start

    reference, fp32_seconds = run(fp32_model)
    results: dict[str, Any] = {
        "texts": len(texts),
        "fp32_seconds": round(fp32_seconds, 1),
        "layouts": {},
    }
    for name, int8 in LAYOUTS.items():
        probs, seconds = run(with_layout(fp32_model, int8))
        results["layouts"][name] = {**moved_counts(reference, probs), "seconds": round(seconds, 1)}
        print(name, results["layouts"][name], file=sys.stderr, flush=True)
    if args.batch_dependence:
        results["batch_dependence"] = batch_dependence(settings, texts)
    return results


def batch_dependence(settings: Any, texts: Sequence[str]) -> dict[str, Any]:
    """The service's labels for ``texts`` in one call versus one text per call."""
    from nlp.classifier import decide
    from nlp.service import load_annotator

    annotator = load_annotator(settings, with_places=False)
    together = annotator.probabilities(texts)
    alone = [annotator.probabilities([text]) for text in texts]
    changed = 0
    largest = 0.0
    for i, single in enumerate(alone):
        a = decide(together[0][i], together[1][i], annotator.config)
        b = decide(single[0][0], single[1][0], annotator.config)
        changed += int(a.topics != b.topics or a.kind != b.kind)
        largest = max(
            largest,
            float(np.abs(together[0][i] - single[0][0]).max()),
            float(np.abs(together[1][i] - single[1][0]).max()),
        )
    return {"labels_changed": changed, "largest_probability_change": round(largest, 4)}


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
