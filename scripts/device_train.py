"""Retrain the classifier on a borrowed GPU machine in one call, and bring it back.

A GPU machine, when this workplace lends one, gets 15 minutes all told, reaches
no package registry, takes at most 64 MiB of files and returns at most eight
files of 16 MiB. This script packs what such a call needs and runs it, so that
a session spends its minutes training, not debugging. Nothing depends on it:
without a GPU, ``pantau model train --device cpu`` runs the same recipe
(about four hours on two cores).

Here, before the call::

    pantau model pack-base .devrun/base        # the built base, 37 MB, lossless
    python scripts/device_train.py wheels      # packages the GPU image lacks, in .whl/
    mv nlp/model /tmp/pantau-shipped           # 45 MB that the call does not need

The call (device ``run``, ``carry: [".devrun/base", ".whl"]``, timeout 600)::

    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \\
      --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:. &&
    PYTHONUNBUFFERED=1 python3 scripts/device_train.py train --out $OUT \\
      2>&1 | tee $OUT/log.txt

Here, after it::

    mv /tmp/pantau-shipped nlp/model
    python scripts/device_train.py collect FILES_AT .devrun/gpu
    pantau model evaluate --model .devrun/gpu/teacher --split all

``train`` fine-tunes the whole corpus (plus any ``--extra-corpus`` folders)
in one run from the base, with the shipped recipe's first-stage settings
(``--recipe single``, what a CPU cannot afford; ``--recipe shipped`` runs
the staged recipe of ``nlp/recipe.py`` instead), then, time allowing, a
shallower student distilled from it. Each model
folder goes back as a gzipped tar in parts of at most 15 MiB; the student
goes without the n-gram files, which are the teacher's (same train split),
so that both fit the 64 MiB that may come back. Before anything else it
imports what training needs and stops with the list of what is missing.
``results.json`` holds the dev figures of each and the Python
distributions imported, to check the wheel list against.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PART_BYTES = 15 * 2**20
RETURN_BYTES = 63 * 2**20  # the device returns 64 MiB at most; keep a margin for logs
LEXICAL_FILES = ("lexical.json", "lexical.safetensors")

# Imported by `pantau model train` but not in the GPU image (see
# /work/.library/device/KINDS.md); versions as pinned for this project's venv.
WHEELS = (
    "pydantic==2.14.4",
    "pydantic-core==2.50.5",
    "pydantic-settings==2.16.3",
    "python-dotenv==1.2.4",
    "annotated-types==0.8.0",
    "typing-inspection==0.4.5",
    "indoNLP==0.3.4",
    # The image's typer may be older or lack shellingham; this pair is the one tested here.
    "typer==0.29.2",
    "shellingham==1.5.4",
    "annotated-doc==0.0.7",
)
PLATFORMS = (
    "manylinux_2_28_x86_64",
    "manylinux_2_27_x86_64",
    "manylinux_2_17_x86_64",
    "manylinux2014_x86_64",
)


def split_bytes(data: bytes, size: int = PART_BYTES) -> list[bytes]:
    """``data`` in consecutive pieces of at most ``size`` bytes (pure; one piece if empty)."""
    if size <= 0:
        raise ValueError("part size must be positive")
    return [data[i : i + size] for i in range(0, len(data), size)] or [b""]


def part_name(stem: str, index: int) -> str:
    return f"{stem}.tgz.part{index:02d}"


def tar_folder(folder: Path, arcname: str, skip: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=6) as tar:
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.name not in skip:
                tar.add(path, arcname=f"{arcname}/{path.name}")
    return buffer.getvalue()


# Everything `pantau model train` imports, lazily imported ones included, so that a
# missing wheel fails the call in its first seconds rather than after the teacher.
PREFLIGHT = (
    "pantau.cli",
    "nlp.cli",
    "nlp.training",
    "nlp.base_pack",
    "nlp.service",
    "nlp.slang",
    "indoNLP",
    "sklearn.linear_model",
    "sklearn.feature_extraction.text",
    "scipy.sparse",
    "safetensors.torch",
    "transformers",
    "torch",
)


def preflight() -> None:
    import importlib

    missing = []
    for name in PREFLIGHT:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            missing.append(f"{name}: {exc}")
    if missing:
        raise SystemExit("missing on this machine (carry them as wheels):\n" + "\n".join(missing))


def imported_distributions() -> list[str]:
    from importlib.metadata import packages_distributions

    names = packages_distributions()
    tops = {name.split(".")[0] for name in list(sys.modules)}
    return sorted({dist for top in tops for dist in names.get(top, [])})


def run_train(args: list[str], log_name: str) -> float:
    """One `pantau model train` in a child process (the product's own command line)."""
    command = [sys.executable, "-m", "pantau", "model", "train", *args]
    print(f"[{log_name}] {' '.join(command)}", flush=True)
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT)
    return time.perf_counter() - start


