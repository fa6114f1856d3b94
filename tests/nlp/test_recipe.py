"""The staged training recipe: which texts each stage sees, reuse of kept stages, the record."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pytest

from nlp.dataset import Example, corpus_hash
from nlp.recipe import (
    FIRST_STAGE_FILES,
    SHIPPED_RECIPE,
    RecipeError,
    Stage,
    run_recipe,
    stage_config,
    stage_examples,
    stage_mismatch,
)
from nlp.training import TrainConfig
from tests.nlp.test_classifier import tiny_encoder, tiny_tokenizer, toy_corpus


def _with_origins(examples: list[Example]) -> list[Example]:
    # Two files: the first stage reads only "old.jsonl", the last stage both.
    return [
        replace(e, origin="old.jsonl" if i % 4 else "new.jsonl") for i, e in enumerate(examples)
    ]


def test_stage_examples_keeps_its_files_and_names_missing_ones() -> None:
    corpus = _with_origins(toy_corpus(40))
    first = Stage("first", epochs=1, lr_layers=1e-3, lr_heads=1e-2, files=("old.jsonl",))
    assert {e.origin for e in stage_examples(corpus, first)} == {"old.jsonl"}
    assert len(stage_examples(corpus, first)) == 30
    everything = Stage("all", epochs=1, lr_layers=1e-3, lr_heads=1e-2)
    assert stage_examples(corpus, everything) == corpus
    gone = Stage("first", epochs=1, lr_layers=1e-3, lr_heads=1e-2, files=("old.jsonl", "x.jsonl"))
    with pytest.raises(RecipeError, match=r"x\.jsonl"):
        stage_examples(corpus, gone)


def test_the_shipped_recipe_starts_with_the_first_rounds_and_ends_on_everything() -> None:
    assert SHIPPED_RECIPE[0].files == FIRST_STAGE_FILES
    assert SHIPPED_RECIPE[-1].files is None
    # The first stage is the full recipe's defaults, so the model it gives is the one
    # a single run over those files gives.
    defaults = TrainConfig()
    assert (SHIPPED_RECIPE[0].epochs, SHIPPED_RECIPE[0].lr_layers, SHIPPED_RECIPE[0].lr_heads) == (
        defaults.epochs,
        defaults.lr_layers,
        defaults.lr_heads,
    )


def test_stage_config_and_mismatch() -> None:
    base = TrainConfig(seed=3)
    stage = Stage("all", epochs=2, lr_layers=2e-5, lr_heads=1e-3)
    config = stage_config(base, stage, Path("/kept/first"))
    assert (config.epochs, config.lr_layers, config.lr_heads, config.seed) == (2, 2e-5, 1e-3, 3)
    assert config.init_from == "/kept/first"
    record = {**asdict(config), "corpus_sha256": "abc"}
    assert stage_mismatch(record, config, "abc") is None
    assert stage_mismatch(record, config, "abd") == "its texts differ"
    assert "epochs was 2, not 3" in str(stage_mismatch(record, replace(config, epochs=3), "abc"))
    assert stage_mismatch(record, replace(config, init_from=None), "abc") is not None
    # A record written before a field existed holds that field's default.
    older = {k: v for k, v in record.items() if k not in ("layers", "distil_from")}
    assert stage_mismatch(older, config, "abc") is None


def test_run_recipe_trains_the_stages_records_them_and_reuses_a_kept_one(tmp_path: Path) -> None:
    from nlp.service import model_version_of

    tok = tiny_tokenizer()
    corpus = _with_origins(toy_corpus())
    recipe = (
        Stage("first", epochs=3, lr_layers=1e-3, lr_heads=3e-2, files=("old.jsonl",)),
        Stage("all", epochs=1, lr_layers=5e-4, lr_heads=1e-2),
    )
    config = TrainConfig(split_layer=2, max_length=64, max_batch=16)
    messages: list[str] = []

    def run(out: Path, reuse: bool = True, texts: list[Example] = corpus) -> Any:
        return run_recipe(
            lambda: (tiny_encoder(vocab=len(tok)), tok),
            texts,
            config,
            recipe,
            tmp_path / "base",
            out,
            tmp_path / "stages",
            reuse=reuse,
            report=messages.append,
        )

    first = run(tmp_path / "m1")
    kept = tmp_path / "stages" / "first"
    card = json.loads((tmp_path / "m1" / "classifier.json").read_text())["training"]
    stages = card["recipe"]
    assert [s["name"] for s in stages] == ["first", "all"]
    assert stages[0]["corpus_sha256"] == corpus_hash([e for e in corpus if e.origin == "old.jsonl"])
    assert stages[0]["model_version"] == model_version_of(kept)
    assert stages[0]["files"] == ["old.jsonl"] and stages[1]["files"] == "all"
    assert card["corpus_sha256"] == corpus_hash(corpus)
    assert card["init_from"] == "stage first"
    assert card["init_version"] == model_version_of(kept)
    assert (card["epochs"], card["lr_layers"]) == (1, 5e-4)
    assert len(first.history) == 1

    # Run again: the kept first stage is reused untouched, and the result is the same.
    before = (kept / "delta.safetensors").stat().st_mtime_ns
    messages.clear()
    run(tmp_path / "m2")
    assert any("reusing" in m for m in messages)
    assert (kept / "delta.safetensors").stat().st_mtime_ns == before
    again = json.loads((tmp_path / "m2" / "classifier.json").read_text())["training"]
    assert again["recipe"][0]["model_version"] == stages[0]["model_version"]
    assert again["history"][0]["loss"] == pytest.approx(card["history"][0]["loss"], rel=1e-4)

    # A first-stage text changed: that stage trains again.
    changed = [replace(corpus[1], text=corpus[1].text + " banjir"), corpus[0], *corpus[2:]]
    messages.clear()
    run(tmp_path / "m3", texts=changed)
    assert any("its texts differ" in m for m in messages)
    assert (kept / "delta.safetensors").stat().st_mtime_ns != before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--recipe", "shipped", "--epochs", "2"], "--epochs change the recipe"),
        (["--recipe", "twice"], "unknown recipe 'twice'"),
    ],
)
def test_train_command_refuses_a_recipe_it_cannot_run(
    tmp_path: Path, args: list[str], message: str
) -> None:
    from typer.testing import CliRunner

    from pantau.cli import app

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    line = json.dumps(
        {
            "id": "a",
            "scenario": "s",
            "register": "post",
            "title": "",
            "text": "baliho dipasang di pohon",
            "topics": ["apk"],
            "kind": "dugaan_pelanggaran",
        }
    )
    (corpus / "one.jsonl").write_text(line + "\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["model", "train", "--corpus", str(corpus), "--output", str(tmp_path / "m"), *args]
    )
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "m").exists()
