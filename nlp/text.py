"""Clean text before it reaches the classifier (pure functions)."""

from __future__ import annotations

import re
import unicodedata

# Lines that link elsewhere or sell something; outlets put them inside the body.
_BOILERPLATE_LINE = re.compile(
    r"^\s*(baca juga|baca pula|simak juga|lihat juga|cek berita|ikuti (kami|berita|update)|"
    r"dapatkan (berita|update|informasi)|klik (di ?sini|link)|scroll (ke bawah|untuk)|"
    r"artikel ini (telah|sudah) (tayang|terbit)|(?:advertisement|iklan)(?=\s*$)|"
    r"gabung (di|ke) (grup|channel)|"
    r"follow (kami|us)|tonton juga|editor\s*:|penulis\s*:|reporter\s*:|sumber\s*:)(?=\W|$).*$",
    re.IGNORECASE,
)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_ZERO_WIDTH = re.compile(r"[\u200b-\u200f\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def normalise_unicode(text: str) -> str:
    """NFKC (full-width letters, ligatures, non-breaking spaces) and no invisible characters."""
    text = unicodedata.normalize("NFKC", text)
    text = _ZERO_WIDTH.sub("", text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def strip_urls(text: str) -> str:
    return _URL.sub(" ", text)


def drop_boilerplate_lines(text: str) -> str:
    """Remove "BACA JUGA: ..." and similar lines; they link to unrelated stories."""
    return "\n".join(line for line in text.split("\n") if not _BOILERPLATE_LINE.match(line))


def collapse_whitespace(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def clean_text(text: str | None) -> str:
    """Classifier input: NFKC, no URLs, no boilerplate lines, tidy whitespace."""
    if not text:
        return ""
    text = normalise_unicode(text)
    text = drop_boilerplate_lines(text)
    text = strip_urls(text)
    return collapse_whitespace(text)


def classifier_input(text: str | None, title: str | None = None) -> str:
    """Title and body joined the way the classifier sees them."""
    body = clean_text(text)
    head = clean_text(title)
    if head and not body.startswith(head):
        return f"{head}\n{body}" if body else head
    return body