def combined_corpus(sources: list[Path], target: Path, every: int = 1) -> int:
    """Copy every ``*.jsonl`` of ``sources`` into ``target`` (with ``every`` > 1 only
    each ``every``-th line, for a dry run); refuse clashing names."""
    target.mkdir(parents=True, exist_ok=True)
    copied = 0
    for source in sources:
        for path in sorted(source.glob("*.jsonl")):
            dest = target / path.name
            if dest.exists():
                raise SystemExit(f"two corpus files named {path.name}; rename one")
            lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
            dest.write_text("".join(lines[::every]), encoding="utf-8")
            copied += 1
    return copied


def train(ns: argparse.Namespace) -> int:
    from nlp.base_model import default_trimmed_dir
    from nlp.base_pack import unpack_base
    from pantau.settings import Settings

    started = time.perf_counter()
    preflight()
    out = Path(ns.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(ns.work)
    os.environ["PANTAU_MODEL_DIR"] = str(work / "models")
    base = unpack_base(Path(ns.base), default_trimmed_dir(Settings()))
    print(f"base restored in {base}", flush=True)
    corpus = work / "corpus"
    sources = [Path(ns.corpus), *[Path(p) for p in ns.extra_corpus]]
    files = combined_corpus(sources, corpus, every=15 if ns.smoke else 1)
    print(f"{files} corpus files in {corpus}", flush=True)

    results: dict[str, Any] = {"device": ns.device, "corpus_files": files, "models": {}}
    teacher = work / "teacher"
    common = ["--corpus", str(corpus), "--device", ns.device]
    if ns.smoke:
        common += ["--epochs", "1"]
    recipe = ["--recipe", "single" if ns.smoke else ns.recipe]
    seconds = run_train([*common, *recipe, "--output", str(teacher)], "teacher")
    results["models"]["teacher"] = {"seconds": round(seconds, 1)}
    models: list[tuple[str, Path, tuple[str, ...]]] = [("teacher", teacher, ())]

    elapsed = time.perf_counter() - started
    # The student takes about half the teacher's time; start it only if it fits.
    if ns.student_layers and elapsed + 0.7 * seconds < ns.budget_s:
        student = work / f"student{ns.student_layers}"
        student_args = [
            *common,
            "--output",
            str(student),
            "--layers",
            str(ns.student_layers),
            "--split-layer",
            "0",
            "--init-from",
            str(teacher),
            "--distil-from",
            str(teacher),
            "--distil-weight",
            str(ns.distil_weight),
            "--lr-layers",
            "5e-5",
            "--lr-heads",
            "3e-3",
        ]
        seconds = run_train(student_args, "student")
        results["models"][student.name] = {"seconds": round(seconds, 1)}
        models.append((student.name, student, LEXICAL_FILES))
    else:
        print(f"no student: {elapsed:.0f} s spent of a {ns.budget_s:.0f} s budget", flush=True)

    used = 0
    for name, folder, skip in models:
        config = json.loads((folder / "classifier.json").read_text())
        results["models"][name]["training"] = {
            k: config["training"].get(k)
            for k in ("blend", "best_epoch", "history", "corpus_sha256")
        }
        data = tar_folder(folder, name, skip)
        if used + len(data) > RETURN_BYTES:
            print(f"{name}: {len(data)} bytes would not fit what may come back", flush=True)
            results["models"][name]["returned"] = False
            continue
        for index, piece in enumerate(split_bytes(data)):
            (out / part_name(name, index)).write_bytes(piece)
        used += len(data)
        results["models"][name]["returned"] = True
        results["models"][name]["bytes"] = len(data)
    results["imported_distributions"] = imported_distributions()
    results["seconds"] = round(time.perf_counter() - started, 1)
    (out / "results.json").write_text(json.dumps(results, indent=1))
    print(json.dumps({k: v for k, v in results.items() if k != "imported_distributions"}))
    return 0


def collect(ns: argparse.Namespace) -> int:
    """Join the parts that came back and unpack each model folder under ``dest``."""
    source, dest = Path(ns.source), Path(ns.dest)
    stems = sorted({p.name.split(".tgz.part")[0] for p in source.rglob("*.tgz.part*")})
    if not stems:
        raise SystemExit(f"no *.tgz.partNN files under {source}")
    dest.mkdir(parents=True, exist_ok=True)
    for stem in stems:
        parts = sorted(source.rglob(f"{stem}.tgz.part*"))
        data = b"".join(p.read_bytes() for p in parts)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            tar.extractall(dest, filter="data")
        print(f"{stem}: {len(parts)} parts, {len(data)} bytes -> {dest / stem}")
    teacher = dest / "teacher"
    for stem in stems:
        folder = dest / stem
        for name in LEXICAL_FILES:
            if not (folder / name).exists() and (teacher / name).exists():
                shutil.copy2(teacher / name, folder / name)
    return 0


def wheels(ns: argparse.Namespace) -> int:
    """Download the wheels the GPU image lacks, for its Python 3.12 (needs PyPI, so here)."""
    target = ROOT / ".whl"
    target.mkdir(exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "-q",
        "--no-deps",
        "--only-binary=:all:",
        "--python-version",
        "3.12",
        "--implementation",
        "cp",
        *[arg for platform in PLATFORMS for arg in ("--platform", platform)],
        "-d",
        str(target),
        *WHEELS,
    ]
    subprocess.run(command, check=True)
    total = sum(p.stat().st_size for p in target.glob("*.whl"))
    print(f"{len(list(target.glob('*.whl')))} wheels, {total / 2**20:.1f} MiB in {target}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="on the GPU machine: train, pack the models into --out")
    t.add_argument("--out", default=os.environ.get("OUT", "/tmp/out"))
    t.add_argument("--work", default="/tmp/pantau-device")
    t.add_argument("--base", default=str(ROOT / ".devrun" / "base"), help="packed base folder")
    t.add_argument("--corpus", default=str(ROOT / "nlp" / "data" / "corpus"))
    t.add_argument("--extra-corpus", action="append", default=[], help="more *.jsonl folders")
    t.add_argument("--device", default="cuda")
    t.add_argument(
        "--recipe",
        choices=("single", "shipped"),
        default="single",
        help="the teacher: one run on everything, or the staged recipe",
    )
    t.add_argument("--student-layers", type=int, default=6, help="0: no student")
    t.add_argument("--distil-weight", type=float, default=0.5)
    t.add_argument("--budget-s", type=float, default=480.0, help="seconds the call may take")
    t.add_argument(
        "--smoke",
        action="store_true",
        help="a fifteenth of the corpus, one epoch each: a dry run on a CPU",
    )
    c = sub.add_parser("collect", help="here: join the parts that came back")
    c.add_argument("source")
    c.add_argument("dest")
    sub.add_parser("wheels", help="here: download the wheels the GPU image lacks into .whl/")
    ns = parser.parse_args(argv)
    handlers = {"train": train, "collect": collect, "wheels": wheels}
    return handlers[ns.command](ns)


if __name__ == "__main__":
    sys.exit(main())
