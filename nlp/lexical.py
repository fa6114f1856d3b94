"""A word and character n-gram linear model blended with the transformer.

Why a second model: the fine-tuned transformer sees meaning, but trained on
a few thousand texts it still misses cues a linear model over n-grams picks
up reliably (a kecamatan office next to "poster paslon",
"preman" next to "nyoblos"). Their errors differ, so averaging the two
probability sets beats either alone on dev; the blend weight and the topic
thresholds are tuned on dev after both are trained (see ``nlp.training``).

Features: TF-IDF (sublinear tf, l2-normalised per block) over word 1-2-grams
and over character 3-5-grams inside word boundaries, vocabularies fitted on
the train split. Heads: one balanced logistic regression per topic and a
multinomial one for kind. Inference needs only the vocabularies, the idf
vectors and the coefficients (``lexical.safetensors`` + ``lexical.json``).
Training counts with scikit-learn; the service counts with ``row_features``,
which reproduces it exactly without importing scikit-learn.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS_FILE = "lexical.safetensors"
VOCAB_FILE = "lexical.json"
FORMAT_VERSION = 1

# Word tokens include digits and single letters ("no 2", "c6"); char n-grams stay
# inside words so slang spellings share pieces with standard ones.
WORD_OPTIONS: dict[str, Any] = {
    "analyzer": "word",
    "ngram_range": (1, 2),
    "token_pattern": r"(?u)\b\w+\b",
    "lowercase": True,
}
CHAR_OPTIONS: dict[str, Any] = {"analyzer": "char_wb", "ngram_range": (3, 5), "lowercase": True}
WORD_MAX_FEATURES = 40_000
CHAR_MAX_FEATURES = 100_000
WORD_MIN_DF = 2
CHAR_MIN_DF = 3


class LexicalError(RuntimeError):
    """The lexical model files are missing or do not fit together."""


@dataclass
class LexicalModel:
    word_vocab: list[str]
    char_vocab: list[str]
    word_idf: np.ndarray  # (words,)
    char_idf: np.ndarray  # (chars,)
    topic_coef: np.ndarray  # (words + chars, topics)
    topic_bias: np.ndarray  # (topics,)
    kind_coef: np.ndarray  # (words + chars, kinds)
    kind_bias: np.ndarray  # (kinds,)

    @property
    def n_features(self) -> int:
        return len(self.word_vocab) + len(self.char_vocab)

    @functools.cached_property
    def term_index(self) -> tuple[dict[str, int], dict[str, int]]:
        """Term -> column, for the word and the char vocabulary (built once)."""
        return (
            {term: i for i, term in enumerate(self.word_vocab)},
            {term: i for i, term in enumerate(self.char_vocab)},
        )


def tfidf_rows(counts: Any, idf: np.ndarray) -> Any:
    """Sublinear tf times idf, each row scaled to unit length (pure; CSR in, CSR out)."""
    from sklearn.preprocessing import normalize

    out = counts.astype(np.float64).tocsr(copy=True)
    out.data = (1.0 + np.log(out.data)) * idf[out.indices]
    return normalize(out, norm="l2", copy=False)


def _counter(options: dict[str, Any], vocab: Sequence[str]) -> Any:
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(vocabulary={term: i for i, term in enumerate(vocab)}, **options)


def features(model: LexicalModel, texts: Sequence[str]) -> Any:
    """The TF-IDF matrix of ``texts`` (rows in order), word block then char block."""
    from scipy.sparse import hstack

    word = tfidf_rows(_counter(WORD_OPTIONS, model.word_vocab).transform(texts), model.word_idf)
    char = tfidf_rows(_counter(CHAR_OPTIONS, model.char_vocab).transform(texts), model.char_idf)
    return hstack([word, char], format="csr")


# The service counts n-grams itself (``row_features``) rather than through
# scikit-learn: importing sklearn and scipy costs about 76 MiB of resident memory
# in every classifying process, and CountVectorizer rebuilt the 140k-term index
# on each call. The counting below is CountVectorizer's for WORD_OPTIONS and
# CHAR_OPTIONS, step for step, and the arithmetic keeps scipy's order of
# summation, so the probabilities are the same bits (tests/nlp/test_lexical.py
# compares every corpus text). Training still fits with scikit-learn.
_WORD_TOKEN = re.compile(WORD_OPTIONS["token_pattern"])
_RUNS_OF_SPACE = re.compile(r"\s\s+")


def word_terms(text: str) -> list[str]:
    """Word 1-2-grams of ``text`` as WORD_OPTIONS's CountVectorizer analyses it (pure)."""
    tokens = _WORD_TOKEN.findall(text.lower())
    return tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


