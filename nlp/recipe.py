"""The shipped model's training recipe: stages that each start from the one before.

Why stages. The full fine-tune (16 epochs of all twelve layers) takes three
minutes on a GPU and about four hours on two CPU cores, and this workplace
lends a GPU rarely. The recipe therefore runs it once on the corpus files of
the first two writing rounds (``FIRST_STAGE_FILES``) and then trains two
more epochs, at lower learning rates, on the whole corpus, starting from that
model. Files added to the corpus later join only the last stage, so the first
stage's model can be reused as long as its files, the settings and the
seed are unchanged: adding texts costs half an hour on a CPU, not four hours.
Figures for this choice are in docs/classifier.md ("Recipe").

The pure parts (which texts a stage trains on, its settings, whether a kept
stage model still matches) are separate from ``run_recipe``, which trains.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nlp.dataset import Example, corpus_hash

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from nlp.training import TrainConfig, TrainResult

# The corpus files of writing rounds 1 and 2, as committed on 2026-11-28 (corpus
# SHA-256 a2877e85…, 4,550 texts). Later files (round 3 and the look-alikes
# against false alarms) join the last stage only.
FIRST_STAGE_FILES: tuple[str, ...] = (
    "news_g.jsonl",
    "news_incidents_a.jsonl",
    "news_incidents_b.jsonl",
    "news_mixed_long.jsonl",
    "news_other.jsonl",
    "news_prevention.jsonl",
    "posts_a.jsonl",
    "posts_b.jsonl",
    "posts_c.jsonl",
    "posts_d.jsonl",
    "posts_e.jsonl",
    "posts_f.jsonl",
)


class RecipeError(ValueError):
    """The corpus does not fit the recipe (the message says which files are missing)."""


@dataclass(frozen=True)
class Stage:
    """One training run; every stage after the first starts from the previous one's model."""

    name: str
    epochs: int
    lr_layers: float
    lr_heads: float
    files: tuple[str, ...] | None = None  # corpus file names trained on; None: all of them

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "epochs": self.epochs,
            "lr_layers": self.lr_layers,
            "lr_heads": self.lr_heads,
            "files": list(self.files) if self.files is not None else "all",
        }


SHIPPED_RECIPE: tuple[Stage, ...] = (
    Stage("rounds-1-2", epochs=16, lr_layers=6e-5, lr_heads=1e-2, files=FIRST_STAGE_FILES),
    # Heads already trained: a tenth of the first stage's rate keeps them from being
    # thrown about; the layers move at a third of theirs. Two epochs, the best one on
    # dev kept (measured: docs/classifier.md, "Recipe").
    Stage("all", epochs=2, lr_layers=2e-5, lr_heads=1e-3),
)

# TrainConfig fields that change what a stage learns; a kept stage model whose record
# differs in any of them is trained again. (device and the inference-only window
# settings do not change the weights beyond floating-point noise.)
_LEARNING_FIELDS = (
    "split_layer",
    "epochs",
    "max_length",
    "lr_layers",
    "lr_heads",
    "weight_decay",
    "warmup_fraction",
    "max_batch",
    "max_tokens",
    "dropout",
    "topic_loss_weight",
    "seed",
    "lainnya_topic_threshold",
    "lexical",
    "lexical_c",
    "temper",
    "int8_lower",
    "int8_upper",
    "int8_ffn",
    "layers",
    "distil_from",
)


def stage_examples(examples: Sequence[Example], stage: Stage) -> list[Example]:
    """The texts a stage trains on (all splits of its files: dev still picks the epoch)."""
    if stage.files is None:
        return list(examples)
    present = {e.origin for e in examples}
    missing = [name for name in stage.files if name not in present]
    if missing:
        raise RecipeError(
            f"stage {stage.name!r} trains on corpus files that are missing: "
            f"{', '.join(missing)} (restore them or train with --recipe single)"
        )
    wanted = set(stage.files)
    return [e for e in examples if e.origin in wanted]


def stage_config(base: TrainConfig, stage: Stage, init_from: Path | None) -> TrainConfig:
    """``base`` with the stage's epochs and rates; later stages warm-start from ``init_from``."""
    return replace(
        base,
        epochs=stage.epochs,
        lr_layers=stage.lr_layers,
        lr_heads=stage.lr_heads,
        init_from=str(init_from) if init_from is not None else None,
    )


