"""Story index benchmark: what the near-duplicate window saves when a crawl starts.

Run on demand (not part of the tests):

    python -m bench.story_index --days 365 --per-day 200

Builds a story index holding ``--days`` days of documents (synthetic bodies,
``--per-day`` a day, spread over the days by a fake clock), then opens it
the way a crawl does, once keeping every signature (``window_days=0``, the
baseline: what the index did before it had a window) and once with the
default 30-day window, each in a fresh process so the memory figures do not
share a heap. Prints open time, resident memory the open added, and the
ratios. Needs no network.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.corpus import WORDS
from crawlers.dedup import STORY_WINDOW_DAYS, StoryIndex

END = datetime(2026, 11, 28, tzinfo=UTC)


class _Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def build(path: Path, days: int, per_day: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    clock = _Clock(END - timedelta(days=days))
    index = StoryIndex(path, window_days=0, now=clock)
    for day in range(days):
        clock.at = END - timedelta(days=days - day)
        for i in range(per_day):
            body = " ".join(rng.choice(WORDS) for _ in range(80))
            index.assign(f"doc-{day}-{i}", body)
    index.close()


def resident_kib() -> int:
    """Current resident memory. Not ``ru_maxrss``: a child process inherits its
    parent's high-water mark across exec, which would hide what the open adds."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise SystemExit("needs Linux /proc to read resident memory")


def measure_open(path: Path, window_days: float) -> dict[str, float]:
    """Run in a child process: open the (copied) index at END and report."""
    before = resident_kib()
    start = time.perf_counter()
    index = StoryIndex(path, window_days=window_days, now=_Clock(END))
    seconds = time.perf_counter() - start
    grown = resident_kib() - before
    out = {"seconds": seconds, "rss_mib": grown / 1024, "active": index.active, "all": len(index)}
    index.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--per-day", type=int, default=200)
    parser.add_argument("--child", nargs=2, metavar=("PATH", "WINDOW"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure_open(Path(args.child[0]), float(args.child[1]))))
        return

    work = Path(tempfile.mkdtemp(prefix="pantau-story-bench-"))
    start = time.perf_counter()
    build(work / "stories.sqlite3", args.days, args.per_day)
    print(f"built {args.days * args.per_day:,} documents in {time.perf_counter() - start:.0f} s")

    results: dict[str, dict[str, float]] = {}
    for label, window in (
        ("keep all (baseline)", 0.0),
        (f"{STORY_WINDOW_DAYS:g}-day window", STORY_WINDOW_DAYS),
    ):
        # Each run opens its own copy: the windowed open clears signatures in the file.
        copy = work / f"stories-{window:g}.sqlite3"
        copy.write_bytes((work / "stories.sqlite3").read_bytes())
        cmd = [sys.executable, "-m", "bench.story_index", "--child", str(copy), str(window)]
        line = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        results[label] = json.loads(line.strip().splitlines()[-1])

    print(f"{'':24} {'open s':>8} {'RSS MiB':>8} {'signatures matched':>20}")
    for label, r in results.items():
        print(f"{label:24} {r['seconds']:8.2f} {r['rss_mib']:8.1f} {int(r['active']):>20,}")
    base, windowed = results["keep all (baseline)"], list(results.values())[1]
    print(
        f"window / baseline: open time {windowed['seconds'] / base['seconds']:.2f}x, "
        f"memory {windowed['rss_mib'] / max(base['rss_mib'], 0.1):.2f}x; "
        f"{base['rss_mib'] * 1024 / max(base['active'], 1):.1f} KiB per matched signature"
    )


if __name__ == "__main__":
    main()
