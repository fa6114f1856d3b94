"""Metrics and loaders of the place and language evaluation sets (pure; no model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.tagging_eval import (
    EvalSetError,
    LanguageCase,
    PlaceCase,
    format_language_errors,
    format_language_report,
    format_place_errors,
    format_place_report,
    language_group,
    load_language_cases,
    load_place_cases,
    parse_place_case,
    regency_of,
    score_languages,
    score_places,
    select_half,
)


def place(cid: str, *codes: str, register: str = "news") -> PlaceCase:
    return PlaceCase(id=cid, register=register, title="", text="teks", places=codes)


def test_regency_of_keeps_provinces_and_cuts_lower_levels() -> None:
    assert regency_of("31") == "31"
    assert regency_of("31.71") == "31.71"
    assert regency_of("31.71.01.1001") == "31.71"


def test_score_places_counts_codes_regencies_and_first_place() -> None:
    cases = [
        place("a", "31.71.01.1001"),  # tagged the kecamatan above it: code wrong, regency right
        place("b", "73.71", "73.72"),  # one of two found, plus a wrong one
        place("c"),  # nothing to find, something tagged
        place("d", "32.75", register="post"),  # exact
    ]
    predicted = {"a": ["31.71.01"], "b": ["73.71", "32.01"], "c": ["35.78"], "d": ["32.75"]}
    report = score_places(cases, predicted)
    # codes: tp = 73.71 + 32.75 = 2; fp = 31.71.01, 32.01, 35.78 = 3; fn = 31.71.01.1001, 73.72 = 2
    assert report.precision == pytest.approx(2 / 5)
    assert report.recall == pytest.approx(2 / 4)
    # regencies: a 31.71 hit; b 73.71 hit, 73.72 missed, 32.01 extra; c 35.78 extra; d hit
    assert report.regency_precision == pytest.approx(3 / 5)
    assert report.regency_recall == pytest.approx(3 / 4)
    assert report.top_exact == pytest.approx(2 / 3)
    assert report.top_regency == pytest.approx(3 / 3)
    assert (report.empty_gold, report.empty_gold_tagged, report.exact_texts) == (1, 1, 1)
    assert [e.id for e in report.errors] == ["a", "b", "c"]
    assert report.by_register["post"]["f1"] == pytest.approx(1.0)
    text = format_place_report(report, "t")
    assert "1 with exactly the gold places" in text and "1 texts, 1 given a place" in text
    errors = format_place_errors(report, {"31.71.01": "Gambir"})
    assert "tagged 31.71.01 Gambir" in errors


def test_a_missing_prediction_counts_as_no_places() -> None:
    report = score_places([place("a", "11.01")], {})
    assert (report.recall, report.top_exact) == (0.0, 0.0)


def test_language_groups_put_unnamed_languages_together() -> None:
    assert [language_group(c) for c in ("id", "ms", "jv", "en", "su", "und")] == [
        "id",
        "ms",
        "jv",
        "en",
        "other",
        "other",
    ]


def test_score_languages() -> None:
    def case(cid: str, lang: str, variety: str = "v") -> LanguageCase:
        return LanguageCase(id=cid, language=lang, register="post", variety=variety, text=cid)

    cases = [case("1", "id"), case("2", "id"), case("3", "ms"), case("4", "su"), case("5", "jv")]
    predicted = {"1": "id", "2": "jv", "3": "id", "4": "ace", "5": "jv"}
    report = score_languages(cases, predicted)
    assert report.accuracy == pytest.approx(3 / 5)  # su read as ace is still "another language"
    assert report.indonesian_recall == pytest.approx(1 / 2)
    assert report.indonesian_precision == pytest.approx(1 / 2)
    assert report.confusion["id"] == {"id": 1, "jv": 1}
    assert report.by_variety["id/v"] == (1, 2)
    assert [e[0] for e in report.errors] == ["2", "3"]
    assert "accuracy 0.600" in format_language_report(report, "t")
    assert format_language_errors(report).splitlines()[0] == "2: gold id, detected jv: '2'"


def test_loaders_report_every_bad_line(tmp_path: Path) -> None:
    good = {"id": "x", "register": "post", "title": "", "text": "di Bekasi", "places": ["32.75"]}
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({**good, "id": "y", "places": "32.75"}),
        json.dumps(good),
    ]
    (tmp_path / "a.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(EvalSetError) as err:
        load_place_cases(tmp_path)
    message = str(err.value)
    assert "a.jsonl:2: not JSON" in message
    assert "a.jsonl:3: 'places' must be a list" in message
    assert "duplicate ids: x" in message
    with pytest.raises(EvalSetError, match=r"no \*\.jsonl files"):
        load_language_cases(tmp_path / "missing")
    with pytest.raises(ValueError, match="'text'"):
        parse_place_case({**good, "text": " "})


def test_halves_are_stable_and_split_the_set() -> None:
    cases = [place(f"p{i}", "11") for i in range(200)]
    choose = select_half(cases, "choose")
    report = select_half(cases, "report")
    assert len(choose) + len(report) == 200 and 60 < len(choose) < 140
    assert {c.id for c in choose}.isdisjoint(c.id for c in report)
    assert select_half(cases, "choose") == choose
    assert select_half(cases, "whole") == cases
