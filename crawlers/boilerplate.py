"""Indonesian news boilerplate that generic extractors keep (pure functions).

Generic extractors (trafilatura included) leave in "BACA JUGA:" cross-links,
"Pewarta/Editor" trailers, share prompts and the opening "OUTLET –" dateline.
Analysts read those as noise and the classifier would learn from them, so they
are removed here; the dateline and the bylines are kept as metadata.
"""
# ruff: noqa: RUF001, RUF002, RUF003 - Indonesian typography (dashes, curly quotes) is the data here

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Lines that point the reader elsewhere, wherever they stand in the body.
_CROSS_LINK = re.compile(
    r"^\s*[\[(]?\s*(?:baca\s+(?:juga|pula|selengkapnya)|simak\s+juga|lihat\s+juga|"
    r"tonton\s+juga|cek\s+juga|artikel\s+terkait|berita\s+terkait|baca\s+berita\s+lain(?:nya)?|"
    r"video\s+terkait|pilihan\s+redaksi|rekomendasi)\b\s*[:：\-–—>]*",
    re.IGNORECASE,
)
# Prompts and widgets that never carry reporting.
_PROMPT = re.compile(
    r"^\s*(?:simak\s+(?:berita|artikel|informasi|update)\b.*|"
    r"ikuti\s+(?:berita|kami|saluran|channel|update|whatsapp|terus)\b.*|"
    r"dapatkan\s+(?:update|berita|informasi)\b.*|"
    r"(?:follow|gabung|join)\b.*(?:google\s+news|whatsapp|telegram|channel|saluran).*|"
    r"(?:bagikan|share)(?:\s+(?:artikel|berita)(?:\s+ini)?)?\s*:?\s*"
    r"(?:(?:facebook|twitter|x|whatsapp|telegram|line|linkedin|email|salin\s+tautan)\b[\s,|/]*)*$|"
    r"klik\s+(?:di\s+)?(?:sini|link)\b.*|"
    r"(?:download|unduh)\s+(?:aplikasi|app)\b.*|"
    r"scroll\s+(?:to\s+continue|ke\s+bawah)\b.*|"
    r"advertisement|iklan|adv|-\s*iklan\s*-|"
    r"halaman\s+(?:selanjutnya|berikutnya)\b.*|"
    r"(?:\d+\s+)?(?:komentar|comments?)\s*$|"
    r"kami\s+menggunakan\s+cookie\b.*|situs\s+ini\s+menggunakan\s+cookie\b.*|"
    r"dengan\s+melanjutkan.*\bcookie\b.*)\s*$",
    re.IGNORECASE,
)
# Bylines and copyright lines that close an article.
_TRAILER = re.compile(
    r"^\s*(?P<label>pewarta|editor|penulis|reporter|redaktur|penyunting|sumber|"
    r"foto|fotografer|kontributor|laporan\s+wartawan(?:\s+[\w.]+)*|penerjemah)\s*:\s*(?P<value>.*)$",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(r"^\s*(?:copyright|hak\s+cipta)?\s*(?:©|\(c\))|^\s*copyright\b", re.I)
_SYNDICATION = re.compile(
    r"^\s*(?:artikel|berita)\s+ini\s+(?:telah|sudah)\s+(?:tayang|terbit|dimuat)\b.*$", re.IGNORECASE
)
# Newsroom initials closing the last paragraph: "(ant/dal)", "(jpnn)", "(*)".
_INITIALS = re.compile(r"\s*\((?:\*|[a-z]{2,5}(?:\s*/\s*[a-z*]{1,5}){0,3})\)\s*$")
# "JABAR EKSPRES –", "Jakarta (ANTARA) -", "WARTAKOTALIVE.COM, JAKARTA —",
# "Liputan6.com, Jakarta -", "Jakarta, CNN Indonesia --", "TEMPO.CO, Jakarta -".
_DATELINE = re.compile(
    r"^(?P<dateline>"
    r"(?:[A-Z0-9][\w.'’&]*(?:\.(?:com|co|id|net))*|\([A-Z][\w .]*\))"
    r"(?:[ ,]+(?:[A-Z0-9][\w.'’&]*|\([A-Z][\w .]*\))){0,6}"
    r")\s*(?:--|[–—-])\s+(?=\S)"
)
_DATELINE_MAX = 60
_DOUBLED_QUOTES = re.compile(r"''|\"\"|“\s*“|”\s*”")


@dataclass
class CleanedText:
    body: str
    dateline: str | None = None
    author: str | None = None
    editor: str | None = None
    removed: list[str] = field(default_factory=list)


def is_cross_link(line: str) -> bool:
    return bool(_CROSS_LINK.match(line))


def is_prompt(line: str) -> bool:
    return bool(_PROMPT.match(line))


def _looks_like_dateline(candidate: str) -> bool:
    if len(candidate) > _DATELINE_MAX:
        return False
    words = [w for w in re.split(r"[ ,]+", candidate) if w]
    # A dateline shouts (JABAR EKSPRES), names a web outlet (Liputan6.com) or
    # credits an agency in brackets (ANTARA); a capitalised city alone also counts.
    has_marker = any(
        (w.isupper() and len(w.strip("().")) >= 3)
        or re.search(r"\.(?:com|co|id|net)\b", w, re.IGNORECASE)
        or w.startswith("(")
        for w in words
    )
    return has_marker or len(words) <= 2


def split_dateline(paragraph: str) -> tuple[str | None, str]:
    """Split "JABAR EKSPRES – Wali Kota …" into ("JABAR EKSPRES", "Wali Kota …")."""
    match = _DATELINE.match(paragraph)
    if not match or not _looks_like_dateline(match["dateline"]):
        return None, paragraph
    rest = paragraph[match.end() :].lstrip()
    if not rest or not (rest[0].isupper() or rest[0] in "\"“'‘"):
        return None, paragraph
    return match["dateline"].strip(" ,"), rest


def _single_quote(match: re.Match[str]) -> str:
    first = match.group(0)[0]
    return first if first in "“”" else '"'


def normalise_quotes(text: str) -> str:
    """Collapse doubled quote marks (''kata'' / ""kata"") that CMS editors type."""
    return _DOUBLED_QUOTES.sub(_single_quote, text)


def _byline(line: str) -> tuple[str, str] | None:
    match = _TRAILER.match(line)
    if not match:
        return None
    return match["label"].lower().split()[0], match["value"].strip(" .")


def clean_paragraphs(paragraphs: list[str]) -> CleanedText:
    """Drop boilerplate lines, peel the dateline off the first paragraph, keep bylines."""
    kept: list[str] = []
    removed: list[str] = []
    author: str | None = None
    editor: str | None = None
    for raw in paragraphs:
        line = " ".join(raw.split())
        if not line:
            continue
        byline = _byline(line)
        if byline is not None:
            label, value = byline
            if label in ("pewarta", "penulis", "reporter", "laporan", "kontributor") and value:
                author = author or value
            elif label in ("editor", "redaktur", "penyunting") and value:
                editor = editor or value
            removed.append(line)
            continue
        if (
            is_cross_link(line)
            or is_prompt(line)
            or _COPYRIGHT.match(line)
            or _SYNDICATION.match(line)
        ):
            removed.append(line)
            continue
        kept.append(line)
    dateline: str | None = None
    if kept:
        dateline, first = split_dateline(kept[0])
        kept[0] = first
        stripped = _INITIALS.sub("", kept[-1])
        if stripped != kept[-1]:
            removed.append(kept[-1][len(stripped) :].strip())
            kept[-1] = stripped.rstrip()
    body = "\n\n".join(normalise_quotes(p) for p in kept if p)
    return CleanedText(body=body, dateline=dateline, author=author, editor=editor, removed=removed)


def clean_text(text: str) -> CleanedText:
    """:func:`clean_paragraphs` on text whose paragraphs are separated by newlines."""
    return clean_paragraphs([p for p in re.split(r"\n+", text) if p.strip()])