def char_terms(text: str) -> list[str]:
    """Character 3-5-grams inside space-padded words, as CHAR_OPTIONS's
    ``char_wb`` analyser produces them (pure); a word shorter than n counts once."""
    low, high = CHAR_OPTIONS["ngram_range"]
    out: list[str] = []
    for word in _RUNS_OF_SPACE.sub(" ", text.lower()).split():
        padded = f" {word} "
        size = len(padded)
        if size > high:  # the common case, in one comprehension for speed
            out += [padded[i : i + n] for n in range(low, high + 1) for i in range(size - n + 1)]
            continue
        for n in range(low, high + 1):
            if size <= n:
                out.append(padded)
                break
            out.extend(padded[i : i + n] for i in range(size - n + 1))
    return out


def _tfidf_row(
    terms: list[str], index: dict[str, int], idf: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted feature indices and their l2-normalised sublinear tf-idf values (pure)."""
    find = index.get
    counts = {j: c for t, c in Counter(terms).items() if (j := find(t)) is not None}
    cols = np.fromiter(sorted(counts), dtype=np.int64, count=len(counts))
    tf = np.fromiter(map(counts.__getitem__, cols.tolist()), dtype=np.float64, count=len(cols))
    values = (1.0 + np.log(tf)) * idf[cols]
    if values.size:
        # cumsum adds one value after another, as sklearn's normalize does for a CSR
        # row (np.sum would add pairwise and round differently).
        square_sum = float(np.cumsum(values * values)[-1])
        if square_sum != 0.0:
            values /= math.sqrt(square_sum)
    return cols, values


def row_features(model: LexicalModel, text: str) -> tuple[np.ndarray, np.ndarray]:
    """One text's nonzero features (indices into the word block, then the char block,
    each sorted) and values: the row ``features`` would build (pure)."""
    word_index, char_index = model.term_index
    word_cols, word_values = _tfidf_row(word_terms(text), word_index, model.word_idf)
    char_cols, char_values = _tfidf_row(char_terms(text), char_index, model.char_idf)
    cols = np.concatenate([word_cols, char_cols + len(model.word_vocab)])
    return cols, np.concatenate([word_values, char_values])


def _linear(cols: np.ndarray, values: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """``row @ coef`` for one sparse row, summed in index order like scipy's CSR
    product (numpy adds the rows of an axis-0 reduction one after another)."""
    if cols.size == 0:
        return np.zeros(coef.shape[1], dtype=np.float64)
    return np.asarray((values[:, None] * coef[cols]).sum(axis=0))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float32)


def _softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max(axis=1, keepdims=True))
    return np.asarray(z / z.sum(axis=1, keepdims=True), dtype=np.float32)


def predict(model: LexicalModel, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Topic probabilities (independent sigmoids) and kind probabilities (softmax)."""
    n_topics, n_kinds = model.topic_bias.shape[0], model.kind_bias.shape[0]
    if not texts:
        return np.zeros((0, n_topics), np.float32), np.zeros((0, n_kinds), np.float32)
    # asarray: no copy, the coefficients are kept as float64 like the features.
    topic_coef = np.asarray(model.topic_coef, dtype=np.float64)
    kind_coef = np.asarray(model.kind_coef, dtype=np.float64)
    topic = np.empty((len(texts), n_topics), np.float64)
    kind = np.empty((len(texts), n_kinds), np.float64)
    for i, text in enumerate(texts):
        cols, values = row_features(model, text)
        topic[i] = _linear(cols, values, topic_coef)
        kind[i] = _linear(cols, values, kind_coef)
    return _sigmoid(topic + model.topic_bias), _softmax(kind + model.kind_bias)


def _fit_vocabulary(
    texts: Sequence[str], options: dict[str, Any], min_df: int, max_features: int
) -> tuple[list[str], np.ndarray]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(min_df=min_df, max_features=max_features, sublinear_tf=True, **options)
    vec.fit(texts)
    vocab = [""] * len(vec.vocabulary_)
    for term, index in vec.vocabulary_.items():
        vocab[index] = term
    return vocab, np.asarray(vec.idf_, dtype=np.float64)


