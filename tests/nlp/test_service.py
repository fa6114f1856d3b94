"""The annotator: record validation, error lines, order, places and language (tiny model),
and loading the shipped model once per process (integration)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nlp.classifier import TopicKindModel, save_delta
from nlp.dataset import KINDS, TOPICS
from nlp.service import (
    ERR_BINARY,
    ERR_EMPTY,
    ERR_NO_TEXT,
    MAX_TEXT_CHARS,
    Annotator,
    cut_text,
    model_version_of,
    prepare_record,
)
from tests.nlp.test_classifier import _require_real, tiny_config, tiny_encoder, tiny_tokenizer


@pytest.fixture(scope="module")
def tiny() -> Annotator:
    from nlp.places import default_gazetteer

    tok = tiny_tokenizer()
    encoder = tiny_encoder(vocab=len(tok))
    model = TopicKindModel(encoder, 2)
    model.eval()
    return Annotator(model, tok, tiny_config(encoder), default_gazetteer(), "tiny-test")


def test_prepare_record_errors() -> None:
    assert prepare_record({"id": "a"}).error == ERR_NO_TEXT
    assert prepare_record({"id": "a", "text": 5}).error == ERR_NO_TEXT
    assert prepare_record({"id": "a", "text": "ab\x00\x01cd"}).error == ERR_BINARY
    assert prepare_record({"id": "a", "text": "  \n https://x.y/z "}).error == ERR_EMPTY
    assert prepare_record(["not", "a", "dict"]).error is not None
    ok = prepare_record({"id": "a", "title": "Judul", "text": "Bawaslu mengimbau warga."})
    assert ok.error is None and ok.text.startswith("Judul\n")


def test_annotate_keeps_order_and_ids_with_error_lines(tiny: Annotator) -> None:
    records: list[Any] = [
        {"id": "1", "text": "Lurah di Kecamatan Tamalate, Kota Makassar, diduga ikut kampanye."},
        {"id": "2", "text": ""},
        {"id": 3, "text": "\x00\x01\x02binary\x03\x04\x05\x06"},
        {"id": "4", "title": "Debat", "text": "KPU Kota Bandung menetapkan jadwal debat publik."},
        {"id": "5"},
    ]
    seen: list[int] = []
    out = tiny.annotate(records, progress=seen.append)
    assert [o["id"] for o in out] == ["1", "2", 3, "4", "5"]
    assert sum(seen) == len(records)
    assert out[1]["error"] == ERR_EMPTY
    assert out[2]["error"] == ERR_BINARY
    assert out[4]["error"] == ERR_NO_TEXT
    for o in (out[0], out[3]):
        assert "error" not in o
        assert o["kind"] in KINDS
        assert set(o["scores"]["topics"]) == set(TOPICS)
        assert set(o["scores"]["kind"]) == set(KINDS)
        assert sum(o["scores"]["kind"].values()) == pytest.approx(1.0, abs=1e-3)
        assert all(t in TOPICS for t in o["topics"])
        assert o["language"] == "id"
        assert o["severity"] in {"kritis", "tinggi", "sedang", "rendah"}
    assert out[0]["places"] and out[0]["places"][0].startswith("73.")  # Sulawesi Selatan
    assert "Kota Bandung" in out[3]["place_names"][0] or out[3]["places"][0].startswith("32.")


def test_annotate_flags_other_languages(tiny: Annotator) -> None:
    [out] = tiny.annotate(
        [
            {
                "id": "en",
                "text": "The election commission announced the schedule of the debates today.",
            }
        ]
    )
    assert out["language"] == "en"
    assert "kind" in out  # classified, with the language flag for the consumer


def test_cut_text_keeps_short_texts_and_cuts_long_ones_at_a_space() -> None:
    assert cut_text("pendek", 10) == ("pendek", False)
    assert cut_text("a" * 10, 10) == ("a" * 10, False)
    assert cut_text("satu dua tiga empat lima", 20) == ("satu dua tiga empat", True)
    # no whitespace near the limit: a hard cut rather than losing most of the text
    assert cut_text("a " + "b" * 30, 20) == ("a " + "b" * 18, True)
    assert cut_text("kata\nkedua panjang", 11) == ("kata\nkedua", True)


def test_huge_text_is_read_up_to_the_limit_and_flagged(tiny: Annotator) -> None:
    incident = "Lurah di Kecamatan Tamalate, Kota Makassar, diduga ikut kampanye paslon. "
    filler = "Harga cabai di pasar naik lagi minggu ini menurut pedagang setempat. "
    huge = incident + filler * (2 * MAX_TEXT_CHARS // len(filler))
    out = tiny.annotate([{"id": "besar", "text": huge}, {"id": "kecil", "text": incident}])
    assert [o["id"] for o in out] == ["besar", "kecil"]
    assert out[0]["truncated"] is True and "error" not in out[0]
    assert out[0]["places"] and out[0]["places"][0].startswith("73.")
    assert "truncated" not in out[1]
    prepared = prepare_record({"id": "besar", "text": huge})
    assert prepared.truncated and len(prepared.raw) <= MAX_TEXT_CHARS


def test_annotate_empty_batch(tiny: Annotator) -> None:
    assert tiny.annotate([]) == []


def test_after_batch_runs_once_per_model_batch() -> None:
    tok = tiny_tokenizer()
    encoder = tiny_encoder(vocab=len(tok))
    model = TopicKindModel(encoder, 2)
    model.eval()
    calls: list[int] = []
    annotator = Annotator(
        model,
        tok,
        tiny_config(encoder),
        None,
        "tiny-test",
        max_batch=2,
        after_batch=lambda: calls.append(1),
    )
    records = [{"id": i, "text": f"Bawaslu memeriksa laporan nomor {i}."} for i in range(5)]
    out = annotator.annotate(records)
    assert [o["id"] for o in out] == list(range(5))
    assert len(calls) == 3  # batches of at most two texts


def test_model_version_changes_with_weights(tmp_path: Path) -> None:
    tok = tiny_tokenizer()
    encoder = tiny_encoder(vocab=len(tok))
    model = TopicKindModel(encoder, 2)
    save_delta(model, tiny_config(encoder), tmp_path / "a")
    import torch

    with torch.no_grad():
        model.heads.kind.bias.add_(1.0)
    save_delta(model, tiny_config(encoder), tmp_path / "b")
    assert model_version_of(tmp_path / "a") != model_version_of(tmp_path / "b")
    assert model_version_of(tmp_path / "a").startswith("pantau-e5s-")
    # Same weights, another decision setting (here the long-text windows): another version.
    config = tmp_path / "b" / "classifier.json"
    before = model_version_of(tmp_path / "b")
    config.write_text(config.read_text().replace('"max_chunks": 1', '"max_chunks": 4'))
    assert model_version_of(tmp_path / "b") != before


@pytest.mark.slow
def test_real_annotator_loads_once_per_process() -> None:
    from nlp.service import load_annotator
    from pantau.settings import get_settings

    try:
        first = load_annotator(get_settings())
    except Exception as exc:
        _require_real(exc)
    assert load_annotator(get_settings()) is first
    assert first.model_version.startswith("pantau-e5s-")
    # The service path: fp16 word embeddings, and on glibc a heap trimmer after batches.
    assert first.model.has_half_word_embeddings
    from nlp.heap import free_heap_bytes

    assert (first.after_batch is not None) == (free_heap_bytes() is not None)
