"""Indonesian dates and times to UTC (pure functions).

Outlets write dates as "Kamis, 19 September 2024 14:05 WIB", "19/09/2024,
14.05", "Kamis (19/9)" (no year), or "2 jam lalu" (relative). Whatever lacks a
year, a zone or an absolute anchor is resolved against the page's fetch time,
because that is the only clock we can trust for the page.
"""
# ruff: noqa: RUF001 - Indonesian typography (dashes, curly quotes) is the data here

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone

# Indonesia's three civil time zones; an unmarked time on an Indonesian page is WIB.
ZONES: dict[str, timezone] = {
    "WIB": timezone(timedelta(hours=7), "WIB"),
    "WITA": timezone(timedelta(hours=8), "WITA"),
    "WIT": timezone(timedelta(hours=9), "WIT"),
}
DEFAULT_ZONE = ZONES["WIB"]

MONTHS: dict[str, int] = {
    "januari": 1,
    "jan": 1,
    "january": 1,
    "februari": 2,
    "feb": 2,
    "pebruari": 2,
    "february": 2,
    "maret": 3,
    "mar": 3,
    "march": 3,
    "april": 4,
    "apr": 4,
    "mei": 5,
    "may": 5,
    "juni": 6,
    "jun": 6,
    "june": 6,
    "juli": 7,
    "jul": 7,
    "july": 7,
    "agustus": 8,
    "agu": 8,
    "agt": 8,
    "ags": 8,
    "aug": 8,
    "august": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "oktober": 10,
    "okt": 10,
    "oct": 10,
    "october": 10,
    "november": 11,
    "nov": 11,
    "nopember": 11,
    "desember": 12,
    "des": 12,
    "dec": 12,
    "december": 12,
}
# Python weekday(): Monday is 0.
WEEKDAYS: dict[str, int] = {
    "senin": 0,
    "selasa": 1,
    "rabu": 2,
    "kamis": 3,
    "jumat": 4,
    "jum'at": 4,
    "jum’at": 4,
    "sabtu": 5,
    "minggu": 6,
    "ahad": 6,
}
_UNITS: dict[str, timedelta] = {
    "detik": timedelta(seconds=1),
    "menit": timedelta(minutes=1),
    "jam": timedelta(hours=1),
    "hari": timedelta(days=1),
    "minggu": timedelta(weeks=1),
    "pekan": timedelta(weeks=1),
    "bulan": timedelta(days=30),
    "tahun": timedelta(days=365),
}

_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY_RE = "|".join(sorted((re.escape(d) for d in WEEKDAYS), key=len, reverse=True))
_ZONE_RE = r"(?P<zone>WITA|WIB|WIT)\b"
_TIME_RE = r"(?P<hour>[01]?\d|2[0-3])[:.](?P<minute>[0-5]\d)(?:[:.](?P<second>[0-5]\d))?"

_ISO = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?)?"
)
_LONG = re.compile(
    rf"(?:(?P<weekday>{_DAY_RE})\s*,?\s*)?(?P<day>\d{{1,2}})\s+(?P<month>{_MONTH_RE})\.?\s+"
    rf"(?P<year>\d{{4}})(?:\s*[,|/-]?\s*(?:pukul\s+)?{_TIME_RE})?(?:\s*{_ZONE_RE})?",
    re.IGNORECASE,
)
_NUMERIC = re.compile(
    rf"\b(?P<day>\d{{1,2}})/(?P<month>\d{{1,2}})/(?P<year>\d{{4}})"
    rf"(?:\s*[,|-]?\s*(?:pukul\s+)?{_TIME_RE})?(?:\s*{_ZONE_RE})?",
    re.IGNORECASE,
)
# "Kamis (19/9)" or "Kamis (19/9/2024)": the outlet's house style for the event day.
_PAREN = re.compile(
    rf"(?P<weekday>{_DAY_RE})\s*\(\s*(?P<day>\d{{1,2}})/(?P<month>\d{{1,2}})"
    rf"(?:/(?P<year>\d{{2,4}}))?\s*\)",
    re.IGNORECASE,
)
_RELATIVE = re.compile(
    r"\b(?P<n>\d+|se|satu)\s*(?P<unit>detik|menit|jam|hari|minggu|pekan|bulan|tahun)"
    r"\s+(?:yang\s+)?lalu\b",
    re.IGNORECASE,
)
_YESTERDAY = re.compile(r"\bkemarin\b(?:\s*,?\s*(?:pukul\s+)?" + _TIME_RE + r")?", re.IGNORECASE)
_JUST_NOW = re.compile(r"\b(?:baru\s+saja|barusan)\b", re.IGNORECASE)


