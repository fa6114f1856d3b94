"""Would a shallower encoder buy the missing speed? A cut of the shipped model, measured.

Run on demand (not part of the tests; about 25 minutes on 2 CPU cores)::

    python -m bench.shallow_encoder --layers 6 --epochs 8 --lr 1e-4

Keeps the first ``--layers`` fine-tuned layers of the shipped model, freezes
all but the top two of them, trains those two and new heads on the train
split (``nlp.training.train_classifier``, CPU), then runs every layer in int8
as the service does, chooses the n-gram weight and thresholds on dev and
reports: dev, test and fresh-writer F1 next to the shipped model's, and
texts/s of both against the batch-1 fp32 baseline of ``classify_bench.py``,
timed in the same rounds. A GPU could train all the kept layers and distil
from the full model; this measures what the CPU can do. Prints a JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bench.classify_bench import every_kth, fp32_network, naive
from nlp.base_model import load_base_model
from nlp.classifier import WEIGHTS_FILE, TopicKindModel, keep_layers, overlay_delta
from nlp.dataset import Example, load_corpus, prepare_text, split_examples
from nlp.evaluation import evaluate_examples
from nlp.heap import heap_trimmer
from nlp.lexical import predict as lexical_predict
from nlp.service import Annotator, load_annotator, resolve_base_dir
from nlp.training import TrainConfig, calibrate_on, train_classifier
from pantau.settings import get_settings

FRESH_DIR = Path(__file__).resolve().parents[1] / "nlp" / "data" / "fresh"


def cut_encoder(settings: Any, layers: int, compact: bool) -> tuple[Any, Any]:
    """The base encoder with the shipped fine-tuned layers laid over it, first ``layers`` kept."""
    from safetensors.torch import load_file

    loaded, tokenizer = load_base_model(resolve_base_dir(settings), compact=compact)
    encoder: Any = loaded  # transformers types submodules loosely
    delta = load_file(str(Path(settings.classifier_path) / WEIGHTS_FILE))
    state = {
        k.removeprefix("encoder."): v.float() for k, v in delta.items() if k.startswith("encoder.")
    }
    _, unexpected = encoder.load_state_dict(state, strict=False)
    if unexpected:
        raise SystemExit(f"the shipped delta does not fit the base: {unexpected[:3]}")
    keep_layers(encoder, layers)
    return encoder, tokenizer


def scores(annotator: Annotator, examples: Sequence[Example]) -> dict[str, float]:
    report = evaluate_examples(annotator, examples)
    return {
        "topic_micro_f1": round(report.topic_micro_f1, 4),
        "kind_macro_f1": round(report.kind_macro_f1, 4),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--layers", type=int, default=6, help="encoder layers kept (2-11)")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-4, help="learning rate of the two layers")
    parser.add_argument("--rounds", type=int, default=3, help="timing rounds")
    args = parser.parse_args(argv)
    if not 2 <= args.layers <= 11:
        parser.error("--layers must be between 2 and 11")
    torch.set_num_threads(2)
    settings = get_settings()
    corpus = load_corpus().examples
    parts = split_examples(corpus)

    started = time.perf_counter()
    encoder, tokenizer = cut_encoder(settings, args.layers, compact=False)
    config = TrainConfig(
        split_layer=args.layers - 2, epochs=args.epochs, lr_layers=args.lr, device="cpu"
    )
    with tempfile.TemporaryDirectory() as cache:
        result = train_classifier(
            encoder,
            tokenizer,
            corpus,
            config,
            resolve_base_dir(settings),
            Path(cache),
            report=lambda line: print(line, file=sys.stderr, flush=True),
        )
    train_seconds = time.perf_counter() - started
    if result.state is None:
        raise SystemExit("training returned no weights")

    # The service's numerics: a fresh compact base, the trained layers laid over it,
    # every layer int8 (the frozen ones too).
    encoder, tokenizer = cut_encoder(settings, args.layers, compact=True)
    model = TopicKindModel(encoder, config.split_layer, config.dropout)
    overlay_delta(model, result.state)
    model.quantize_lower()
    model.quantize_upper(False, True)
    model.eval()
    shallow_config = result.config
    shallow = Annotator(
        model,
        tokenizer,
        shallow_config,
        None,
        "shallow",
        result.lexical,
        after_batch=heap_trimmer(settings.classifier_heap_trim_mb),
    )
    dev_texts = [prepare_text(e.text, e.title) for e in parts["dev"]]
    topic_p, kind_p = shallow.model_probabilities(dev_texts)
    lexical = lexical_predict(result.lexical, dev_texts) if result.lexical else None
    tuned = calibrate_on(parts["dev"], topic_p, kind_p, lexical, config.lainnya_topic_threshold)
    shallow_config.lexical_weight = tuned.lexical_weight
    shallow_config.topic_thresholds = tuned.thresholds

    shipped = load_annotator(settings, with_places=False)
    fresh = load_corpus(FRESH_DIR).examples
    results: dict[str, Any] = {
        "layers": args.layers,
        "trained_layers": 2,
        "epochs": args.epochs,
        "train_seconds": round(train_seconds),
        "lexical_weight": tuned.lexical_weight,
        "history": result.history,
        "f1": {
            name: {"shipped": scores(shipped, examples), "shallow": scores(shallow, examples)}
            for name, examples in (("dev", parts["dev"]), ("test", parts["test"]), ("fresh", fresh))
        },
    }

    baseline = fp32_network(settings)
    test = sorted(parts["test"], key=lambda e: e.id)
    samples = {
        register: [
            prepare_text(e.text, e.title)
            for e in every_kth([e for e in test if e.register == register], n)
        ]
        for register, n in (("news", 24), ("post", 64))
    }
    speed: dict[str, Any] = {}
    for register, texts in samples.items():
        for annotator in (shipped, shallow):
            annotator.probabilities(texts[:4])  # warm-up
        naive(baseline, tokenizer, shipped.config.max_length, texts[:2])
        ratios: dict[str, list[float]] = {"shipped": [], "shallow": []}
        for _ in range(args.rounds):
            start = time.perf_counter()
            naive(baseline, tokenizer, shipped.config.max_length, texts)
            base_s = time.perf_counter() - start
            for name, annotator in (("shipped", shipped), ("shallow", shallow)):
                start = time.perf_counter()
                annotator.probabilities(texts)
                ratios[name].append(base_s / (time.perf_counter() - start))
        speed[register] = {
            name: {
                "median": round(float(np.median(v)), 2),
                "min": round(min(v), 2),
                "max": round(max(v), 2),
            }
            for name, v in ratios.items()
        }
    results["speedup_vs_batch1_fp32"] = speed
    return results


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
