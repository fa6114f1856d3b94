"""Normalise Indonesian social-media slang to standard words (lexicon from indoNLP).

indoNLP's dictionary (4,331 entries, MIT) maps "udh" to "sudah", "yg" to
"yang" and so on. A few of its choices are adjusted below: it maps the
colloquial negations ("gak", "ga", "nggak") to "enggak", which is still
informal, and a handful of short keys are English words that mixed-language
posts use as such ("in", "to").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

# Our adjustments on top of the lexicon: formal targets for informal forms.
OVERRIDES: dict[str, str] = {
    "enggak": "tidak",
    "nggak": "tidak",
    "ngga": "tidak",
    "gak": "tidak",
    "ga": "tidak",
    "gk": "tidak",
    "kagak": "tidak",
    "kaga": "tidak",
    "tdk": "tidak",
    "kalo": "kalau",
    "klo": "kalau",
    "dah": "sudah",
    "udah": "sudah",
    "udh": "sudah",
    "gw": "saya",
    "gue": "saya",
    "gua": "saya",
    "bgt": "banget",
    "blm": "belum",
    "yg": "yang",
    "dgn": "dengan",
    "utk": "untuk",
}
# Lexicon keys that are (also) English words; mixed posts mean the English one.
ENGLISH_KEYS = frozenset(
    {
        "in",
        "to",
        "on",
        "at",
        "it",
        "is",
        "so",
        "do",
        "go",
        "me",
        "we",
        "us",
        "my",
        "no",
        "of",
        "as",
        "be",
        "am",
    }
)
# Lexicon keys that are also election acronyms: "DPT" (voter list) must not
# become "dapat", "BKN" (the civil-service agency) not "bukan", "KK" (family
# card) not "kakak". Left as written, readers (and the encoder) get them from context.
ELECTION_ACRONYMS = frozenset({"dpt", "bkn", "kk"})

# Hashtags, mentions and URLs pass through untouched; words are looked up.
_PIECE = re.compile(
    r"(?P<keep>https?://\S+|www\.\S+|[#@]\w+)|(?P<word>[^\W\d_]+(?:2(?![\w]))?)", re.UNICODE
)
_ELONGATION = re.compile(r"([^\W\d_])\1{2,}", re.UNICODE)


@lru_cache(maxsize=1)
def default_lexicon() -> dict[str, str]:
    """indoNLP's slang table with our overrides applied; loaded once."""
    from indoNLP.preprocessing.slang_data import SLANG_DATA

    return build_lexicon(SLANG_DATA)


def build_lexicon(base: Mapping[str, str]) -> dict[str, str]:
    lexicon = {
        k.lower(): v
        for k, v in base.items()
        if k.lower() not in ENGLISH_KEYS | ELECTION_ACRONYMS and " " not in k
    }
    # Follow the overrides through the lexicon's own targets ("klo" -> "kalo" -> "kalau").
    lexicon = {k: OVERRIDES.get(v.lower(), v) for k, v in lexicon.items()}
    lexicon.update(OVERRIDES)
    return lexicon


def _match_case(original: str, replacement: str) -> str:
    if original.isupper() and len(original) > 1:
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def _normalise_word(word: str, lexicon: Mapping[str, str]) -> str:
    lower = word.lower()
    if lower in lexicon:
        return _match_case(word, lexicon[lower])
    # "bagi2" is the written-out reduplication "bagi-bagi".
    if lower.endswith("2") and len(lower) >= 4:
        stem = _normalise_word(word[:-1], lexicon)
        return f"{stem}-{stem.lower()}"
    squeezed = _ELONGATION.sub(r"\1", lower)
    if squeezed != lower:
        if squeezed in lexicon:
            return _match_case(word, lexicon[squeezed])
        return _match_case(word, squeezed)
    return word


def normalise_slang(text: str, lexicon: Mapping[str, str] | None = None) -> str:
    """Replace slang words with standard forms; keeps hashtags, mentions, URLs, emojis, spacing."""
    lex = lexicon if lexicon is not None else default_lexicon()

    def repl(m: re.Match[str]) -> str:
        if m.group("keep"):
            return m.group("keep")
        return _normalise_word(m.group("word"), lex)

    return _PIECE.sub(repl, text)
