"""``pantau classify``: line parsing, error lines, order (tiny model) and the real command."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from nlp.classifier import TopicKindModel
from nlp.cli import classify_stream, parse_input_line, read_lines, recover_id
from nlp.service import Annotator
from tests.nlp.test_classifier import _require_real, tiny_config, tiny_encoder, tiny_tokenizer


def test_recover_id_from_broken_lines() -> None:
    assert recover_id('{"id": "a-1", "text": "unterminated') == "a-1"
    assert recover_id('{"id": 42, "text": ') == 42
    assert recover_id('{"text": "no id"') is None
    assert recover_id("garbage") is None


def test_parse_input_line() -> None:
    rec, err = parse_input_line('{"id": "x", "text": "halo"}', 1)
    assert rec == {"id": "x", "text": "halo"} and err is None
    rec, err = parse_input_line('{"id": "x", "text": ', 7)
    assert rec is None and err is not None
    assert err["id"] == "x" and err["line"] == 7 and "baris 7" in err["error"]
    _, err = parse_input_line('["x"]', 2)
    assert err is not None and err["id"] is None and "bukan objek" in err["error"]
    _, err = parse_input_line('{"text": "tanpa id"}', 3)
    assert err is not None and "id" in err["error"]
    _, err = parse_input_line('{"id": true, "text": "x"}', 4)
    assert err is not None and err["id"] is None


@pytest.fixture(scope="module")
def tiny() -> Annotator:
    tok = tiny_tokenizer()
    encoder = tiny_encoder(vocab=len(tok))
    model = TopicKindModel(encoder, 2)
    model.eval()
    return Annotator(model, tok, tiny_config(encoder), None, "tiny-test")


def test_stream_writes_one_line_per_input_line_in_order(tiny: Annotator) -> None:
    raw = (
        b'{"id": "a", "text": "Lurah diduga ikut kampanye paslon."}\n'
        b"\n"
        b'{"id": "b", "text": \n'
        b"\xff\xfe not utf8\n"
        b'{"id": "c", "text": ""}\n'
        b'{"id": "d", "title": "Debat", "text": "KPU menetapkan jadwal debat."}\n'
    )
    written: list[dict[str, Any]] = []
    n, errors = classify_stream(read_lines(io.BytesIO(raw)), tiny.annotate, written.append, chunk=2)
    assert n == 5 and errors == 3
    assert [w.get("id") for w in written] == ["a", "b", None, "c", "d"]
    assert "kind" in written[0] and "kind" in written[4]
    assert written[1]["line"] == 3 and written[2]["line"] == 4
    assert "error" in written[3]


def test_stream_handles_all_bad_input(tiny: Annotator) -> None:
    written: list[dict[str, Any]] = []
    n, errors = classify_stream(
        read_lines(io.BytesIO(b"nope\n{}\n")), tiny.annotate, written.append
    )
    assert (n, errors) == (2, 2)


@pytest.mark.slow
def test_classify_command_on_the_real_model(tmp_path: Path) -> None:
    from nlp.service import load_annotator
    from pantau.cli import app
    from pantau.settings import get_settings

    try:
        load_annotator(get_settings())
    except Exception as exc:
        _require_real(exc)
    src = tmp_path / "in.jsonl"
    lines = [
        {
            "id": "n1",
            "title": "Baliho Paslon Dipaku di Pohon, Bawaslu Turunkan 40 APK",
            "text": "Bawaslu Kota Bogor bersama Satpol PP menurunkan 40 alat peraga kampanye yang "
            "dipaku di pohon dan tiang listrik di Jalan Pajajaran, Selasa. Penertiban dilakukan "
            "setelah tim kampanye tidak mengindahkan surat teguran.",
        },
        {
            "id": "p1",
            "text": "gmn caranya cek nama kita udh masuk DPT blm ya? mau pindah memilih jg",
        },
        {"id": "e1", "text": ""},
    ]
    src.write_text(
        "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n{broken\n",
        encoding="utf-8",
    )
    dst = tmp_path / "out" / "result.jsonl"
    result = CliRunner().invoke(app, ["classify", "--input", str(src), "--output", str(dst)])
    assert result.exit_code == 0, result.output
    out = [json.loads(x) for x in dst.read_text(encoding="utf-8").splitlines()]
    assert [o.get("id") for o in out] == ["n1", "p1", "e1", None]
    assert out[0]["kind"] == "dugaan_pelanggaran" and "apk" in out[0]["topics"], out[0]["scores"]
    assert "data_pemilih" in out[1]["topics"], out[1]["scores"]
    assert out[0]["language"] == "id"
    assert out[0]["places"] and out[0]["places"][0].startswith("32.")
    assert "error" in out[2] and out[3]["line"] == 4
    assert not (dst.parent / ".result.jsonl.part").exists()


def test_classify_command_missing_input(tmp_path: Path) -> None:
    from pantau.cli import app

    result = CliRunner().invoke(
        app, ["classify", "--input", str(tmp_path / "nope.jsonl"), "--output", str(tmp_path / "o")]
    )
    assert result.exit_code == 2


def test_model_evaluate_rejects_unknown_split() -> None:
    from pantau.cli import app

    result = CliRunner().invoke(app, ["model", "evaluate", "--split", "bogus"])
    assert result.exit_code == 2


@pytest.mark.slow
def test_model_evaluate_prints_tables_on_the_real_model() -> None:
    from nlp.service import load_annotator
    from pantau.cli import app
    from pantau.settings import get_settings

    try:
        load_annotator(get_settings())
    except Exception as exc:
        _require_real(exc)
    result = CliRunner().invoke(app, ["model", "evaluate", "--split", "test", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["test"]
    assert report["texts"] >= 300
    assert len(report["confusion"]) == 3
    # Far above chance on held-out scenarios (honest figures are in nlp/model/README.md).
    assert report["kind_macro_f1"] > 0.85
    assert report["topic_micro_f1"] > 0.7


@pytest.mark.slow
def test_model_evaluate_restricts_to_corpus_files() -> None:
    from nlp.service import load_annotator
    from pantau.cli import app
    from pantau.settings import get_settings

    try:
        load_annotator(get_settings())
    except Exception as exc:
        _require_real(exc)
    args = ["model", "evaluate", "--split", "dev", "--json", "--origin", "news_g*"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["dev"]
    assert 0 < report["texts"] < 90  # only news_g's dev texts
    result = CliRunner().invoke(app, [*args[:-1], "nothing_matches*"])
    assert result.exit_code == 2 and "no corpus file matches" in result.output


@pytest.mark.slow
def test_model_calibrate_reproduces_the_shipped_thresholds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-tuning the shipped model on dev gives back what it ships with (it was trained
    on a GPU and calibrated on a CPU with this command), when run with the same
    numerics: the FFN output projections in bf16 or fp32 as recorded."""
    import shutil

    from nlp.classifier import read_config
    from nlp.service import load_annotator
    from pantau.settings import get_settings

    settings = get_settings()
    try:
        load_annotator(settings, with_places=False)
    except Exception as exc:
        _require_real(exc)
    copy = tmp_path / "model"
    shutil.copytree(settings.classifier_path, copy)
    shipped = read_config(copy)
    recorded = shipped.training["calibrated_on"]["bf16_ffn"]
    monkeypatch.setenv("PANTAU_CLASSIFIER_BF16", str(recorded).lower())
    get_settings.cache_clear()
    try:
        _calibrate_and_compare(copy, shipped, recorded)
    finally:
        get_settings.cache_clear()  # the next test reads the environment without the override


