from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawlers.dates import parse_indonesian_datetime, parse_iso

FETCHED = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)  # 20:00 WIB


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kamis, 19 September 2024 14:05 WIB", datetime(2024, 9, 19, 7, 5, tzinfo=UTC)),
        ("Kamis, 19 Sep 2024 | 14.05 WIB", datetime(2024, 9, 19, 7, 5, tzinfo=UTC)),
        ("Jumat, 20 September 2024 19:30 WITA", datetime(2024, 9, 20, 11, 30, tzinfo=UTC)),
        ("Sabtu, 23 Nov 2024 10:00 WIT", datetime(2024, 11, 23, 1, 0, tzinfo=UTC)),
        ("27 November 2024", datetime(2024, 11, 26, 17, 0, tzinfo=UTC)),
        ("27 Nopember 2024 pukul 08.15", datetime(2024, 11, 27, 1, 15, tzinfo=UTC)),
        ("Diperbarui 20/11/2024, 10:00 WIB", datetime(2024, 11, 20, 3, 0, tzinfo=UTC)),
        ("2024-09-19T14:05:00+07:00", datetime(2024, 9, 19, 7, 5, tzinfo=UTC)),
        ("2024-09-19T07:05:00Z", datetime(2024, 9, 19, 7, 5, tzinfo=UTC)),
    ],
)
def test_absolute_dates_resolve_to_utc(text: str, expected: datetime) -> None:
    assert parse_indonesian_datetime(text, FETCHED) == expected


def test_weekday_picks_the_year_of_a_yearless_date() -> None:
    # 19/9 was a Thursday (Kamis) in 2024, a Friday in 2025, a Saturday in 2026.
    got = parse_indonesian_datetime("di Balai Kota, Kamis (19/9).", FETCHED)
    assert got == datetime(2024, 9, 18, 17, 0, tzinfo=UTC)


def test_yearless_date_without_matching_weekday_is_the_latest_past_one() -> None:
    got = parse_indonesian_datetime("Sabtu (19/9)", FETCHED)
    assert got == datetime(2026, 9, 18, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("2 jam lalu", 2),
        ("2 jam yang lalu", 2),
        ("sejam lalu", 1),
        ("30 menit lalu", 0.5),
        ("3 hari lalu", 72),
    ],
)
def test_relative_times_count_back_from_the_fetch(text: str, hours: float) -> None:
    got = parse_indonesian_datetime(text, FETCHED)
    assert got is not None
    assert (FETCHED - got).total_seconds() == hours * 3600


def test_yesterday_with_a_time_is_local() -> None:
    got = parse_indonesian_datetime("Kemarin, 21:00", FETCHED)
    assert got == datetime(2026, 11, 26, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "tanpa tanggal", "31 Februari 2024", "Pilkada 2024"])
def test_no_date_gives_none(text: str) -> None:
    assert parse_indonesian_datetime(text, FETCHED) is None


def test_naive_fetch_time_is_refused() -> None:
    with pytest.raises(ValueError):
        parse_indonesian_datetime("2 jam lalu", datetime(2026, 11, 27))


def test_iso_without_offset_is_wib() -> None:
    assert parse_iso("2024-09-19 14:05") == datetime(2024, 9, 19, 7, 5, tzinfo=UTC)
    assert parse_iso("2024-13-45") is None
