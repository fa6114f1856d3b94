"""Parsing of the user's search text and the Indonesian analysis the embedded store uses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import Stemmer

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_QUERY_PART = re.compile(r'(-?)"([^"]*)"|(\S+)')


@dataclass(frozen=True)
class ParsedQuery:
    terms: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    excluded_phrases: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not (self.terms or self.phrases or self.excluded or self.excluded_phrases)

    @property
    def positive(self) -> bool:
        return bool(self.terms or self.phrases)


def parse_query(text: str) -> ParsedQuery:
    """Split ``kampanye "politik uang" -sepakbola`` into terms, phrases and exclusions (pure)."""
    terms: list[str] = []
    phrases: list[str] = []
    excluded: list[str] = []
    excluded_phrases: list[str] = []
    for neg, phrase, word in _QUERY_PART.findall(text):
        if phrase:
            words = tokenize(phrase)
            if not words:
                continue
            (excluded_phrases if neg else phrases).append(" ".join(words))
            continue
        is_neg = word.startswith("-") and len(word) > 1
        for token in tokenize(word[1:] if is_neg else word):
            (excluded if is_neg else terms).append(token)
    return ParsedQuery(tuple(terms), tuple(phrases), tuple(excluded), tuple(excluded_phrases))


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text.casefold())


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("indonesian")


def analyze(text: str) -> str:
    """Lower-cased, Snowball-stemmed Indonesian tokens, space-joined (pure).

    "pelanggaran" and "melanggar" both become "langgar", as they do under the
    engines' ``indonesian`` analyzer.
    """
    return " ".join(_stemmer().stemWords(tokenize(text)))
