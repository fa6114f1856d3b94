"""The labelled corpus: loading, validation, scenario-grouped splits and classifier input text.

Every corpus file is JSON Lines with the fields ``id, scenario, register,
source, title, text, topics, kind, hard_negative, note``. Texts written from the
same scenario (two outlets covering one case, a post and its replies) must stay
in one split, otherwise the test set measures memory of the scenario rather than
generalisation: the split is a pure function of the scenario identifier.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pantau.schemas import Kind, Topic

TOPICS: tuple[str, ...] = tuple(t.value for t in Topic)
KINDS: tuple[str, ...] = tuple(k.value for k in Kind)
REGISTERS = ("news", "post")
REQUIRED_FIELDS = ("id", "scenario", "register", "title", "text", "topics", "kind")

Split = Literal["train", "dev", "test"]
SPLITS: tuple[Split, ...] = ("train", "dev", "test")
# Percentages of scenarios in train and dev; the rest is test.
SPLIT_PERCENT = (70, 15)
# Changing the salt reshuffles every split; it is part of the model card.
SPLIT_SALT = "pantau-split-v1"

DEFAULT_CORPUS_DIR = Path(__file__).resolve().parent / "data" / "corpus"

# Posts are short and untitled; slang normalisation helps them and would only
# risk mangling formal prose, so it applies to untitled texts of few words.
POST_MAX_WORDS = 120
_WORD = re.compile(r"\w+", re.UNICODE)


class CorpusError(ValueError):
    """The corpus has invalid records (the message lists them)."""


@dataclass(frozen=True)
class Example:
    id: str
    scenario: str
    register: str
    title: str
    text: str
    topics: tuple[str, ...]
    kind: str
    source: str = ""
    hard_negative: bool = False
    note: str = ""
    origin: str = ""  # file name the record came from

    @property
    def split(self) -> Split:
        return split_of(self.scenario)


@dataclass
class CorpusLoad:
    examples: list[Example] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    incomplete_lines: int = 0


def validate_record(raw: Any) -> tuple[Example | None, str | None]:
    """Turn one decoded JSON value into an ``Example`` or say what is wrong with it."""
    if not isinstance(raw, dict):
        return None, "record is not a JSON object"
    missing = [k for k in REQUIRED_FIELDS if k not in raw]
    if missing:
        return None, f"missing field(s): {', '.join(missing)}"
    for key in ("id", "scenario", "register", "title", "text", "kind"):
        if not isinstance(raw[key], str):
            return None, f"field {key!r} must be a string"
    if not raw["id"].strip() or not raw["scenario"].strip():
        return None, "empty id or scenario"
    if raw["register"] not in REGISTERS:
        return None, f"unknown register {raw['register']!r}"
    if raw["kind"] not in KINDS:
        return None, f"unknown kind {raw['kind']!r}"
    topics = raw["topics"]
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        return None, "topics must be a list of strings"
    unknown = [t for t in topics if t not in TOPICS]
    if unknown:
        return None, f"unknown topic(s): {', '.join(unknown)}"
    if len(set(topics)) != len(topics):
        return None, "duplicate topics"
    if not raw["text"].strip():
        return None, "empty text"
    return (
        Example(
            id=raw["id"],
            scenario=raw["scenario"],
            register=raw["register"],
            title=raw["title"],
            text=raw["text"],
            topics=tuple(sorted(topics, key=TOPICS.index)),
            kind=raw["kind"],
            source=str(raw.get("source") or ""),
            hard_negative=bool(raw.get("hard_negative", False)),
            note=str(raw.get("note") or ""),
        ),
        None,
    )


def parse_lines(lines: Iterable[str], origin: str) -> CorpusLoad:
    """Parse JSONL lines. A last line without a newline is still being written and is skipped."""
    out = CorpusLoad()
    for number, line in enumerate(lines, start=1):
        if not line.endswith("\n"):
            out.incomplete_lines += 1
            continue
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            out.errors.append(f"{origin}:{number}: invalid JSON ({exc.msg})")
            continue
        example, error = validate_record(raw)
        if error is not None or example is None:
            out.errors.append(f"{origin}:{number}: {error}")
            continue
        out.examples.append(
            Example(**{**example.__dict__, "origin": origin})  # keep the file for reports
        )
    return out


def load_corpus(directory: Path = DEFAULT_CORPUS_DIR, strict: bool = True) -> CorpusLoad:
    """Read every ``*.jsonl`` in ``directory`` (sorted by name, so the order is stable).

    With ``strict`` any invalid record or duplicate id raises ``CorpusError``
    listing all of them; otherwise they are returned in ``errors``.
    """
    total = CorpusLoad()
    files = sorted(Path(directory).glob("*.jsonl"))
    if not files:
        raise CorpusError(f"no *.jsonl files in {directory}")
    for path in files:
        with path.open(encoding="utf-8") as handle:
            part = parse_lines(handle, path.name)
        total.examples.extend(part.examples)
        total.errors.extend(part.errors)
        total.incomplete_lines += part.incomplete_lines
        if part.incomplete_lines:
            # A committed file must end with a newline; a missing one usually means a
            # writer was interrupted, so the last record is reported rather than lost silently.
            total.errors.append(
                f"{path.name}: last line has no newline (unfinished write?); it was not read"
            )
    counts = Counter(e.id for e in total.examples)
    dupes = sorted(i for i, n in counts.items() if n > 1)
    if dupes:
        total.errors.append(f"duplicate ids: {', '.join(dupes[:20])}")
    if strict and total.errors:
        shown = "\n".join(total.errors[:30])
        raise CorpusError(f"{len(total.errors)} invalid corpus record(s):\n{shown}")
    return total


def split_of(scenario: str, salt: str = SPLIT_SALT) -> Split:
    """Deterministic split of a scenario: a hash, so adding texts never moves old ones."""
    bucket = int(hashlib.sha256(f"{salt}:{scenario}".encode()).hexdigest()[:8], 16) % 100
    if bucket < SPLIT_PERCENT[0]:
        return "train"
    if bucket < SPLIT_PERCENT[0] + SPLIT_PERCENT[1]:
        return "dev"
    return "test"


# Evaluation-only sets are halved the same way: one half may inform a decision
# (say, how much weight the n-gram model gets), the other only reports.
Half = Literal["choose", "report"]
HALF_SALT = "pantau-fresh-v1"


def half_of(scenario: str, salt: str = HALF_SALT) -> Half:
    """Deterministic half of an evaluation-only scenario (a hash, like ``split_of``)."""
    bucket = int(hashlib.sha256(f"{salt}:{scenario}".encode()).hexdigest()[:8], 16) % 2
    return "choose" if bucket == 0 else "report"


def split_examples(examples: Sequence[Example]) -> dict[Split, list[Example]]:
    out: dict[Split, list[Example]] = {s: [] for s in SPLITS}
    for example in examples:
        out[example.split].append(example)
    return out


def corpus_hash(examples: Sequence[Example]) -> str:
    """SHA-256 over the labelled content, independent of file order."""
    digest = hashlib.sha256()
    for e in sorted(examples, key=lambda x: x.id):
        record = [e.id, e.scenario, e.register, e.title, e.text, list(e.topics), e.kind]
        digest.update(json.dumps(record, ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def looks_like_post(text: str, title: str | None) -> bool:
    """Untitled and short: treat as a social post (slang normalisation applies)."""
    return not (title or "").strip() and len(_WORD.findall(text)) <= POST_MAX_WORDS


def prepare_text(text: str | None, title: str | None = None) -> str:
    """The exact text the classifier sees, in training and in service.

    Cleaning drops outlet boilerplate ("BACA JUGA: ..."), URLs and invisible
    characters; untitled short texts get slang normalised.
    """
    from nlp.slang import normalise_slang
    from nlp.text import classifier_input

    joined = classifier_input(text, title)
    if looks_like_post(joined, title):
        joined = normalise_slang(joined)
    return joined


def label_vectors(example: Example) -> tuple[list[float], int]:
    """Multi-hot topics in ``TOPICS`` order and the kind's index in ``KINDS``."""
    topics = [1.0 if t in example.topics else 0.0 for t in TOPICS]
    return topics, KINDS.index(example.kind)


def summarise(examples: Sequence[Example]) -> dict[str, Any]:
    """Counts per split, kind, topic and register (for the model card and the data README)."""
    parts = split_examples(examples)
    out: dict[str, Any] = {"texts": len(examples), "scenarios": len({e.scenario for e in examples})}
    for name, items in parts.items():
        out[name] = {
            "texts": len(items),
            "scenarios": len({e.scenario for e in items}),
            "kinds": dict(Counter(e.kind for e in items)),
            "registers": dict(Counter(e.register for e in items)),
            "topics": dict(Counter(t for e in items for t in e.topics)),
        }
    return out
