"""scripts/device_train.py: the parts that travel back from a GPU machine join into the
same model folders, and the combined corpus refuses clashing file names."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def kit() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "device_train", ROOT / "scripts" / "device_train.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["device_train"] = module
    spec.loader.exec_module(module)
    return module


def test_split_bytes_covers_the_data_in_order(kit: ModuleType) -> None:
    data = bytes(range(256)) * 5
    parts = kit.split_bytes(data, 300)
    assert [len(p) for p in parts] == [300, 300, 300, 300, 80]
    assert b"".join(parts) == data
    assert kit.split_bytes(b"", 10) == [b""]
    with pytest.raises(ValueError):
        kit.split_bytes(data, 0)


def test_parts_collect_into_the_model_folders(kit: ModuleType, tmp_path: Path) -> None:
    import os

    teacher, student = tmp_path / "work" / "teacher", tmp_path / "work" / "student6"
    for folder in (teacher, student):
        folder.mkdir(parents=True)
        (folder / "delta.safetensors").write_bytes(os.urandom(70_000))
        (folder / "classifier.json").write_text('{"num_layers": 6}')
        for name in kit.LEXICAL_FILES:
            (folder / name).write_bytes(os.urandom(1_000) + folder.name.encode())
    out = tmp_path / "out"
    out.mkdir()
    for name, folder, skip in (("teacher", teacher, ()), ("student6", student, kit.LEXICAL_FILES)):
        data = kit.tar_folder(folder, name, skip)
        for index, piece in enumerate(kit.split_bytes(data, 20_000)):
            (out / kit.part_name(name, index)).write_bytes(piece)
    assert len(list(out.glob("teacher.tgz.part*"))) >= 4
    kit.collect(argparse.Namespace(source=str(out), dest=str(tmp_path / "back")))
    back = tmp_path / "back"
    for name in ("delta.safetensors", "classifier.json"):
        assert (back / "teacher" / name).read_bytes() == (teacher / name).read_bytes()
        assert (back / "student6" / name).read_bytes() == (student / name).read_bytes()
    # The student travels without the n-gram files and gets the teacher's.
    for name in kit.LEXICAL_FILES:
        assert (back / "student6" / name).read_bytes() == (teacher / name).read_bytes()


def test_combined_corpus_thins_and_refuses_clashes(kit: ModuleType, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "one.jsonl").write_text("".join(f'{{"n": {i}}}\n' for i in range(30)))
    (b / "two.jsonl").write_text('{"n": 0}\n')
    assert kit.combined_corpus([a, b], tmp_path / "c", every=15) == 2
    assert (tmp_path / "c" / "one.jsonl").read_text().splitlines() == ['{"n": 0}', '{"n": 15}']
    (b / "one.jsonl").write_text('{"n": 1}\n')
    with pytest.raises(SystemExit, match=r"one\.jsonl"):
        kit.combined_corpus([a, b], tmp_path / "d")
