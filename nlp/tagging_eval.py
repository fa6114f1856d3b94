"""Evaluation sets for place tagging and language identification, and their metrics (pure).

The sets live in ``nlp/data/places`` and ``nlp/data/language`` (see their
READMEs). Each text is put in the ``choose`` or ``report`` half by a hash of its
id (``nlp.dataset.half_of`` with its own salt): rules may be changed after
reading the ``choose`` half's errors, the ``report`` half only reports.

Place scores compare Kemendagri codes. Beside exact codes they score the
regency each code lies in, since alerts are routed to a regency's Bawaslu: a
tagger that says the kecamatan when the text names a village in it is wrong
about the code but right about the route.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from nlp.dataset import Half, half_of
from nlp.evaluation import prf

PLACES_DIR = Path(__file__).resolve().parent / "data" / "places"
LANGUAGE_DIR = Path(__file__).resolve().parent / "data" / "language"
# Own salts, so these halves do not line up with the fresh-writer set's.
PLACES_SALT = "pantau-places-v1"
LANGUAGE_SALT = "pantau-language-v1"
# The languages the detector may name; others are scored as "another language".
NAMED_LANGUAGES = ("id", "ms", "jv", "en")
OTHER = "other"

HalfChoice = Literal["choose", "report", "whole"]


class EvalSetError(ValueError):
    """An evaluation file has invalid records (the message lists them)."""


@dataclass(frozen=True)
class PlaceCase:
    id: str
    register: str
    title: str
    text: str
    places: tuple[str, ...]  # gold codes, main place first
    note: str = ""
    origin: str = ""

    @property
    def half(self) -> Half:
        return half_of(self.id, PLACES_SALT)


@dataclass(frozen=True)
class LanguageCase:
    id: str
    language: str
    register: str
    variety: str
    text: str
    note: str = ""
    origin: str = ""

    @property
    def half(self) -> Half:
        return half_of(self.id, LANGUAGE_SALT)


Case = TypeVar("Case", PlaceCase, LanguageCase)


def _records(directory: Path) -> Iterable[tuple[str, int, Any]]:
    files = sorted(directory.glob("*.jsonl"))
    if not files:
        raise EvalSetError(f"no *.jsonl files in {directory}")
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                yield path.name, number, json.loads(line)
            except json.JSONDecodeError as exc:
                yield path.name, number, exc


def _string(raw: Mapping[str, Any], key: str, required: bool = True) -> str:
    value = raw.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValueError(f"{key!r} must be a non-empty string")
    return value


def parse_place_case(raw: Any, origin: str = "") -> PlaceCase:
    """One gold record of the place set; ``ValueError`` says what is wrong (pure)."""
    if not isinstance(raw, dict):
        raise ValueError("record is not a JSON object")
    places = raw.get("places")
    if not isinstance(places, list) or not all(isinstance(c, str) and c for c in places):
        raise ValueError("'places' must be a list of Kemendagri codes")
    return PlaceCase(
        id=_string(raw, "id"),
        register=_string(raw, "register"),
        title=_string(raw, "title", required=False),
        text=_string(raw, "text"),
        places=tuple(places),
        note=_string(raw, "note", required=False),
        origin=origin,
    )


def parse_language_case(raw: Any, origin: str = "") -> LanguageCase:
    """One gold record of the language set; ``ValueError`` says what is wrong (pure)."""
    if not isinstance(raw, dict):
        raise ValueError("record is not a JSON object")
    return LanguageCase(
        id=_string(raw, "id"),
        language=_string(raw, "language"),
        register=_string(raw, "register"),
        variety=_string(raw, "variety"),
        text=_string(raw, "text"),
        note=_string(raw, "note", required=False),
        origin=origin,
    )


def _load(directory: Path, parse: Callable[[Any, str], Case]) -> list[Case]:
    cases: list[Case] = []
    errors: list[str] = []
    for origin, number, raw in _records(directory):
        if isinstance(raw, json.JSONDecodeError):
            errors.append(f"{origin}:{number}: not JSON ({raw.msg})")
            continue
        try:
            cases.append(parse(raw, origin))
        except ValueError as exc:
            errors.append(f"{origin}:{number}: {exc}")
    dupes = sorted(i for i, n in Counter(c.id for c in cases).items() if n > 1)
    if dupes:
        errors.append(f"duplicate ids: {', '.join(dupes[:20])}")
    if errors:
        raise EvalSetError(
            f"{len(errors)} invalid record(s) in {directory}:\n" + "\n".join(errors[:30])
        )
    return cases


def load_place_cases(directory: Path = PLACES_DIR) -> list[PlaceCase]:
    return _load(directory, parse_place_case)


def load_language_cases(directory: Path = LANGUAGE_DIR) -> list[LanguageCase]:
    return _load(directory, parse_language_case)


def select_half(cases: Sequence[Case], half: HalfChoice) -> list[Case]:
    return list(cases) if half == "whole" else [c for c in cases if c.half == half]


# --- places -----------------------------------------------------------------


def predict_places(cases: Sequence[PlaceCase], gazetteer: Any = None) -> dict[str, list[str]]:
    """Codes ``tag_places`` gives each case, called as the service calls it."""
    from nlp.places import tag_places
    from nlp.text import clean_text

    return {
        case.id: [
            m.code
            for m in tag_places(
                clean_text(case.text), title=case.title or None, gazetteer=gazetteer
            )
        ]
        for case in cases
    }


def regency_of(code: str) -> str:
    """The kabupaten/kota a code lies in (a province stays itself)."""
    parts = code.split(".")
    return ".".join(parts[:2])


@dataclass
class PlaceError:
    id: str
    gold: tuple[str, ...]
    predicted: tuple[str, ...]
    note: str


@dataclass
class PlaceReport:
    texts: int
    # Exact codes, micro-averaged over texts.
    precision: float
    recall: float
    f1: float
    # The same with every code replaced by its regency (the Bawaslu an alert goes to).
    regency_precision: float
    regency_recall: float
    regency_f1: float
    top_exact: float  # texts with gold whose first predicted code is the first gold code
    top_regency: float  # ... lies in the first gold code's regency
    empty_gold: int  # texts whose gold has no place
    empty_gold_tagged: int  # of those, texts given a place anyway
    exact_texts: int  # texts whose predicted set equals the gold set
    by_register: dict[str, dict[str, float]] = field(default_factory=dict)
    errors: list[PlaceError] = field(default_factory=list)


def _set_counts(gold: set[str], predicted: set[str]) -> tuple[int, int, int]:
    tp = len(gold & predicted)
    return tp, len(predicted) - tp, len(gold) - tp


def score_places(cases: Sequence[PlaceCase], predicted: Mapping[str, Sequence[str]]) -> PlaceReport:
    """Compare predicted codes (strongest first) with the gold codes of each case."""
    tp = fp = fn = rtp = rfp = rfn = 0
    top_exact = top_regency = with_gold = empty = empty_tagged = exact = 0
    per_register: dict[str, list[int]] = {}
    errors: list[PlaceError] = []
    for case in cases:
        pred = tuple(predicted.get(case.id, ()))
        gold_set, pred_set = set(case.places), set(pred)
        a, b, c = _set_counts(gold_set, pred_set)
        tp, fp, fn = tp + a, fp + b, fn + c
        reg = per_register.setdefault(case.register, [0, 0, 0, 0])
        reg[0], reg[1], reg[2], reg[3] = reg[0] + a, reg[1] + b, reg[2] + c, reg[3] + 1
        a, b, c = _set_counts({regency_of(g) for g in gold_set}, {regency_of(p) for p in pred_set})
        rtp, rfp, rfn = rtp + a, rfp + b, rfn + c
        if case.places:
            with_gold += 1
            if pred:
                top_exact += pred[0] == case.places[0]
                top_regency += regency_of(pred[0]) == regency_of(case.places[0])
        else:
            empty += 1
            empty_tagged += bool(pred)
        if gold_set == pred_set:
            exact += 1
        else:
            errors.append(PlaceError(case.id, case.places, pred, case.note))
    p, r, f = prf(tp, fp, fn)
    rp, rr, rf = prf(rtp, rfp, rfn)
    by_register = {}
    for name, (a, b, c, n) in sorted(per_register.items()):
        pp, pr, pf = prf(a, b, c)
        by_register[name] = {"texts": n, "precision": pp, "recall": pr, "f1": pf}
    return PlaceReport(
        texts=len(cases),
        precision=p,
        recall=r,
        f1=f,
        regency_precision=rp,
        regency_recall=rr,
        regency_f1=rf,
        top_exact=top_exact / with_gold if with_gold else 0.0,
        top_regency=top_regency / with_gold if with_gold else 0.0,
        empty_gold=empty,
        empty_gold_tagged=empty_tagged,
        exact_texts=exact,
        by_register=by_register,
        errors=errors,
    )


def format_place_report(report: PlaceReport, title: str) -> str:
    lines = [
        f"{title}: {report.texts} texts, {report.exact_texts} with exactly the gold places",
        f"  codes          P {report.precision:.3f}  R {report.recall:.3f}  F1 {report.f1:.3f}",
        f"  regencies      P {report.regency_precision:.3f}  R {report.regency_recall:.3f}"
        f"  F1 {report.regency_f1:.3f}",
        f"  first place    exact {report.top_exact:.3f}  same regency {report.top_regency:.3f}",
        f"  no gold place  {report.empty_gold} texts, {report.empty_gold_tagged} given a place",
    ]
    for name, row in report.by_register.items():
        lines.append(
            f"  {name:<14} {int(row['texts'])} texts  P {row['precision']:.3f}  "
            f"R {row['recall']:.3f}  F1 {row['f1']:.3f}"
        )
    return "\n".join(lines)


def format_place_errors(report: PlaceReport, names: Mapping[str, str]) -> str:
    """One line per text whose places differ from the gold; ``names`` maps codes to names."""

    def label(codes: Sequence[str]) -> str:
        return "; ".join(f"{c} {names.get(c, '?')}" for c in codes) or "-"

    out = []
    for e in report.errors:
        out.append(f"{e.id}: gold {label(e.gold)} | tagged {label(e.predicted)}")
        if e.note:
            out.append(f"    ({e.note})")
    return "\n".join(out)


# --- language ---------------------------------------------------------------


def language_group(code: str) -> str:
    """A code the detector may name, else ``other`` (su, ban, min... are all 'not ours')."""
    return code if code in NAMED_LANGUAGES else OTHER


@dataclass
class LanguageReport:
    texts: int
    accuracy: float  # gold and prediction in the same group (id, ms, jv, en, other)
    labels: list[tuple[str, float, float, float, int]]  # group, P, R, F1, support
    # Indonesian is what Pantau reads: how often Indonesian is kept and others are kept out.
    indonesian_recall: float
    indonesian_precision: float
    confusion: dict[str, dict[str, int]]  # gold group -> predicted code -> count
    by_variety: dict[str, tuple[int, int]]  # variety -> (correct, texts)
    errors: list[tuple[str, str, str, str]] = field(default_factory=list)  # id, gold, pred, text


def predict_languages(cases: Sequence[LanguageCase]) -> dict[str, str]:
    from nlp.language import detect_language

    return {case.id: detect_language(case.text).code for case in cases}


def score_languages(cases: Sequence[LanguageCase], predicted: Mapping[str, str]) -> LanguageReport:
    groups = [*NAMED_LANGUAGES, OTHER]
    counts = {g: [0, 0, 0] for g in groups}  # tp, fp, fn
    confusion: dict[str, Counter[str]] = {g: Counter() for g in groups}
    variety: dict[str, list[int]] = {}
    correct = 0
    errors: list[tuple[str, str, str, str]] = []
    for case in cases:
        pred = predicted.get(case.id, "und")
        gold_g, pred_g = language_group(case.language), language_group(pred)
        confusion[gold_g][pred] += 1
        row = variety.setdefault(f"{case.language}/{case.variety}", [0, 0])
        row[1] += 1
        if gold_g == pred_g:
            correct += 1
            counts[gold_g][0] += 1
            row[0] += 1
        else:
            counts[gold_g][2] += 1
            counts[pred_g][1] += 1
            errors.append((case.id, case.language, pred, case.text))
    labels = []
    for g in groups:
        tp, fp, fn = counts[g]
        if tp + fp + fn:
            p, r, f = prf(tp, fp, fn)
            labels.append((g, p, r, f, tp + fn))
    tp, fp, fn = counts["id"]
    return LanguageReport(
        texts=len(cases),
        accuracy=correct / len(cases) if cases else 0.0,
        labels=labels,
        indonesian_recall=tp / (tp + fn) if tp + fn else 0.0,
        indonesian_precision=tp / (tp + fp) if tp + fp else 0.0,
        confusion={g: dict(c) for g, c in confusion.items() if c},
        by_variety={k: (v[0], v[1]) for k, v in sorted(variety.items())},
        errors=errors,
    )


def format_language_report(report: LanguageReport, title: str) -> str:
    lines = [
        f"{title}: {report.texts} texts, accuracy {report.accuracy:.3f}",
        f"  Indonesian kept (recall) {report.indonesian_recall:.3f}, "
        f"texts called Indonesian that are (precision) {report.indonesian_precision:.3f}",
        "  language   precision  recall  F1     support",
    ]
    for g, p, r, f, n in report.labels:
        lines.append(f"  {g:<10} {p:9.3f}  {r:6.3f}  {f:.3f}  {n}")
    lines.append("  confusion (gold: predicted counts)")
    for gold, row in report.confusion.items():
        cells = ", ".join(f"{k} {v}" for k, v in sorted(row.items(), key=lambda kv: -kv[1]))
        lines.append(f"    {gold:<6} {cells}")
    lines.append("  by variety (correct / texts)")
    for name, (ok, n) in report.by_variety.items():
        lines.append(f"    {name:<24} {ok} / {n}")
    return "\n".join(lines)


def format_language_errors(report: LanguageReport) -> str:
    """One line per text given another language than its gold one."""
    return "\n".join(
        f"{rid}: gold {gold}, detected {pred}: {text[:150]!r}"
        for rid, gold, pred, text in report.errors
    )