def zone_for(name: str | None) -> timezone:
    return ZONES.get((name or "").upper(), DEFAULT_ZONE)


def _local(day: date, hms: tuple[int, int, int] | None, zone: timezone) -> datetime:
    # A date without a time is taken as local midnight: the day is right, the hour unknown.
    h, m, s = hms or (0, 0, 0)
    return datetime.combine(day, time(h, m, s), tzinfo=zone).astimezone(UTC)


def _hms(match: re.Match[str]) -> tuple[int, int, int] | None:
    if not match.groupdict().get("hour"):
        return None
    return (int(match["hour"]), int(match["minute"]), int(match["second"] or 0))


def _valid_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def parse_iso(text: str) -> datetime | None:
    """ISO 8601 as in meta tags and JSON-LD; a missing offset means WIB."""
    match = _ISO.search(text)
    if not match:
        return None
    day = _valid_date(int(match["y"]), int(match["m"]), int(match["d"]))
    if day is None:
        return None
    if match["H"] is None:
        return _local(day, None, DEFAULT_ZONE)
    hms = (int(match["H"]), int(match["M"]), int(match["S"] or 0))
    tz_text = match["tz"]
    if tz_text is None:
        return _local(day, hms, DEFAULT_ZONE)
    if tz_text == "Z":
        zone = UTC
    else:
        sign = 1 if tz_text[0] == "+" else -1
        digits = tz_text[1:].replace(":", "")
        zone = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        return datetime.combine(day, time(*hms), tzinfo=zone).astimezone(UTC)
    except ValueError:
        return None


def _year_for(day: int, month: int, weekday: int | None, fetched_local: date) -> date | None:
    """The latest date with this day/month on or before the fetch day whose
    weekday matches (if given): outlets drop the year only for recent news."""
    for year in range(fetched_local.year, fetched_local.year - 8, -1):
        candidate = _valid_date(year, month, day)
        if candidate is None or candidate > fetched_local + timedelta(days=1):
            continue
        if weekday is None or candidate.weekday() == weekday:
            return candidate
    return None


def parse_indonesian_datetime(text: str, fetched_at: datetime) -> datetime | None:
    """Parse the first date expression in ``text``; return an aware UTC datetime or None.

    ``fetched_at`` (aware) anchors relative expressions and year-less dates.
    """
    if fetched_at.tzinfo is None:
        raise ValueError("fetched_at must carry a time zone")
    text = " ".join(text.split())
    if not text:
        return None
    fetched_local = fetched_at.astimezone(DEFAULT_ZONE).date()

    match = _LONG.search(text)
    if match:
        day = _valid_date(int(match["year"]), MONTHS[match["month"].lower()], int(match["day"]))
        if day:
            return _local(day, _hms(match), zone_for(match["zone"]))
    match = _NUMERIC.search(text)
    if match:
        day = _valid_date(int(match["year"]), int(match["month"]), int(match["day"]))
        if day:
            return _local(day, _hms(match), zone_for(match["zone"]))
    iso = parse_iso(text)
    if iso is not None:
        return iso
    match = _PAREN.search(text)
    if match:
        weekday = WEEKDAYS[match["weekday"].lower()]
        if match["year"]:
            year = int(match["year"])
            year = year + 2000 if year < 100 else year
            day = _valid_date(year, int(match["month"]), int(match["day"]))
        else:
            day = _year_for(int(match["day"]), int(match["month"]), weekday, fetched_local)
        if day:
            return _local(day, None, DEFAULT_ZONE)
    match = _RELATIVE.search(text)
    if match:
        n = 1 if match["n"].lower() in ("se", "satu") else int(match["n"])
        return (fetched_at - n * _UNITS[match["unit"].lower()]).astimezone(UTC)
    match = _YESTERDAY.search(text)
    if match:
        day = fetched_local - timedelta(days=1)
        hms = _hms(match)
        if hms is None:
            return (fetched_at - timedelta(days=1)).astimezone(UTC)
        return _local(day, hms, DEFAULT_ZONE)
    if _JUST_NOW.search(text):
        return fetched_at.astimezone(UTC)
    return None