def _calibrate_and_compare(copy: Path, shipped: Any, recorded: bool) -> None:
    from dataclasses import replace

    from nlp.classifier import read_config, write_config
    from pantau.cli import app

    broken = shipped.topic_thresholds | {"hoaks": 0.99}
    write_config(replace(shipped, topic_thresholds=broken, lexical_weight=0.0), copy)
    result = CliRunner().invoke(app, ["model", "calibrate", "--model", str(copy)])
    assert result.exit_code == 0, result.output
    again = read_config(copy)
    assert again.topic_thresholds == shipped.topic_thresholds
    assert again.lexical_weight == shipped.lexical_weight
    assert again.int8_upper == shipped.int8_upper
    assert again.training["calibrated_on"]["bf16_ffn"] is recorded
    assert again.training["calibrated_on"]["fp16_word_embeddings"] is True


def test_model_calibrate_reports_a_missing_model(tmp_path: Path) -> None:
    from pantau.cli import app

    result = CliRunner().invoke(app, ["model", "calibrate", "--model", str(tmp_path)])
    assert result.exit_code == 2 and "no trained classifier" in result.output


def test_model_train_refuses_a_missing_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from pantau.cli import app

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    result = CliRunner().invoke(app, ["model", "train", "--device", "cuda"])
    assert result.exit_code == 2 and "sees no GPU" in result.output


