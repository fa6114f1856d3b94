"""The base encoder for inference, in plain torch: the same network as transformers'
``BertModel`` (as configured for multilingual-e5-small), same parameter names.

Why not ``BertModel`` itself: importing transformers' modelling code
(``transformers.modeling_utils``, ``transformers.masking_utils``) pulls in
sympy, scipy, torch._dynamo and torch.distributed, 190 MiB of resident memory
in every process that classifies, while the network needs a few dozen lines.
Training keeps transformers (``load_base_model(compact=False)``); the service
loads this one. The operations are the ones ``BertModel`` runs in eval mode with
its default (SDPA) attention, in the same order, so outputs agree bit for bit
(``tests/nlp/test_encoder.py`` checks this against transformers).

Parameter and submodule names follow ``BertModel`` (``embeddings.word_embeddings``,
``encoder.layer.N.attention.self.query``, ...): the shipped delta, the base
fingerprint and the int8 swaps address the network by those names. Dropout is
left out: this encoder is never trained.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import torch
from torch import nn

from nlp.base_model import WORD_EMBEDDINGS


class EncoderConfigError(ValueError):
    """config.json describes a network this encoder does not implement."""


@dataclass
class EncoderConfig:
    """The fields of a transformers BERT config.json that shape the network."""

    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    type_vocab_size: int
    layer_norm_eps: float
    pad_token_id: int | None = None

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> EncoderConfig:
        """Validate and keep the network's shape (pure).

        Anything the plain BERT forward pass below would compute differently is
        refused rather than silently run wrong.
        """
        unsupported = {
            "model_type": (raw.get("model_type", "bert"), "bert"),
            "hidden_act": (raw.get("hidden_act", "gelu"), "gelu"),
            "position_embedding_type": (raw.get("position_embedding_type", "absolute"), "absolute"),
            "is_decoder": (bool(raw.get("is_decoder", False)), False),
            "add_cross_attention": (bool(raw.get("add_cross_attention", False)), False),
        }
        for name, (found, wanted) in unsupported.items():
            if found != wanted:
                raise EncoderConfigError(f"config {name}={found!r}: only {wanted!r} is supported")
        missing = [f.name for f in fields(cls) if f.name != "pad_token_id" and f.name not in raw]
        if missing:
            raise EncoderConfigError(f"config lacks {missing}")
        pad = raw.get("pad_token_id")
        try:
            config = cls(
                vocab_size=int(raw["vocab_size"]),
                hidden_size=int(raw["hidden_size"]),
                num_hidden_layers=int(raw["num_hidden_layers"]),
                num_attention_heads=int(raw["num_attention_heads"]),
                intermediate_size=int(raw["intermediate_size"]),
                max_position_embeddings=int(raw["max_position_embeddings"]),
                type_vocab_size=int(raw["type_vocab_size"]),
                layer_norm_eps=float(raw["layer_norm_eps"]),
                pad_token_id=None if pad is None else int(pad),
            )
        except (TypeError, ValueError) as exc:
            raise EncoderConfigError(f"config has a non-numeric shape field ({exc})") from exc
        if config.hidden_size % config.num_attention_heads:
            raise EncoderConfigError(
                f"hidden_size {config.hidden_size} is not a multiple of "
                f"num_attention_heads {config.num_attention_heads}"
            )
        return config

    @classmethod
    def from_file(cls, path: Path) -> EncoderConfig:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise EncoderConfigError(f"{path}: cannot read the model config ({exc})") from exc
        return cls.from_dict(raw)


def attention_mask_for(attention_mask: torch.Tensor) -> torch.Tensor | None:
    """The boolean (batch, 1, query, key) mask SDPA gets, as transformers builds it for
    a bidirectional encoder: padding keys are masked for every query; no padding at
    all gives None (pure)."""
    if bool(attention_mask.all()):
        return None
    keys = attention_mask.to(torch.bool)[:, None, None, :]
    length = attention_mask.shape[1]
    return keys.expand(attention_mask.shape[0], 1, length, length)


@dataclass
class EncoderOutput:
    last_hidden_state: torch.Tensor


class HalfEmbedding(nn.Module):
    """A frozen lookup table stored in fp16 that returns fp32 rows.

    The word-embedding matrix is the largest tensor of the trimmed base (99k x
    384, 152 MB in fp32) and is only ever indexed; fp16 halves it, and its
    rounding (about 1e-3 relative) is far below what the int8 layers add.
    """

    weight: torch.Tensor

    def __init__(self, weight: torch.Tensor, padding_idx: int | None = None) -> None:
        super().__init__()
        self.register_buffer("weight", weight.detach().to(torch.float16))
        self.padding_idx = padding_idx

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return nn.functional.embedding(input_ids, self.weight).to(torch.float32)


class Embeddings(nn.Module):
    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        hidden = config.hidden_size

        def table(rows: int, padding_idx: int | None = None) -> nn.Embedding:
            # Uninitialised: the weights are loaded next. Random init on the meta
            # device would import sympy through torch's shape checks (100+ MiB).
            return nn.Embedding(
                rows, hidden, padding_idx=padding_idx, _weight=torch.empty(rows, hidden)
            )

        self.word_embeddings: nn.Module = table(config.vocab_size, config.pad_token_id)
        self.position_embeddings = table(config.max_position_embeddings)
        self.token_type_embeddings = table(config.type_vocab_size)
        self.LayerNorm = nn.LayerNorm(hidden, eps=config.layer_norm_eps)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        length = input_ids.shape[1]
        positions = torch.arange(length, device=input_ids.device)[None, :]
        # Every text is one segment (type 0), as in BertModel without token_type_ids.
        types = torch.zeros_like(input_ids)
        hidden = self.word_embeddings(input_ids) + self.token_type_embeddings(types)
        hidden = hidden + self.position_embeddings(positions)
        return self.LayerNorm(hidden)  # type: ignore[no-any-return]


class SelfAttention(nn.Module):
    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        hidden = config.hidden_size
        self.heads = config.num_attention_heads
        self.head_size = hidden // config.num_attention_heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        shape = (*hidden.shape[:-1], -1, self.head_size)
        query = self.query(hidden).view(shape).transpose(1, 2)
        key = self.key(hidden).view(shape).transpose(1, 2)
        value = self.value(hidden).view(shape).transpose(1, 2)
        out = nn.functional.scaled_dot_product_attention(
            query, key, value, attn_mask=mask, dropout_p=0.0, scale=self.head_size**-0.5
        )
        return out.transpose(1, 2).contiguous().reshape(*hidden.shape[:-1], -1)


class AddNorm(nn.Module):
    """A projection, the residual, then LayerNorm (BertSelfOutput / BertOutput)."""

    def __init__(self, in_features: int, hidden: int, eps: float) -> None:
        super().__init__()
        self.dense = nn.Linear(in_features, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=eps)

    def forward(self, hidden: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dense(hidden) + residual)  # type: ignore[no-any-return]


class Attention(nn.Module):
    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.self = SelfAttention(config)
        self.output = AddNorm(config.hidden_size, config.hidden_size, config.layer_norm_eps)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        return self.output(self.self(hidden, mask), hidden)  # type: ignore[no-any-return]


class Intermediate(nn.Module):
    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return nn.functional.gelu(self.dense(hidden))


class Layer(nn.Module):
    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.attention = Attention(config)
        self.intermediate = Intermediate(config)
        self.output = AddNorm(config.intermediate_size, config.hidden_size, config.layer_norm_eps)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        attended = self.attention(hidden, mask)
        return self.output(self.intermediate(attended), attended)  # type: ignore[no-any-return]


class LayerStack(nn.Module):
    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(Layer(config) for _ in range(config.num_hidden_layers))


class Encoder(nn.Module):
    """Embeddings and layers; no pooler (the classifier mean-pools)."""

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.config = config
        self.embeddings = Embeddings(config)
        self.encoder = LayerStack(config)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        **_: Any,  # token_type_ids from a tokenizer: every text is segment 0
    ) -> EncoderOutput:
        hidden = self.embeddings(input_ids)
        mask = None if attention_mask is None else attention_mask_for(attention_mask)
        for layer in self.encoder.layer:
            hidden = layer(hidden, mask)
        return EncoderOutput(hidden)


def encoder_from_state(config: EncoderConfig, state: dict[str, torch.Tensor]) -> Encoder:
    """An eval-mode ``Encoder`` whose parameters are the tensors of ``state`` (no copy).

    ``state`` uses BertModel's names; a pooler, if present, is ignored. fp16 word
    embeddings become a ``HalfEmbedding``. A missing or misshapen tensor raises
    ``EncoderConfigError``.
    """
    with torch.device("meta"):
        encoder = Encoder(config)
    wanted = encoder.state_dict()
    missing = sorted(set(wanted) - set(state))
    if missing:
        raise EncoderConfigError(f"model weights lack {missing[:5]}")
    for name, meta in wanted.items():
        if tuple(state[name].shape) != tuple(meta.shape):
            raise EncoderConfigError(
                f"{name} has shape {tuple(state[name].shape)}, config says {tuple(meta.shape)}"
            )
    if state[WORD_EMBEDDINGS].dtype == torch.float16:
        encoder.embeddings.word_embeddings = HalfEmbedding(
            state[WORD_EMBEDDINGS], config.pad_token_id
        )
    else:
        weight = state[WORD_EMBEDDINGS].to(torch.float32)
        rows, width = weight.shape
        encoder.embeddings.word_embeddings = nn.Embedding(
            rows, width, padding_idx=config.pad_token_id, _weight=weight, _freeze=True
        )
    rest = {name: state[name].to(torch.float32) for name in wanted if name != WORD_EMBEDDINGS}
    encoder.load_state_dict(rest, strict=False, assign=True)
    leftover = [n for n, t in encoder.state_dict().items() if t.is_meta]
    if leftover:
        raise EncoderConfigError(f"weights not loaded: {leftover[:5]}")
    encoder.eval()
    return encoder
