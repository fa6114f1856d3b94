"""Language identification for Pantau's inputs: Indonesian, Malay, Javanese, English or other.

py3langid's bundled model (97 languages) scores the text. Indonesian and Malay
share most of their vocabulary and the model splits short Indonesian texts
almost evenly between them; since Pantau watches Indonesian sources, Indonesian
gets a prior weight and Malay must clearly win (see ``ID_PRIOR``).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

RELEVANT = ("id", "ms", "jv", "en")
UNDETERMINED = "und"
# Malay must score ID_PRIOR times Indonesian's probability to be called Malay.
ID_PRIOR = 2.5
# Fewer letters than this say too little to tell these languages apart.
MIN_LETTERS = 8


class LanguageGuess(NamedTuple):
    code: str  # ISO 639-1 where it exists, "und" when undetermined
    confidence: float


@lru_cache(maxsize=1)
def default_identifier() -> LanguageIdentifier:
    """py3langid's full model with normalised probabilities; loaded once (~0.5 s)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def looks_binary(text: str) -> bool:
    """Control characters or decoding debris instead of prose."""
    if "\x00" in text:
        return True
    sample = text[:4000]
    bad = sum(
        1
        for ch in sample
        if ch == "\ufffd" or (unicodedata.category(ch) in {"Cc", "Co", "Cs"} and ch not in "\n\r\t")
    )
    return bad > max(2, len(sample) // 20)


def detect_language(
    text: str | None, identifier: LanguageIdentifier | None = None
) -> LanguageGuess:
    """``(code, confidence)`` for ``text``: id, ms, jv, en, another code, or und."""
    if not text or looks_binary(text):
        return LanguageGuess(UNDETERMINED, 0.0)
    letters = sum(1 for ch in text if ch.isalpha())
    if letters < MIN_LETTERS:
        return LanguageGuess(UNDETERMINED, 0.0)
    ident = identifier if identifier is not None else default_identifier()
    probs = dict(ident.rank(text))
    relevant = {code: float(probs.get(code, 0.0)) for code in RELEVANT}
    relevant_mass = sum(relevant.values())
    top_code, top_p = max(probs.items(), key=lambda kv: kv[1])
    if top_code not in relevant and float(top_p) > relevant_mass:
        return LanguageGuess(str(top_code), float(top_p))
    if relevant_mass <= 0.0:
        return LanguageGuess(UNDETERMINED, 0.0)
    weighted = dict(relevant)
    weighted["id"] *= ID_PRIOR
    total = sum(weighted.values())
    code = max(weighted, key=lambda c: weighted[c])
    return LanguageGuess(code, round(weighted[code] / total, 4))