def test_model_train_refuses_a_teacher_without_a_model_and_a_student_with_nothing_to_train(
    tmp_path: Path,
) -> None:
    from pantau.cli import app

    result = CliRunner().invoke(
        app, ["model", "train", "--layers", "6", "--distil-from", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "holds no classifier.json" in " ".join(result.output.split())
    result = CliRunner().invoke(app, ["model", "train", "--layers", "6", "--split-layer", "6"])
    assert result.exit_code == 2
    assert "leaves none of the 6 layers to train" in " ".join(result.output.split())


@pytest.mark.slow
def test_reclassify_command_relabels_stored_documents_on_the_real_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from index.sqlite_store import SqliteStore
    from nlp.service import load_annotator
    from pantau.cli import app
    from pantau.schemas import Classification, Document, Kind, Topic
    from pantau.settings import get_settings

    try:
        current = load_annotator(get_settings()).model_version
    except Exception as exc:
        _require_real(exc)
    article = (Path(__file__).parents[1] / "fixtures" / "late_incident_article.txt").read_text(
        encoding="utf-8"
    )
    title, _, body = article.partition("\n")
    fetched = datetime(2024, 11, 20, 3, 0, tzinfo=UTC)
    # As an older classifier that read only the leading window labelled it.
    old = Document(
        url="https://contoh.id/berita/rapat-logistik",
        source="Contoh",
        title=title,
        body=body.strip(),
        fetched_at=fetched,
        classification=Classification(kind=Kind.LAINNYA, model_version="pantau-e5s-lama"),
    )
    empty = Document(
        url="https://contoh.id/berita/kosong",
        source="Contoh",
        title="",
        body="",
        fetched_at=fetched,
        classification=Classification(
            kind=Kind.PENCEGAHAN, topics=[Topic.APK], model_version="pantau-e5s-lama"
        ),
    )
    path = tmp_path / "s.sqlite3"
    store = SqliteStore(path)
    store.init()
    store.upsert_documents([old, empty])
    store.close()
    monkeypatch.setenv("PANTAU_SQLITE_PATH", str(path))
    monkeypatch.setenv("PANTAU_STORE", "sqlite")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["index", "reclassify", "--json"])
        again = CliRunner().invoke(app, ["index", "reclassify", "--json"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2, result.output  # the empty page could not be labelled
    report = json.loads(result.stdout)
    assert report["reclassified"] == 1 and report["changed"] == 1
    assert [e["id"] for e in report["annotate_errors"]] == [empty.id]
    assert json.loads(again.stdout)["reclassified"] == 0
    store = SqliteStore(path)
    relabelled, kept = store.get_document(old.id), store.get_document(empty.id)
    store.close()
    assert relabelled is not None and relabelled.classification is not None
    assert relabelled.classification.model_version == current
    assert relabelled.classification.kind is Kind.DUGAAN_PELANGGARAN
    assert kept is not None and kept.classification == empty.classification