def stage_mismatch(training: dict[str, Any], config: TrainConfig, corpus_sha256: str) -> str | None:
    """Why a kept stage model (its ``classifier.json`` training record) cannot be reused.

    ``None`` when it was trained on the same texts with the same learning settings.
    Records written before a field existed hold its default.
    """
    from nlp.training import TrainConfig

    if training.get("corpus_sha256") != corpus_sha256:
        return "its texts differ"
    if training.get("init_from") != config.init_from:
        return "it started from another model"
    defaults = TrainConfig()
    for item in fields(TrainConfig):
        if item.name not in _LEARNING_FIELDS:
            continue
        kept = training.get(item.name, getattr(defaults, item.name))
        if kept != getattr(config, item.name):
            return f"{item.name} was {kept!r}, not {getattr(config, item.name)!r}"
    return None


def _kept_training(folder: Path) -> dict[str, Any] | None:
    path = folder / "classifier.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    training = raw.get("training") if isinstance(raw, dict) else None
    return training if isinstance(training, dict) else None


def stage_record(stage: Stage, result_training: dict[str, Any], version: str) -> dict[str, Any]:
    """What the final model card keeps of each stage."""
    keys = ("corpus_sha256", "train_texts", "dev_texts", "best_epoch", "seconds", "device")
    return {
        **stage.as_dict(),
        **{k: result_training.get(k) for k in keys},
        "model_version": version,
    }


def run_recipe(
    load_base: Callable[[], tuple[PreTrainedModel, PreTrainedTokenizerBase]],
    examples: Sequence[Example],
    config: TrainConfig,
    recipe: Sequence[Stage],
    base_dir: Path,
    out_dir: Path,
    stages_dir: Path,
    cache_dir: Path | None = None,
    reuse: bool = True,
    report: Callable[[str], None] = print,
) -> TrainResult:
    """Train the stages in order; the last one is written to ``out_dir``.

    Earlier stages are written to ``stages_dir/<name>`` and reused there when their
    record matches (``stage_mismatch``). The base is loaded afresh for each stage
    because training changes the encoder it is given.
    """
    from nlp.service import model_version_of
    from nlp.training import save_result, train_classifier

    if not recipe:
        raise RecipeError("the recipe has no stage")
    parts = [stage_examples(examples, stage) for stage in recipe]
    records: list[dict[str, Any]] = []
    previous: Path | None = None
    result: TrainResult | None = None
    for number, (stage, texts) in enumerate(zip(recipe, parts, strict=True), start=1):
        last = number == len(recipe)
        stage_cfg = stage_config(config, stage, previous)
        target = out_dir if last else stages_dir / stage.name
        digest = corpus_hash(texts)
        head = f"stage {number}/{len(recipe)} ({stage.name}): {len(texts)} texts"
        kept = None if last or not reuse else _kept_training(target)
        why = stage_mismatch(kept, stage_cfg, digest) if kept is not None else "none kept"
        if kept is not None and why is None:
            report(f"{head}; reusing the model kept in {target}")
            records.append(stage_record(stage, kept, model_version_of(target)))
            previous = target
            continue
        if not last:
            report(f"{head}; training ({'no reuse' if not reuse else why}), kept in {target}")
            shutil.rmtree(target, ignore_errors=True)
        else:
            report(f"{head}; training, written to {target}")
        encoder, tokenizer = load_base()
        result = train_classifier(encoder, tokenizer, texts, stage_cfg, base_dir, cache_dir, report)
        # Set before saving (save_result sets it too) so the stage record carries it.
        result.config.training["seconds"] = round(result.seconds, 1)
        if last:
            own = stage_record(stage, result.config.training, "this model")
            result.config.training["recipe"] = [*records, own]
            # A local path means nothing on another machine; the stage's name does.
            if previous is not None:
                result.config.training["init_from"] = f"stage {recipe[number - 2].name}"
        save_result(result, target)
        if not last:
            records.append(stage_record(stage, result.config.training, model_version_of(target)))
        previous = target
    assert result is not None  # the last stage always trains
    return result
