"""The n-gram model blended with the transformer: features, training, files, blend choice."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nlp.dataset import KINDS, TOPICS
from nlp.evaluation import tune_blend
from nlp.lexical import (
    CHAR_OPTIONS,
    VOCAB_FILE,
    WORD_OPTIONS,
    LexicalError,
    LexicalModel,
    blend,
    features,
    load_lexical,
    predict,
    save_lexical,
    tfidf_rows,
    train_lexical,
)

TOPIC_CUES = {
    "politik_uang": ["bagi amplop isi uang", "serangan fajar sembako", "dikasih duit 50rb"],
    "apk": ["baliho paslon di pohon", "spanduk calon di tiang listrik", "stiker paslon di sekolah"],
    "hoaks": ["video editan beredar", "kabar bohong surat suara", "pesan berantai palsu"],
}
KIND_CUES = {
    "dugaan_pelanggaran": ["diduga dilaporkan ke bawaslu", "viral warga lapor", "kedapatan"],
    "pencegahan": ["mengimbau warga jangan", "sosialisasi larangan", "rapat koordinasi"],
    "lainnya": ["jadwal debat kandidat", "hasil pertandingan bola", "harga cabai naik"],
}


def toy(n: int, seed: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    texts, topics, kinds = [], np.zeros((n, len(TOPICS)), np.float32), np.zeros(n, np.int64)
    for i in range(n):
        kind = KINDS[i % 3]
        parts = [str(rng.choice(KIND_CUES[kind]))]
        if kind != "lainnya":
            topic = list(TOPIC_CUES)[int(rng.integers(len(TOPIC_CUES)))]
            parts.append(str(rng.choice(TOPIC_CUES[topic])))
            topics[i, TOPICS.index(topic)] = 1.0
        rng.shuffle(parts)
        texts.append(" ".join(parts) + f" di kecamatan {int(rng.integers(1000))}")
        kinds[i] = i % 3
    return texts, topics, kinds


def test_features_equal_sklearn_tfidf() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts, topics, kinds = toy(60, 1)
    model = train_lexical(texts, topics, kinds, len(KINDS))
    other = ["Warga Diduga dikasih duit", "baliho paslon di pohon asam", "tidak ada yang cocok"]
    x = features(model, other).toarray()
    for options, vocab, idf, block in (
        (WORD_OPTIONS, model.word_vocab, model.word_idf, x[:, : len(model.word_vocab)]),
        (CHAR_OPTIONS, model.char_vocab, model.char_idf, x[:, len(model.word_vocab) :]),
    ):
        ref = TfidfVectorizer(
            vocabulary={t: i for i, t in enumerate(vocab)}, sublinear_tf=True, **options
        ).fit(texts)
        np.testing.assert_allclose(ref.idf_, idf, rtol=1e-9)
        np.testing.assert_allclose(ref.transform(other).toarray(), block, atol=1e-9)
    # No known n-gram at all: an all-zero row, not a division by zero.
    assert np.isfinite(tfidf_rows(features(model, ["zzzz qqqq"]), np.ones(x.shape[1])).data).all()


def test_training_learns_and_the_files_round_trip(tmp_path: Path) -> None:
    texts, topics, kinds = toy(240, 2)
    model = train_lexical(texts, topics, kinds, len(KINDS))
    test_texts, test_topics, test_kinds = toy(90, 3)
    topic_p, kind_p = predict(model, test_texts)
    assert topic_p.shape == (90, len(TOPICS)) and kind_p.shape == (90, len(KINDS))
    np.testing.assert_allclose(kind_p.sum(axis=1), 1.0, atol=1e-5)
    assert (kind_p.argmax(axis=1) == test_kinds).mean() > 0.9
    cued = [TOPICS.index(t) for t in TOPIC_CUES]
    assert ((topic_p[:, cued] >= 0.5) == (test_topics[:, cued] >= 0.5)).mean() > 0.9
    # Topics never seen in train stay off.
    unseen = [j for j in range(len(TOPICS)) if j not in cued]
    assert (topic_p[:, unseen] < 0.01).all()

    save_lexical(model, tmp_path)
    loaded = load_lexical(tmp_path)
    again_t, again_k = predict(loaded, test_texts)
    np.testing.assert_allclose(again_t, topic_p, atol=2e-3)  # coefficients ship as fp16
    np.testing.assert_allclose(again_k, kind_p, atol=2e-3)
    assert predict(loaded, [])[0].shape == (0, len(TOPICS))


def test_load_refuses_missing_or_mismatched_files(tmp_path: Path) -> None:
    with pytest.raises(LexicalError, match="pantau model train"):
        load_lexical(tmp_path)
    texts, topics, kinds = toy(60, 4)
    save_lexical(train_lexical(texts, topics, kinds, len(KINDS)), tmp_path)
    vocab = json.loads((tmp_path / VOCAB_FILE).read_text())
    vocab["word"] = vocab["word"][:-1]
    (tmp_path / VOCAB_FILE).write_text(json.dumps(vocab))
    with pytest.raises(LexicalError, match="do not fit"):
        load_lexical(tmp_path)
    (tmp_path / VOCAB_FILE).write_text("{not json")
    with pytest.raises(LexicalError, match="invalid JSON"):
        load_lexical(tmp_path)


def test_training_refuses_a_single_kind() -> None:
    texts, topics, _ = toy(30, 5)
    with pytest.raises(LexicalError, match="two labels"):
        train_lexical(texts, topics, np.zeros(30, np.int64), len(KINDS))


def test_blend_is_a_weighted_mean_and_zero_weight_keeps_the_transformer() -> None:
    a = np.array([[0.2, 0.8]], np.float32)
    b = np.array([[0.6, 0.4]], np.float32)
    np.testing.assert_allclose(blend(a, b, 0.25), [[0.3, 0.7]], atol=1e-6)
    assert blend(a, b, 0.0) is a
    assert blend(a, None, 0.5) is a


def test_tune_blend_follows_the_better_model_on_dev() -> None:
    rng = np.random.default_rng(0)
    n = 200
    true_topics = (rng.random((n, len(TOPICS))) < 0.2).astype(np.float32)
    true_kinds = rng.integers(0, len(KINDS), n)
    perfect_t = np.clip(true_topics * 0.9 + 0.05, 0, 1)
    perfect_k = np.eye(len(KINDS))[true_kinds] * 0.9 + 0.1 / len(KINDS)
    noise_t = rng.random((n, len(TOPICS)))
    noise_k = rng.dirichlet(np.ones(len(KINDS)), n)
    # The lexical side is the informative one: it gets real weight.
    choice = tune_blend(true_topics, true_kinds, noise_t, noise_k, perfect_t, perfect_k)
    assert choice.weight >= 0.5 and choice.topic_f1 > 0.95
    assert choice.lexical_topic_f1 > 0.95 > choice.transformer_topic_f1
    # The transformer is the informative one: no lexical weight.
    choice = tune_blend(true_topics, true_kinds, perfect_t, perfect_k, noise_t, noise_k)
    assert choice.weight == 0.0


# -- the service's own n-gram counting (no scikit-learn at inference) ------------------------

AWKWARD = [
    "",
    "   \t\n ",
    "a",
    "ab",
    "abc d  ef\t\tghi",
    "Ünïcödé ÇAPS İstanbul ﬁnal x² ß",
    "🙏🔥 #PilkadaDamai @bawaslu_RI gak bener2 nih!!! 50rb/org",
    "no 2 c6 - - -- KPU-Kota; (Bawaslu)  tps 07",
    "kata\u00a0dengan\u2003spasi\u200blebar",
]


@pytest.mark.parametrize("text", AWKWARD)
def test_terms_are_countvectorizers(text: str) -> None:
    from collections import Counter

    from sklearn.feature_extraction.text import CountVectorizer

    from nlp.lexical import char_terms, word_terms

    word = CountVectorizer(**WORD_OPTIONS).build_analyzer()
    char = CountVectorizer(**CHAR_OPTIONS).build_analyzer()
    assert Counter(word_terms(text)) == Counter(word(text))
    assert Counter(char_terms(text)) == Counter(char(text))


def sklearn_predict(model: LexicalModel, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """What predict computed through scikit-learn and scipy before it counted itself."""
    from nlp.lexical import _sigmoid, _softmax

    x = features(model, texts)
    topic = np.asarray(x @ model.topic_coef + model.topic_bias)
    kind = np.asarray(x @ model.kind_coef + model.kind_bias)
    return _sigmoid(topic), _softmax(kind)


def test_predict_gives_the_sklearn_paths_bits() -> None:
    texts, topics, kinds = toy(60, 2)
    model = train_lexical(texts, topics, kinds, len(KINDS))
    probe = [*toy(20, 9)[0], *AWKWARD]
    got, want = predict(model, probe), sklearn_predict(model, probe)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


@pytest.mark.slow
def test_shipped_model_gives_the_sklearn_paths_bits_on_every_corpus_text() -> None:
    from nlp.dataset import load_corpus, prepare_text
    from pantau.settings import get_settings

    model = load_lexical(Path(get_settings().classifier_path))
    texts = [prepare_text(e.text, e.title) for e in load_corpus().examples]
    got, want = predict(model, texts), sklearn_predict(model, texts)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
