"""Train the classifier with several layer splits and report dev figures (choose on dev only).

Run on demand, preferably on a GPU (each full fine-tune is minutes there, hours on two CPU
cores): ``python bench/train_splits.py --device cuda --out /tmp/splits``. Prints one JSON
line per setting: dev topic micro-F1 and kind macro-F1 of the transformer, the n-gram model
and the blend, with the epoch history; each trained model is written under ``--out``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

SETTINGS: dict[str, dict[str, Any]] = {
    "s9_e8_lr1.5e-4": {"split_layer": 9, "epochs": 8, "lr_layers": 1.5e-4},
    "s6_e10_lr1e-4": {"split_layer": 6, "epochs": 10, "lr_layers": 1e-4},
    "s0_e10_lr6e-5": {"split_layer": 0, "epochs": 10, "lr_layers": 6e-5},
    "s0_e16_lr6e-5": {"split_layer": 0, "epochs": 16, "lr_layers": 6e-5},
}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    from nlp.base_model import load_base_model
    from nlp.dataset import load_corpus
    from nlp.service import resolve_base_dir
    from nlp.training import TrainConfig, train_and_save
    from pantau.settings import get_settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--out", type=Path, required=True, help="folder for the trained models")
    parser.add_argument("--only", nargs="*", choices=sorted(SETTINGS), help="settings to run")
    parser.add_argument(
        "--fp32", action="store_true", help="tune on the fp32 network (no int8 after training)"
    )
    parser.add_argument("--epochs", type=int, help="override every setting's epochs")
    parser.add_argument("--every", type=int, default=1, help="use every n-th text (smoke runs)")
    args = parser.parse_args(argv)

    base_dir = resolve_base_dir(get_settings())
    examples = load_corpus().examples[:: args.every]
    results: dict[str, Any] = {}
    for name, over in SETTINGS.items():
        if args.only and name not in args.only:
            continue
        encoder, tokenizer = load_base_model(base_dir)
        config = TrainConfig(device=args.device, int8_upper=not args.fp32, **over)
        if args.epochs:
            config.epochs = args.epochs
        started = time.perf_counter()
        result = train_and_save(
            encoder, tokenizer, examples, config, base_dir, args.out / name, report=print
        )
        training = result.config.training
        results[name] = {
            **over,
            "epochs": config.epochs,
            "seconds": round(time.perf_counter() - started, 1),
            "device": training["device"],
            "dev": training["blend"],
            "history": [
                [
                    int(h["epoch"]),
                    round(h["dev_topic_micro_f1"], 3),
                    round(h["dev_kind_macro_f1"], 3),
                ]
                for h in result.history
            ],
        }
        print(json.dumps({name: results[name]}), flush=True)
    return results


if __name__ == "__main__":
    main()
