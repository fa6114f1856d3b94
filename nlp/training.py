"""Fine-tune the classifier's encoder layers and heads on the labelled corpus.

What trains. The embeddings and the lower ``split_layer`` layers are frozen,
so their output for a text never changes: it is computed once per text (kept
in an on-disk cache keyed by the text and the frozen base's fingerprint) and
the epochs run only the upper layers and the heads on those cached states.
The shipped model uses ``split_layer=0``: every encoder layer is fine-tuned
and only the embedding output is cached. A higher split trades accuracy for
CPU time (figures in docs/classifier.md).

Where. ``device="auto"`` trains on a GPU when torch sees one (the shipped
model: about 3 minutes on one H200) and on the CPU otherwise (hours on two
cores). After the best epoch is restored, everything moves to the CPU, the
trained layers are quantised to int8 as the service runs them, and the n-gram
weight and the topic thresholds are tuned on dev on that network.

Determinism: seeds for ``random``, numpy and torch are fixed and batches are
formed by a seeded generator, so the same corpus, settings and device give the
same weights up to floating-point nondeterminism of parallel kernels; a GPU
and a CPU run differ by that much too.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from nlp.classifier import (
    BATCH_MAX_TEXTS,
    BATCH_MAX_TOKENS,
    SOLO_TOKENS,
    WEIGHTS_FILE,
    ClassifierConfig,
    TopicKindModel,
    base_fingerprint,
    build_model,
    keep_layers,
    native_bf16,
    overlay_delta,
    pad_batch,
    predict_ids,
    read_config,
    save_delta,
    tokenize,
)
from nlp.dataset import (
    KINDS,
    TOPICS,
    Example,
    corpus_hash,
    label_vectors,
    prepare_text,
    split_examples,
)
from nlp.evaluation import choose_thresholds, evaluate_arrays, tune_blend

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from nlp.lexical import LexicalModel

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    # 0: every encoder layer is fine-tuned (only the embeddings stay frozen).
    split_layer: int = 0
    epochs: int = 16
    max_length: int = 512
    lr_layers: float = 6e-5
    lr_heads: float = 1e-2
    weight_decay: float = 0.01
    warmup_fraction: float = 0.1
    max_batch: int = 16
    max_tokens: int = 4096
    dropout: float = 0.1
    topic_loss_weight: float = 4.0
    seed: int = 20241127
    lainnya_topic_threshold: float = 0.9
    # The n-gram model blended with the transformer (nlp/lexical.py); its weight is tuned on dev.
    lexical: bool = True
    lexical_c: float = 8.0
    # Temperature-scale the transformer's probabilities (fitted on dev) before the blend:
    # the fine-tuned network is overconfident, so without it the blend is a vote in
    # which whichever model is louder wins (docs/classifier.md, "Blend").
    temper: bool = False
    # Train the upper layers on the int8-quantised lower layers' output, which is what
    # the service then runs (quantisation-aware in the only place it matters).
    int8_lower: bool = False
    # Quantise the fine-tuned layers after training; the blend weight and the
    # thresholds are then tuned on dev on that network, which is what the service runs.
    int8_upper: bool = True
    # The feed-forward block in int8 as well (see ClassifierConfig.int8_ffn).
    int8_ffn: bool = True
    # Without int8_ffn: the feed-forward block in bf16 (None: when the CPU has it
    # natively), as the service will run it on this machine.
    bf16_ffn: bool | None = None
    # How the shipped model reads texts longer than max_length (ClassifierConfig.max_chunks):
    # inference only, chosen on long probes built from dev news (bench/long_texts.py).
    max_chunks: int = 12
    chunk_length: int = 256
    chunk_overlap: int = 64
    # Warm start: a delta folder (a shipped model) whose layers and heads training starts
    # from, instead of the base layers and fresh heads. Its split_layer must match.
    init_from: str | None = None
    # Keep only the encoder's first ``layers`` layers (None: all): a shallower student,
    # faster in the service; see distil_from. Warm-starting from a deeper delta takes
    # its first layers and its heads.
    layers: int | None = None
    # Distillation: a trained delta folder (the teacher, same base) whose probabilities
    # on the train texts are mixed into the targets with ``distil_weight``; the hard
    # labels keep the rest. A shallow student learns more from the teacher's graded
    # probabilities than from 0/1 labels alone.
    distil_from: str | None = None
    distil_weight: float = 0.5
    # Where the upper layers train: "auto" (a GPU when torch sees one), "cpu" or "cuda".
    # Int8 layers always run on the CPU, where the service runs them (its numerics are
    # what the thresholds are tuned on).
    device: str = "auto"


def resolve_device(name: str) -> str:
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' asked for but torch sees no GPU; use --device cpu")
    return name


@dataclass
class CachedText:
    ids: list[int]
    hidden: torch.Tensor  # (tokens, hidden) fp16, output of the frozen lower part


def set_seeds(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def text_key(text: str, max_length: int) -> str:
    return hashlib.sha256(f"{max_length}\x00{text}".encode()).hexdigest()[:32]


class LowerCache:
    """Output of the frozen layers per text, persisted so a retrain only encodes new texts."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.items: dict[str, CachedText] = {}
        if path is not None and path.is_file():
            raw = torch.load(str(path), weights_only=True)
            self.items = {k: CachedText(list(v[0].tolist()), v[1]) for k, v in raw.items()}
        self.dirty = False

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        torch.save(
            {k: (torch.tensor(v.ids, dtype=torch.int32), v.hidden) for k, v in self.items.items()},
            str(tmp),
        )
        tmp.replace(self.path)
        self.dirty = False

    def fill(
        self,
        model: TopicKindModel,
        tokenizer: PreTrainedTokenizerBase,
        texts: Sequence[str],
        max_length: int,
        max_tokens: int = 8192,
        progress: Callable[[int, int], None] | None = None,
        device: str = "cpu",
    ) -> list[CachedText]:
        keys = [text_key(t, max_length) for t in texts]
        todo = sorted(
            {k: t for k, t in zip(keys, texts, strict=True) if k not in self.items}.items()
        )
        if todo:
            ids = tokenize(tokenizer, [t for _, t in todo], max_length)
            from nlp.classifier import length_batches

            done = 0
            model.eval()
            with torch.inference_mode():
                for batch in length_batches([len(s) for s in ids], max_tokens, 64):
                    input_ids, mask = pad_batch(
                        [ids[i] for i in batch], int(tokenizer.pad_token_id)
                    )
                    hidden = model.lower(input_ids.to(device), mask.to(device))
                    hidden = hidden.to(torch.float16).cpu()
                    for row, i in enumerate(batch):
                        n = len(ids[i])
                        self.items[todo[i][0]] = CachedText(ids[i], hidden[row, :n].clone())
                    done += len(batch)
                    if progress is not None:
                        progress(done, len(todo))
            self.dirty = True
        return [self.items[k] for k in keys]


