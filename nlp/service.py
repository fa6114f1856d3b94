"""The annotator: one loaded classifier that labels records the way the stable interface says.

``load_annotator(settings)`` loads the base encoder, overlays the shipped delta
and opens the gazetteer and the language identifier, once per process (later
calls with the same paths return the same object). ``annotate`` takes
``{"id", "title"?, "text"}`` dicts and returns one dict per input, in order:

``{"id", "topics", "kind", "places", "place_names", "language", "severity",
"scores": {"topics": {...}, "kind": {...}}}`` (plus ``"scores_from": "ngram"`` when the
transformer was skipped because it could not change the labels, see ``nlp.cascade``, and
``"screened": true`` when the optional relevance screen let the n-gram model alone label
it, and ``"truncated": true`` when only the first ``MAX_TEXT_CHARS`` were read) or, for
input that cannot be
classified (missing/non-string text, binary content, nothing left after
cleaning), ``{"id", "error", "language"}``. It never raises for bad records.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nlp.classifier import (
    BATCH_MAX_TEXTS,
    BATCH_MAX_TOKENS,
    SOLO_TOKENS,
    WEIGHTS_FILE,
    ClassifierConfig,
    TopicKindModel,
    build_model,
    chunk_ids,
    decide,
    pool_windows,
    predict_ids,
    temper,
)
from nlp.dataset import prepare_text
from nlp.language import UNDETERMINED, detect_language, looks_binary
from nlp.severity import derive_severity

if TYPE_CHECKING:
    import numpy as np
    from transformers import PreTrainedTokenizerBase

    from nlp.lexical import LexicalModel
    from nlp.places import Gazetteer
    from nlp.screen import ScreenRule
    from pantau.settings import Settings

log = logging.getLogger(__name__)

# Messages a person may read in the output (Bahasa Indonesia).
ERR_NO_TEXT = "teks tidak ada atau bukan string"
ERR_BINARY = "isi biner, bukan teks"
ERR_EMPTY = "teks kosong setelah dibersihkan"

# The classifier reads at most this many characters of a text; the rest of a longer
# one is left unread and its line says ``"truncated": true``. 15 times the longest
# corpus text and several times what the transformer's windows cover
# (``max_chunks``), but it bounds the n-gram counting, place tagging and language
# identification, which otherwise read the whole text: a 3.6 MB page took the
# process to 1.7 GB.
MAX_TEXT_CHARS = 100_000


def cut_text(text: str, limit: int = MAX_TEXT_CHARS) -> tuple[str, bool]:
    """``text`` cut to at most ``limit`` characters at a whitespace where there is one
    in the last tenth, and whether anything was cut (pure)."""
    if len(text) <= limit:
        return text, False
    head = text[:limit]
    space = max(head.rfind(" "), head.rfind("\n"))
    return (head[:space] if space >= limit * 0.9 else head), True


# Words without which a text cannot be about the election or its supervision. The
# optional pre-filter sends texts without any of them straight to ``lainnya``;
# its recall on relevant corpus texts is measured by bench/classify_bench.py.
_ELECTION_TERMS = re.compile(
    r"(pilkada|pilwalkot|pilbup|pilgub|pilkades|pemilu|pemilihan|pilpres|pileg|coblos|"
    r"paslon|calon|cagub|cawagub|cabup|cawabup|cawalkot|cawawalkot|capres|caleg|kandidat|"
    r"kampanye|timses|tim sukses|relawan|bawaslu|panwas|kpu|kpps|ppk\b|pps\b|pkd\b|ptps|"
    r"dkpp|gakkumdu|tps\b|dpt|dps\b|pemilih|coklit|surat suara|kotak suara|rekapitulasi|"
    r"\bsuara\b|netral|\basn\b|pns\b|baliho|spanduk|apk\b|alat peraga|politik uang|"
    r"serangan fajar|money politic|amplop|sembako|hoaks|hoax|sara\b|nomor urut|no urut|"
    r"\b0?[1-5] ?jari|debat|quick count|hitung cepat|pj\b|penjabat|pilih|nyoblos|"
    r"pemenangan|penghitungan|kebencian|propam|kades|kepala desa|lurah|camat)",
    re.IGNORECASE,
)


def election_relevant(text: str) -> bool:
    """Cheap keyword pre-filter: False only for texts with no election word at all."""
    return _ELECTION_TERMS.search(text) is not None


@dataclass(frozen=True)
class Scores:
    """Probabilities for a list of prepared texts, and which rows skipped the transformer."""

    topic: np.ndarray  # (texts, topics)
    kind: np.ndarray  # (texts, kinds)
    screened: np.ndarray  # (texts,) bool: the relevance screen let the n-gram model label it
    # (texts,) bool: the transformer could not have changed the labels (nlp.cascade), so it
    # was skipped and the n-gram probabilities stand; disjoint from ``screened``.
    settled: np.ndarray

    def ngram_only(self, row: int) -> bool:
        return bool(self.screened[row] or self.settled[row])


@dataclass(frozen=True)
class Prepared:
    """One record after validation: either text for the model or an error line."""

    id: Any
    title: str
    raw: str
    text: str
    error: str | None
    language: str
    truncated: bool = False


def prepare_record(record: Any) -> Prepared:
    """Validate and clean one input record (pure apart from the language model lookup)."""
    if not isinstance(record, dict):
        return Prepared(None, "", "", "", "record bukan objek JSON", UNDETERMINED)
    rid = record.get("id")
    title = record.get("title")
    title = title if isinstance(title, str) else ""
    raw = record.get("text")
    if not isinstance(raw, str):
        return Prepared(rid, title, "", "", ERR_NO_TEXT, UNDETERMINED)
    if looks_binary(raw) or looks_binary(title):
        return Prepared(rid, title, raw, "", ERR_BINARY, UNDETERMINED)
    raw, truncated = cut_text(raw)
    text = prepare_text(raw, title)
    if not text.strip():
        return Prepared(rid, title, raw, "", ERR_EMPTY, UNDETERMINED, truncated)
    language = detect_language(f"{title}\n{raw}" if title else raw).code
    return Prepared(rid, title, raw, text, None, language, truncated)


class Annotator:
    """Holds the model, tokenizer and gazetteer; ``annotate`` serialises model calls (a lock)."""

    def __init__(
        self,
        model: TopicKindModel,
        tokenizer: PreTrainedTokenizerBase,
        config: ClassifierConfig,
        gazetteer: Gazetteer | None,
        model_version: str,
        lexical: LexicalModel | None = None,
        max_tokens: int = BATCH_MAX_TOKENS,
        max_batch: int = BATCH_MAX_TEXTS,
        solo_tokens: int | None = SOLO_TOKENS,
        after_batch: Callable[[], Any] | None = None,
        screen: ScreenRule | None = None,
        cascade: bool = False,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.config = config
        self.gazetteer = gazetteer
        self.model_version = model_version
        self.max_tokens = max_tokens
        self.max_batch = max_batch
        self.solo_tokens = solo_tokens
        self.lexical = lexical
        self.after_batch = after_batch
        if screen is not None and (lexical is None or config.lexical_weight <= 0):
            # Without an n-gram model there is nothing cheap to screen with.
            log.warning("relevance screen needs the n-gram model; this classifier has none")
            screen = None
        self.screen = screen
        # Exact cascade (nlp.cascade): labels are the full model's, so texts it settles
        # are stored under the plain model version.
        self.cascade = cascade and lexical is not None and config.lexical_weight > 0
        self._lock = threading.Lock()

    @property
    def screened_version(self) -> str | None:
        """The version stored with texts the relevance screen labelled (None: no screen)."""
        if self.screen is None:
            return None
        return f"{self.model_version}+{self.screen.tag}"

    def model_probabilities(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Topic and kind probabilities of the transformer alone, for prepared texts."""
        config = self.config
        ids, owners = chunk_ids(
            self.tokenizer,
            texts,
            config.max_length,
            config.max_chunks,
            config.chunk_overlap,
            chunk_length=config.chunk_length,
        )
        # Progress counts texts, not windows: a text is done with its last window.
        remaining = Counter(owners)

        def window_done(rows: Sequence[int]) -> None:
            finished = 0
            for row in rows:
                remaining[owners[row]] -= 1
                finished += remaining[owners[row]] == 0
            if progress is not None and finished:
                progress(finished)

        with self._lock:
            topic_p, kind_p = predict_ids(
                self.model,
                ids,
                int(self.tokenizer.pad_token_id),
                self.max_tokens,
                self.max_batch,
                progress=window_done,
                solo_tokens=self.solo_tokens,
                after_batch=self.after_batch,
            )
        return pool_windows(topic_p, kind_p, owners, len(texts), config.kinds)

    def probabilities(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Topic and kind probabilities for prepared texts: the transformer, blended with
        the n-gram model when the shipped classifier has one (see ``scores``)."""
        scored = self.scores(texts, progress)
        return scored.topic, scored.kind

    def scores(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> Scores:
        """Probabilities for prepared texts, in order.

        With a relevance screen, texts the n-gram model is sure are off-topic keep
        its probabilities and skip the transformer; with the cascade on, so do texts
        whose labels the transformer's share of the blend could not change. The rest
        are blended as usual.
        """
        import numpy as np

        from nlp.lexical import blend
        from nlp.lexical import predict as lexical_predict

        lexical = self.lexical
        if lexical is None or self.config.lexical_weight <= 0:
            topic_p, kind_p = self.model_probabilities(texts, progress)
            none = np.zeros(len(texts), dtype=bool)
            return Scores(topic_p, kind_p, none, none.copy())
        lex_topic, lex_kind = lexical_predict(lexical, texts)
        screened = np.zeros(len(texts), dtype=bool)
        if self.screen is not None:
            from nlp.screen import screen_mask

            lainnya = self.config.kinds.index("lainnya")
            screened = screen_mask(lex_topic, lex_kind, lainnya, self.screen)
        settled = np.zeros(len(texts), dtype=bool)
        if self.cascade:
            from nlp.cascade import settled_for

            settled = settled_for(lex_topic, lex_kind, self.config) & ~screened
        skipped = screened | settled
        if progress is not None and skipped.any():
            progress(int(skipped.sum()))
        rows = np.flatnonzero(~skipped)
        topic_p = lex_topic.astype(np.float32, copy=True)
        kind_p = lex_kind.astype(np.float32, copy=True)
        if rows.size:
            model_topic, model_kind = self.model_probabilities(
                [texts[int(i)] for i in rows], progress
            )
            model_topic, model_kind = temper(
                model_topic, model_kind, self.config.topic_temperature, self.config.kind_temperature
            )
            weight = self.config.lexical_weight
            topic_p[rows] = blend(model_topic, lex_topic[rows], weight)
            kind_p[rows] = blend(model_kind, lex_kind[rows], weight)
        return Scores(topic_p, kind_p, screened, settled)

    def annotate(
        self, records: Sequence[Any], progress: Callable[[int], None] | None = None
    ) -> list[dict[str, Any]]:
        prepared = [prepare_record(r) for r in records]
        todo = [i for i, p in enumerate(prepared) if p.error is None]
        scored = self.scores([prepared[i].text for i in todo], progress)
        topic_p, kind_p = scored.topic, scored.kind
        out: list[dict[str, Any]] = []
        row_of = {i: row for row, i in enumerate(todo)}
        for i, p in enumerate(prepared):
            if p.error is not None:
                out.append({"id": p.id, "error": p.error, "language": p.language})
                if progress is not None:
                    progress(1)
                continue
            row = row_of[i]
            decision = decide(topic_p[row], kind_p[row], self.config)
            places = self._places(p)
            line: dict[str, Any] = {
                "id": p.id,
                "topics": decision.topics,
                "kind": decision.kind,
                "places": [m.code for m in places],
                "place_names": [m.name for m in places],
                "language": p.language,
                "severity": derive_severity(decision.kind, decision.topics, p.text).value,
                "scores": {"topics": decision.topic_scores, "kind": decision.kind_scores},
            }
            if scored.ngram_only(row):
                line["scores_from"] = "ngram"
            if scored.screened[row]:
                line["screened"] = True
            if p.truncated:
                line["truncated"] = True
            out.append(line)
        return out

    def _places(self, p: Prepared) -> list[Any]:
        from nlp.places import tag_places
        from nlp.text import clean_text

        if self.gazetteer is None:
            return []
        try:
            return tag_places(clean_text(p.raw), title=p.title or None, gazetteer=self.gazetteer)
        except Exception:  # a gazetteer bug must not lose the labels
            log.exception("place tagging failed for %r", p.id)
            return []


def model_version_of(delta_dir: Path) -> str:
    """Changes whenever anything that decides labels changes: the weights (the lexical
    part included) and ``classifier.json`` (thresholds, blend weight, long-text windows).

    Stored documents carry it, so ``pantau index reclassify`` can find the ones an
    older classifier labelled.
    """
    from nlp.classifier import CONFIG_FILE
    from nlp.lexical import WEIGHTS_FILE as LEXICAL_WEIGHTS

    digest = hashlib.sha256((delta_dir / WEIGHTS_FILE).read_bytes())
    for name in (LEXICAL_WEIGHTS, CONFIG_FILE):
        part = delta_dir / name
        if part.is_file():
            digest.update(name.encode())
            digest.update(part.read_bytes())
    return f"pantau-e5s-{digest.hexdigest()[:12]}"


def resolve_base_dir(settings: Settings) -> Path:
    """The base encoder folder, built on first use.

    The vocabulary-trimmed copy: same vectors for Indonesian text, less memory.
    """
    from nlp.base_model import ensure_trimmed_base_model

    return ensure_trimmed_base_model(settings)


_CACHE: dict[tuple[str, str, int, str, str, str, str], Annotator] = {}
_CACHE_LOCK = threading.Lock()


def load_annotator(settings: Settings, with_places: bool = True) -> Annotator:
    """Load once per process (keyed by model paths); heavy, so call at startup and inject."""
    import torch

    from nlp.base_model import load_base_model
    from nlp.heap import heap_trimmer
    from nlp.lexical import load_lexical
    from nlp.places import default_gazetteer
    from nlp.screen import ScreenRule

    delta_dir = Path(settings.classifier_path)
    screen = (
        ScreenRule(settings.classifier_screen_lainnya, settings.classifier_screen_topic)
        if settings.classifier_screen
        else None
    )
    if settings.torch_threads > 0:
        torch.set_num_threads(settings.torch_threads)
    base_dir = resolve_base_dir(settings)
    key = (
        str(base_dir),
        str(delta_dir.resolve()),
        int(with_places),
        str(settings.classifier_bf16),
        str(settings.classifier_heap_trim_mb),
        screen.tag if screen else "",
        str(settings.classifier_cascade),
    )
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
        encoder, tokenizer = load_base_model(base_dir, compact=True)
        model, config = build_model(encoder, delta_dir, bf16=settings.classifier_bf16)
        lexical = load_lexical(delta_dir) if config.lexical_weight > 0 else None
        annotator = Annotator(
            model,
            tokenizer,
            config,
            default_gazetteer() if with_places else None,
            model_version_of(delta_dir),
            lexical,
            after_batch=heap_trimmer(settings.classifier_heap_trim_mb),
            screen=screen,
            cascade=settings.classifier_cascade,
        )
        _CACHE[key] = annotator
        return annotator
