from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from crawlers.archive import WarcArchive, read_archived
from crawlers.dedup import StoryIndex
from crawlers.ingest import ingest_file, parse_ingest_line
from crawlers.spool import Spool
from index.sqlite_store import SqliteStore
from pantau.schemas import SourceType

PANTAU = Path(os.environ.get("VIRTUAL_ENV", Path.home() / ".cache/pantau/venv")) / "bin" / "pantau"

GOOD = {
    "platform": "x",
    "account": "@wargajaksel",
    "url": "https://x.com/wargajaksel/status/1",
    "text": "Ada spanduk paslon dipasang di pagar SD negeri dekat Pasar Minggu, sudah saya foto.",
    "published_at": "2024-11-21T08:00:00+07:00",
}


def write_lines(path: Path) -> Path:
    lines = [
        json.dumps(GOOD),
        "",
        "{bukan json",
        json.dumps({**GOOD, "url": "https://x.com/wargajaksel/status/2", "text": "  "}),
        json.dumps(
            {
                **GOOD,
                "url": "https://x.com/wargajaksel/status/3",
                "published_at": "2024-11-21T08:00:00",
            }
        ),
        json.dumps(
            {
                "platform": "tiktok",
                "account": "@pemudapeduli",
                "text": "Video warga menolak amplop dari tim sukses di Cengkareng beredar luas.",
                "source_type": "social",
                "extra": 1,
            }
        ),
        json.dumps(
            {
                "platform": "facebook",
                "account": "Grup Warga Tambora",
                "text": "Pengumuman: rapat warga soal daftar pemilih tambahan di balai RW 07.",
            }
        ),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_bad_lines_are_parked_with_line_numbers(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    archive = WarcArchive(tmp_path / "archive")
    stories = StoryIndex(tmp_path / "stories.sqlite3")
    report = ingest_file(write_lines(tmp_path / "posts.jsonl"), spool, stories, archive)
    archive.close()
    stories.close()
    assert report.spooled == 2 and report.blank == 1
    assert [n for n, _ in report.bad_lines] == [3, 4, 5, 6]
    reasons = dict(report.bad_lines)
    assert "not valid JSON" in reasons[3]
    assert "text" in reasons[4]
    assert "time zone" in reasons[5]
    assert "extra" in reasons[6]
    parked = list(spool.parked_items())
    assert len(parked) == 4
    assert all("posts.jsonl line" in reason for _, reason in parked)
    items = [json.loads(p.read_text())["item"]["document"] for p in spool.pending.iterdir()]
    item = next(i for i in items if i["source"] == "@wargajaksel (x)")
    assert item["source_type"] == "social" and item["author"] == "@wargajaksel"
    raw = read_archived(tmp_path / "archive", item["provenance"]["archive_ref"])
    assert json.loads(raw.body)["url"] == GOOD["url"]


def test_parse_line_mapping() -> None:
    record = parse_ingest_line(json.dumps(GOOD))
    assert record.platform == "x" and record.source_type is SourceType.SOCIAL


def test_ingest_command_stores_good_lines(tmp_path: Path) -> None:
    env = {**os.environ, "PANTAU_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run(
        [str(PANTAU), "ingest", str(write_lines(tmp_path / "p.jsonl")), "--no-classify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "line 3" in result.stderr and "2 spooled" in result.stderr
    store = SqliteStore(tmp_path / "data" / "pantau.sqlite3")
    store.init()
    assert store.stats().documents == 2
    store.close()