def cache_path(
    cache_dir: Path, base_dir: Path, fingerprint: str, split_layer: int, int8: bool = False
) -> Path:
    suffix = "-int8" if int8 else ""
    return cache_dir / f"{base_dir.name}-{fingerprint[:16]}-L{split_layer}{suffix}.pt"


def make_batches(
    lengths: Sequence[int], max_batch: int, max_tokens: int, rng: random.Random
) -> list[list[int]]:
    """Shuffled batches of similar length: shuffle, sort within windows of 128, cut, shuffle."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    batches: list[list[int]] = []
    for start in range(0, len(order), 128):
        window = sorted(order[start : start + 128], key=lambda i: lengths[i])
        current: list[int] = []
        for i in window:
            width = max([lengths[j] for j in current] + [lengths[i]])
            if current and (len(current) >= max_batch or width * (len(current) + 1) > max_tokens):
                batches.append(current)
                current = []
            current.append(i)
        if current:
            batches.append(current)
    rng.shuffle(batches)
    return batches


def pad_hidden(
    items: Sequence[CachedText], device: str = "cpu"
) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(it.ids) for it in items)
    dim = items[0].hidden.shape[-1]
    hidden = torch.zeros((len(items), width, dim), dtype=torch.float32)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    for row, it in enumerate(items):
        n = len(it.ids)
        hidden[row, :n] = it.hidden.to(torch.float32)
        mask[row, :n] = 1
    return hidden.to(device), mask.to(device)


def predict_cached(
    model: TopicKindModel,
    items: Sequence[CachedText],
    max_tokens: int = 8192,
    device: str = "cpu",
) -> tuple[np.ndarray, np.ndarray]:
    from nlp.classifier import length_batches

    topic = np.zeros((len(items), len(TOPICS)), dtype=np.float32)
    kind = np.zeros((len(items), len(KINDS)), dtype=np.float32)
    model.eval()
    with torch.inference_mode():
        for batch in length_batches([len(it.ids) for it in items], max_tokens, 64):
            hidden, mask = pad_hidden([items[i] for i in batch], device)
            t_logits, k_logits = model.upper(hidden, mask)
            topic[batch] = torch.sigmoid(t_logits).cpu().numpy()
            kind[batch] = torch.softmax(k_logits, dim=-1).cpu().numpy()
    return topic, kind


def place_model(model: TopicKindModel, device: str, int8_lower: bool) -> str:
    """Put the model on ``device`` and return where the frozen part must run.

    Int8 layers stay on the CPU (the service's numerics), so with ``int8_lower`` only the
    trained layers and the heads move; the cache is then filled on the CPU.
    """
    if device == "cpu":
        return "cpu"
    if not int8_lower:
        model.to(device)
        return device
    for layer in model.encoder.encoder.layer[model.split_layer :]:
        layer.to(device)
    model.heads.to(device)
    return "cpu"


def kind_class_weights(kinds: Sequence[int]) -> torch.Tensor:
    """Inverse square-root frequency, mean 1: imbalance matters but is not over-corrected."""
    counts = np.bincount(np.asarray(kinds, dtype=np.int64), minlength=len(KINDS)).astype(np.float64)
    weights = 1.0 / np.sqrt(np.maximum(counts, 1.0))
    weights = weights / weights.mean()
    return torch.tensor(weights, dtype=torch.float32)


def topic_pos_weights(topics: np.ndarray, cap: float = 8.0) -> torch.Tensor:
    """Square root of negatives per positive, per topic: rare topics are not ignored early on."""
    pos = topics.sum(axis=0)
    neg = topics.shape[0] - pos
    weights = np.sqrt(np.maximum(neg, 1.0) / np.maximum(pos, 1.0))
    return torch.tensor(np.clip(weights, 1.0, cap), dtype=torch.float32)


@dataclass
class TrainResult:
    model: TopicKindModel
    config: ClassifierConfig
    history: list[dict[str, float]]
    seconds: float
    lexical: LexicalModel | None = None
    # The fine-tuned weights as shipped (fp16, before any int8 quantisation of ``model``).
    state: dict[str, torch.Tensor] | None = None


def labels_of(examples: Sequence[Example]) -> tuple[np.ndarray, np.ndarray]:
    pairs = [label_vectors(e) for e in examples]
    return (
        np.asarray([p[0] for p in pairs], dtype=np.float32),
        np.asarray([p[1] for p in pairs], dtype=np.int64),
    )


@dataclass
class Calibration:
    """What is tuned on dev after training: the n-gram weight and the topic thresholds."""

    lexical_weight: float
    thresholds: dict[str, float]
    blend: dict[str, float]  # empty without an n-gram model
    threshold_choice: dict[str, Any]  # ThresholdChoice.as_dict()
    temperatures: tuple[float, float] = (1.0, 1.0)  # topic, kind; fitted only with temper

    def summary(self) -> str:
        choice = self.threshold_choice
        how = (
            f"thresholds: {choice['strategy']} (cross-validated dev topic micro-F1 "
            f"{choice['cv_per_topic_topic_f1']:.3f} tuned per topic, "
            f"{choice['cv_uniform_topic_f1']:.3f} at 0.5)"
        )
        if not self.blend:
            return f"no n-gram model; {how}"
        b = self.blend
        return (
            f"dev topic micro-F1: transformer {b['transformer_topic_f1']:.3f}, n-gram "
            f"{b['lexical_topic_f1']:.3f}, blend {b['topic_f1']:.3f} at n-gram weight "
            f"{self.lexical_weight:.1f}; kind macro-F1 blend {b['kind_f1']:.3f}; {how}"
            + (
                f"; transformer temperatures {self.temperatures[0]:g} (topics), "
                f"{self.temperatures[1]:g} (kind)"
                if self.temperatures != (1.0, 1.0)
                else ""
            )
        )


def calibration_record(
    dev_texts: int,
    int8_lower: bool,
    int8_upper: bool,
    bf16_ffn: bool,
    fp16_word_embeddings: bool,
    int8_ffn: bool,
) -> dict[str, Any]:
    """What ``training.calibrated_on`` records: the numerics the thresholds were tuned on."""
    return {
        "dev_texts": dev_texts,
        "int8_lower": int8_lower,
        "int8_upper": int8_upper,
        "bf16_ffn": bf16_ffn,
        "fp16_word_embeddings": fp16_word_embeddings,
        "int8_ffn": int8_ffn,
    }


def calibrate(
    dev_topics: np.ndarray,
    dev_kinds: np.ndarray,
    topic_p: np.ndarray,
    kind_p: np.ndarray,
    lexical_probs: tuple[np.ndarray, np.ndarray] | None = None,
    groups: Sequence[str] | None = None,
    lainnya_threshold: float | None = None,
    temper: bool = False,
) -> Calibration:
    """Pick the blend weight, then the topic thresholds, on dev predictions (pure).

    ``groups`` (the dev texts' scenarios) keep siblings together when
    ``choose_thresholds`` cross-validates; without them each text is its own group.
    With ``temper`` (and an n-gram model) the transformer's temperatures are fitted
    on dev first and the weight is chosen on the scaled probabilities.
    """
    from nlp.classifier import temper as scale
    from nlp.evaluation import fit_temperatures
    from nlp.lexical import blend

    groups = list(groups) if groups is not None else [str(i) for i in range(len(dev_topics))]
    weight, blend_report = 0.0, {}
    temperatures = (1.0, 1.0)
    if lexical_probs is not None:
        lex_topic, lex_kind = lexical_probs
        if temper:
            temperatures = fit_temperatures(dev_topics, dev_kinds, topic_p, kind_p)
            topic_p, kind_p = scale(topic_p, kind_p, *temperatures)
        choice = tune_blend(
            dev_topics,
            dev_kinds,
            topic_p,
            kind_p,
            lex_topic,
            lex_kind,
            groups=groups,
            lainnya_threshold=lainnya_threshold,
        )
        weight, blend_report = choice.weight, choice.as_dict()
        topic_p = blend(topic_p, lex_topic, weight)
        kind_p = blend(kind_p, lex_kind, weight)
    picked = choose_thresholds(dev_topics, topic_p, kind_p, groups, lainnya_threshold)
    return Calibration(weight, picked.thresholds, blend_report, picked.as_dict(), temperatures)


def calibrate_on(
    dev: Sequence[Example],
    topic_p: np.ndarray,
    kind_p: np.ndarray,
    lexical_probs: tuple[np.ndarray, np.ndarray] | None,
    lainnya_threshold: float,
    temper: bool = False,
) -> Calibration:
    """``calibrate`` with the labels and the scenario groups read off the dev examples."""
    dev_topics, dev_kinds = labels_of(dev)
    return calibrate(
        dev_topics,
        dev_kinds,
        topic_p,
        kind_p,
        lexical_probs,
        groups=[e.scenario for e in dev],
        lainnya_threshold=lainnya_threshold,
        temper=temper,
    )


def soft_targets(
    topics: np.ndarray,
    kinds: np.ndarray,
    teacher_topics: np.ndarray,
    teacher_kinds: np.ndarray,
    weight: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Training targets mixed from the labels and a teacher's probabilities (pure).

    ``topics`` are multi-hot rows, ``kinds`` class indices; the result is topic
    probabilities and kind distributions, ``(1 - weight) * label + weight * teacher``.
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"distil weight {weight} outside 0..1")
    if teacher_topics.shape != topics.shape or teacher_kinds.shape != (len(kinds), len(KINDS)):
        raise ValueError("the teacher's probabilities do not match the training texts")
    hard_kinds = np.eye(len(KINDS), dtype=np.float32)[kinds]
    topic_t = (1.0 - weight) * topics + weight * teacher_topics
    kind_t = (1.0 - weight) * hard_kinds + weight * teacher_kinds
    return topic_t.astype(np.float32), kind_t.astype(np.float32)


def teacher_probabilities(
    encoder: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    teacher_dir: Path,
    texts: Sequence[str],
    max_length: int,
    device: str,
) -> tuple[np.ndarray, np.ndarray]:
    """The teacher network's probabilities on ``texts`` (fp32, no blend), read through the
    same leading window the student trains on. ``encoder`` is copied, not changed."""
    teacher_encoder = copy.deepcopy(encoder)
    model, _ = build_model(teacher_encoder, teacher_dir, quantize=False)
    model.to(device)
    ids = tokenize(tokenizer, texts, max_length)

    def on_device(input_ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        topic_logits, kind_logits = model(input_ids.to(device), mask.to(device))
        return topic_logits.cpu(), kind_logits.cpu()

    return predict_ids(on_device, ids, int(tokenizer.pad_token_id), max_batch=32)


def warm_start(model: TopicKindModel, config: TrainConfig, fingerprint: str) -> str:
    """Load ``config.init_from``'s layers and heads into ``model``; returns its version.

    Refuses a delta trained with another layer split or on other frozen weights: its
    layers would start from states the frozen part never produces. A shallower model
    takes the delta's first layers and its heads.
    """
    from safetensors.torch import load_file

    from nlp.service import model_version_of

    delta_dir = Path(str(config.init_from))
    start = read_config(delta_dir)
    if start.split_layer != config.split_layer:
        raise ValueError(
            f"--init-from {delta_dir} was trained with split_layer {start.split_layer}, "
            f"not {config.split_layer}: pass --split-layer {start.split_layer}"
        )
    if start.base_fingerprint != fingerprint:
        raise ValueError(f"--init-from {delta_dir} was trained on another base model")
    state = load_file(str(delta_dir / WEIGHTS_FILE))
    if start.num_layers > len(model.encoder.encoder.layer):
        wanted = set(model.trainable_names())
        state = {k: v for k, v in state.items() if k in wanted}
    overlay_delta(model, state)
    return model_version_of(delta_dir)


def train_classifier(
    encoder: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    examples: Sequence[Example],
    config: TrainConfig,
    base_dir: Path,
    cache_dir: Path | None = None,
    report: Callable[[str], None] = log.info,
) -> TrainResult:
    """Train on the train split, pick the epoch and thresholds on dev; test stays untouched."""
    started = time.perf_counter()
    device = resolve_device(config.device)  # before any heavy work: a missing GPU fails fast
    set_seeds(config.seed)
    parts = split_examples(examples)
    if not parts["train"] or not parts["dev"]:
        raise ValueError("the corpus needs texts in both the train and the dev split")
    train_texts = [prepare_text(e.text, e.title) for e in parts["train"]]
    dev_texts = [prepare_text(e.text, e.title) for e in parts["dev"]]
    teacher: tuple[np.ndarray, np.ndarray] | None = None
    if config.distil_from:
        t0 = time.perf_counter()
        teacher = teacher_probabilities(
            encoder, tokenizer, Path(config.distil_from), train_texts, config.max_length, device
        )
        report(f"teacher: {len(train_texts)} train texts in {time.perf_counter() - t0:.0f} s")
        set_seeds(config.seed)  # loading the teacher drew from the generators
    if config.layers is not None:
        keep_layers(encoder, config.layers)
    model = TopicKindModel(encoder, config.split_layer, config.dropout)
    fingerprint = base_fingerprint(encoder, config.split_layer)
    init_version = warm_start(model, config, fingerprint) if config.init_from else None
    if config.int8_lower:
        model.quantize_lower()
    lower_device = place_model(model, device, config.int8_lower)
    cache = LowerCache(
        cache_path(cache_dir, base_dir, fingerprint, config.split_layer, config.int8_lower)
        if cache_dir
        else None
    )

    def encode(texts: Sequence[str], name: str) -> list[CachedText]:
        t0 = time.perf_counter()
        out = cache.fill(model, tokenizer, texts, config.max_length, device=lower_device)
        report(
            f"{name}: {len(texts)} texts encoded by the frozen layers "
            f"in {time.perf_counter() - t0:.0f} s"
        )
        return out

    train_items = encode(train_texts, "train")
    dev_items = encode(dev_texts, "dev")
    cache.save()
    train_topics, train_kinds = labels_of(parts["train"])
    dev_topics, dev_kinds = labels_of(parts["dev"])

    model.freeze_lower()
    layer_params = [
        p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("heads.")
    ]
    head_params = list(model.heads.parameters())
    optimiser = torch.optim.AdamW(
        [
            {"params": layer_params, "lr": config.lr_layers},
            {"params": head_params, "lr": config.lr_heads},
        ],
        weight_decay=config.weight_decay,
    )
    rng = random.Random(config.seed)
    lengths = [len(it.ids) for it in train_items]
    steps_per_epoch = len(
        make_batches(lengths, config.max_batch, config.max_tokens, random.Random(0))
    )
    total_steps = steps_per_epoch * config.epochs
    warmup = max(1, int(total_steps * config.warmup_fraction))

    def lr_factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, lr_factor)
    bce = nn.BCEWithLogitsLoss(pos_weight=topic_pos_weights(train_topics).to(device))
    ce = nn.CrossEntropyLoss(weight=kind_class_weights(train_kinds.tolist()).to(device))
    if teacher is None:
        topic_target = torch.from_numpy(train_topics).to(device)
        kind_target = torch.from_numpy(train_kinds).to(device)
    else:
        # Probability targets: BCE takes them as they are, cross-entropy as distributions.
        soft_topics, soft_kinds = soft_targets(
            train_topics, train_kinds, teacher[0], teacher[1], config.distil_weight
        )
        topic_target = torch.from_numpy(soft_topics).to(device)
        kind_target = torch.from_numpy(soft_kinds).to(device)

    history: list[dict[str, float]] = []
    best_score = -math.inf
    best_state: dict[str, torch.Tensor] = {}
    step = 0
    for epoch in range(1, config.epochs + 1):
        model.train()
        t0 = time.perf_counter()
        total = 0.0
        batches = make_batches(lengths, config.max_batch, config.max_tokens, rng)
        for batch in batches:
            hidden, mask = pad_hidden([train_items[i] for i in batch], device)
            index = torch.tensor(batch, dtype=torch.long, device=device)
            t_logits, k_logits = model.upper(hidden, mask)
            loss = config.topic_loss_weight * bce(t_logits, topic_target[index]) + ce(
                k_logits, kind_target[index]
            )
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(layer_params + head_params, 1.0)
            optimiser.step()
            scheduler.step()
            step += 1
            total += float(loss.detach())
        topic_p, kind_p = predict_cached(model, dev_items, device=device)
        dev = evaluate_arrays(dev_topics, topic_p, dev_kinds, kind_p, dict.fromkeys(TOPICS, 0.5))
        score = dev.topic_micro_f1 + dev.kind_macro_f1
        row = {
            "epoch": float(epoch),
            "loss": total / max(1, len(batches)),
            "dev_topic_micro_f1": dev.topic_micro_f1,
            "dev_kind_macro_f1": dev.kind_macro_f1,
            "seconds": time.perf_counter() - t0,
        }
        history.append(row)
        report(
            f"epoch {epoch}/{config.epochs}: loss {row['loss']:.4f}, dev topic micro-F1 "
            f"{dev.topic_micro_f1:.3f}, dev kind macro-F1 {dev.kind_macro_f1:.3f} "
            f"({row['seconds']:.0f} s, {len(batches)} steps)"
        )
        if score > best_score:
            best_score = score
            best_state = copy.deepcopy(model.delta_state())

    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, tensor in best_state.items():
            # Round through fp16 now so thresholds are tuned on exactly what ships.
            params[name].copy_(tensor.to(torch.float16).to(torch.float32))
    shipped = {k: v.to(torch.float16).cpu() for k, v in model.delta_state().items()}
    # From here on: the network exactly as the service runs it (CPU, int8 where configured).
    model.to("cpu")
    bf16_ffn = (
        bool(config.int8_upper)
        and not config.int8_ffn
        and (native_bf16() if config.bf16_ffn is None else config.bf16_ffn)
    )
    if config.int8_upper:
        model.quantize_upper(bf16_ffn, config.int8_ffn)
    model.half_word_embeddings()
    # Token ids through the whole network, batched as the service batches (padding and
    # windows as in service), so thresholds are tuned on what the service computes.
    topic_p, kind_p = predict_ids(
        model,
        [it.ids for it in dev_items],
        int(tokenizer.pad_token_id),
        BATCH_MAX_TOKENS,
        BATCH_MAX_TEXTS,
        solo_tokens=SOLO_TOKENS,
    )
    lexical = None
    lexical_probs = None
    lexical_seconds = 0.0
    if config.lexical:
        from nlp.lexical import predict, train_lexical

        t0 = time.perf_counter()
        lexical = train_lexical(
            train_texts, train_topics, train_kinds, len(KINDS), config.lexical_c
        )
        lexical_probs = predict(lexical, dev_texts)
        lexical_seconds = time.perf_counter() - t0
    tuned = calibrate_on(
        parts["dev"],
        topic_p,
        kind_p,
        lexical_probs,
        config.lainnya_topic_threshold,
        temper=config.temper,
    )
    report(tuned.summary())
    lexical_weight = tuned.lexical_weight
    thresholds = tuned.thresholds
    blend_report = {"seconds": round(lexical_seconds, 1), **tuned.blend} if tuned.blend else {}
    best_epoch = max(history, key=lambda r: r["dev_topic_micro_f1"] + r["dev_kind_macro_f1"])
    classifier_config = ClassifierConfig(
        split_layer=config.split_layer,
        num_layers=int(encoder.config.num_hidden_layers),
        hidden_size=int(encoder.config.hidden_size),
        base_fingerprint=fingerprint,
        max_length=config.max_length,
        topic_thresholds=thresholds,
        lainnya_topic_threshold=config.lainnya_topic_threshold,
        dropout=config.dropout,
        lexical_weight=lexical_weight,
        topic_temperature=tuned.temperatures[0],
        kind_temperature=tuned.temperatures[1],
        int8_lower=config.int8_lower,
        int8_upper=config.int8_upper,
        int8_ffn=config.int8_ffn,
        max_chunks=config.max_chunks,
        chunk_length=config.chunk_length,
        chunk_overlap=config.chunk_overlap,
        training={
            "blend": blend_report,
            "thresholds": tuned.threshold_choice,
            **asdict(config),
            "corpus_sha256": corpus_hash(examples),
            "train_texts": len(parts["train"]),
            "dev_texts": len(parts["dev"]),
            "test_texts": len(parts["test"]),
            "best_epoch": int(best_epoch["epoch"]),
            "init_version": init_version,
            "history": history,
            "torch": torch.__version__,
            "device": torch.cuda.get_device_name(0) if device == "cuda" else "cpu",
            "calibrated_on": calibration_record(
                len(parts["dev"]),
                config.int8_lower,
                config.int8_upper,
                bf16_ffn,
                True,
                config.int8_ffn,
            ),
        },
    )
    model.eval()
    return TrainResult(
        model, classifier_config, history, time.perf_counter() - started, lexical, shipped
    )


def train_and_save(
    encoder: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    examples: Sequence[Example],
    config: TrainConfig,
    base_dir: Path,
    out_dir: Path,
    cache_dir: Path | None = None,
    report: Callable[[str], None] = log.info,
) -> TrainResult:
    result = train_classifier(encoder, tokenizer, examples, config, base_dir, cache_dir, report)
    save_result(result, out_dir)
    return result


def save_result(result: TrainResult, out_dir: Path) -> None:
    """Write a trained model: the delta, its config (with training time) and the n-gram files."""
    result.config.training["seconds"] = round(result.seconds, 1)
    save_delta(result.model, result.config, out_dir, result.state)
    from nlp import lexical

    if result.lexical is not None:
        lexical.save_lexical(result.lexical, out_dir)
    else:
        for stale in (lexical.WEIGHTS_FILE, lexical.VOCAB_FILE):
            (out_dir / stale).unlink(missing_ok=True)