def train_lexical(
    texts: Sequence[str],
    topics: np.ndarray,
    kinds: np.ndarray,
    n_kinds: int,
    c: float = 8.0,
) -> LexicalModel:
    """Fit vocabularies and both heads on the train split (deterministic: lbfgs, no shuffling)."""
    from sklearn.linear_model import LogisticRegression

    if len(texts) == 0:
        raise LexicalError("no training texts")
    word_vocab, word_idf = _fit_vocabulary(texts, WORD_OPTIONS, WORD_MIN_DF, WORD_MAX_FEATURES)
    char_vocab, char_idf = _fit_vocabulary(texts, CHAR_OPTIONS, CHAR_MIN_DF, CHAR_MAX_FEATURES)
    n_topics = topics.shape[1]
    model = LexicalModel(
        word_vocab,
        char_vocab,
        word_idf,
        char_idf,
        np.zeros((len(word_vocab) + len(char_vocab), n_topics), np.float64),
        np.zeros(n_topics, np.float64),
        np.zeros((len(word_vocab) + len(char_vocab), n_kinds), np.float64),
        np.zeros(n_kinds, np.float64),
    )
    x = features(model, texts)
    for j in range(n_topics):
        y = topics[:, j] >= 0.5
        if y.all() or not y.any():
            # Nothing to learn: a constant logit that matches the train rate.
            model.topic_bias[j] = 8.0 if y.all() else -8.0
            continue
        clf = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
        clf.fit(x, y.astype(np.int64))
        model.topic_coef[:, j] = clf.coef_[0]
        model.topic_bias[j] = clf.intercept_[0]
    present = sorted(set(int(k) for k in kinds))
    if len(present) < 2:
        raise LexicalError("kind needs at least two labels in the train split")
    clf = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    clf.fit(x, kinds)
    model.kind_bias[:] = -30.0  # kinds absent from train are never predicted
    for row, label in enumerate(clf.classes_):
        if len(present) == 2:
            # sklearn keeps one coefficient row for a binary problem: logit of classes_[1].
            sign = 1.0 if row == 1 else 0.0
            model.kind_coef[:, int(label)] = sign * clf.coef_[0]
            model.kind_bias[int(label)] = sign * clf.intercept_[0]
        else:
            model.kind_coef[:, int(label)] = clf.coef_[row]
            model.kind_bias[int(label)] = clf.intercept_[row]
    return model


def save_lexical(model: LexicalModel, out_dir: Path) -> None:
    """Coefficients in fp16 (the lexical part of the shipped model is a few MB)."""
    import torch
    from safetensors.torch import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    tensors = {
        "word_idf": torch.from_numpy(model.word_idf.astype(np.float32)),
        "char_idf": torch.from_numpy(model.char_idf.astype(np.float32)),
        "topic_coef": torch.from_numpy(model.topic_coef.astype(np.float16)),
        "topic_bias": torch.from_numpy(model.topic_bias.astype(np.float32)),
        "kind_coef": torch.from_numpy(model.kind_coef.astype(np.float16)),
        "kind_bias": torch.from_numpy(model.kind_bias.astype(np.float32)),
    }
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(out_dir / WEIGHTS_FILE))
    vocab = {
        "format_version": FORMAT_VERSION,
        "word": model.word_vocab,
        "char": model.char_vocab,
    }
    (out_dir / VOCAB_FILE).write_text(
        json.dumps(vocab, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )


def load_lexical(delta_dir: Path) -> LexicalModel:
    from safetensors.numpy import load_file

    weights, vocab_path = delta_dir / WEIGHTS_FILE, delta_dir / VOCAB_FILE
    if not weights.is_file() or not vocab_path.is_file():
        raise LexicalError(
            f"no lexical model in {delta_dir} (expected {WEIGHTS_FILE} and {VOCAB_FILE}); "
            "run `pantau model train`"
        )
    try:
        vocab = json.loads(vocab_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise LexicalError(f"{vocab_path}: invalid JSON ({exc})") from exc
    if vocab.get("format_version") != FORMAT_VERSION:
        found = vocab.get("format_version")
        raise LexicalError(f"{vocab_path}: format {found} is not {FORMAT_VERSION}; retrain")
    arrays = load_file(str(weights))
    model = LexicalModel(
        list(vocab["word"]),
        list(vocab["char"]),
        arrays["word_idf"].astype(np.float64),
        arrays["char_idf"].astype(np.float64),
        arrays["topic_coef"].astype(np.float64),
        arrays["topic_bias"].astype(np.float64),
        arrays["kind_coef"].astype(np.float64),
        arrays["kind_bias"].astype(np.float64),
    )
    if (
        model.word_idf.shape[0] != len(model.word_vocab)
        or model.char_idf.shape[0] != len(model.char_vocab)
        or model.topic_coef.shape[0] != model.n_features
        or model.kind_coef.shape[0] != model.n_features
    ):
        raise LexicalError(f"{delta_dir}: lexical vocabulary and weights do not fit together")
    return model


def blend(transformer: np.ndarray, lexical: np.ndarray | None, lexical_weight: float) -> np.ndarray:
    """Weighted mean of two probability arrays (pure); no lexical model means the transformer's."""
    if lexical is None or lexical_weight <= 0.0:
        return transformer
    return np.asarray(
        (1.0 - lexical_weight) * transformer + lexical_weight * lexical, dtype=np.float32
    )
