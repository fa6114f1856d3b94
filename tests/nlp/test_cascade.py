"""The cascade: the pure interval rule, its exactness against ``decide`` for arbitrary
transformer outputs, the annotator that applies it (tiny model, tiny n-gram model) and
its share and exactness with the shipped model."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from nlp.cascade import blend_bounds, settled_mask
from nlp.classifier import ClassifierConfig, decide
from nlp.dataset import KINDS, TOPICS
from nlp.lexical import blend
from nlp.service import Annotator
from tests.nlp.test_classifier import _require_real
from tests.nlp.test_screen import RECORDS as SCREEN_RECORDS
from tests.nlp.test_screen import tiny_annotator

THRESHOLDS = dict.fromkeys(TOPICS, 0.5)


def settled(topic: np.ndarray, kind: np.ndarray, weight: float = 0.6, **kw: Any) -> list[bool]:
    mask = settled_mask(
        topic,
        kind,
        weight=weight,
        topics=TOPICS,
        kinds=KINDS,
        thresholds=kw.pop("thresholds", THRESHOLDS),
        lainnya_topic_threshold=kw.pop("lainnya_topic_threshold", 0.9),
        **kw,
    )
    return [bool(x) for x in mask]


def test_blend_bounds_span_every_transformer_output() -> None:
    low, high = blend_bounds(np.array([0.0, 0.5, 1.0]), 0.6)
    assert low == pytest.approx([0.0, 0.3, 0.6])
    assert high == pytest.approx([0.4, 0.7, 1.0])
    # A reach below 1 narrows the interval around the n-gram probability.
    low, high = blend_bounds(np.array([0.5]), 0.6, reach=0.25)
    assert (low[0], high[0]) == pytest.approx((0.4, 0.6))
    with pytest.raises(ValueError, match="weight"):
        blend_bounds(np.zeros(1), 1.5)
    with pytest.raises(ValueError, match="reach"):
        blend_bounds(np.zeros(1), 0.6, reach=0.0)


def test_settled_needs_a_wide_kind_margin_and_every_topic_far_from_its_threshold() -> None:
    topic = np.full((6, len(TOPICS)), 0.05)
    kind = np.tile([0.9, 0.05, 0.05], (6, 1))
    topic[0, 3] = 0.95  # sure incident with one sure topic: settled
    topic[1, 3] = 0.8  # 0.6 * 0.8 = 0.48 < 0.5: the transformer could still add it
    topic[2, 3] = 0.2  # 0.6 * 0.2 + 0.4 = 0.52: the transformer could still add it
    kind[3] = [0.6, 0.05, 0.35]  # 0.6 * 0.6 < 0.6 * 0.35 + 0.4: kind could flip
    topic[4, 3] = 0.16  # 0.6 * 0.16 + 0.4 = 0.496 < 0.5: cannot reach the threshold
    kind[5] = [0.02, 0.03, 0.95]
    topic[5, 3] = 0.8  # a lainnya text needs 0.9 for a topic: 0.88 at most, never
    assert settled(topic, kind) == [True, False, False, False, True, True]
    # A higher threshold for that topic moves row 1 into "surely not".
    assert settled(topic, kind, thresholds={**THRESHOLDS, TOPICS[3]: 0.9})[1]
    # Without the n-gram model in the blend nothing is settled; with it alone, all.
    assert settled(topic, kind, weight=0.0) == [False] * 6
    assert settled(topic, kind, weight=1.0) == [True] * 6
    assert settled(topic[:0], kind[:0]) == []


def test_settled_refuses_mismatched_arrays() -> None:
    with pytest.raises(ValueError, match="arrays"):
        settled(np.zeros((2, len(TOPICS))), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="columns"):
        settled(np.zeros((2, 4)), np.zeros((2, 3)))


def test_settled_rows_get_the_same_labels_whatever_the_transformer_says() -> None:
    """The rule's promise, checked against ``decide`` itself: for every settled row, the
    n-gram probabilities and blends with random and extreme transformer outputs all give
    the same kind and topics."""
    rng = np.random.default_rng(7)
    rows = 4000
    config = ClassifierConfig(split_layer=0, num_layers=1, hidden_size=8, base_fingerprint="x")
    config.topic_thresholds = {
        t: float(v) for t, v in zip(TOPICS, rng.uniform(0.3, 0.7, len(TOPICS)), strict=True)
    }
    config.lexical_weight = 0.6
    # N-gram outputs shaped like real ones: most topics low, one or two high, some
    # near the thresholds; kinds from sure to split.
    topic = rng.uniform(0.0, 0.25, (rows, len(TOPICS)))
    topic[np.arange(rows), rng.integers(0, len(TOPICS), rows)] = rng.uniform(0.6, 1.0, rows)
    topic[np.arange(rows), rng.integers(0, len(TOPICS), rows)] = rng.uniform(0.0, 1.0, rows)
    kind = rng.dirichlet([0.15, 0.15, 0.15], rows)
    mask = settled_mask(
        topic,
        kind,
        weight=0.6,
        topics=TOPICS,
        kinds=KINDS,
        thresholds=config.topic_thresholds,
        lainnya_topic_threshold=config.lainnya_topic_threshold,
    )
    assert 0.05 < mask.mean() < 0.95
    transformers = [
        (rng.uniform(0, 1, (rows, len(TOPICS))), rng.dirichlet([1, 1, 1], rows)),
        (np.zeros((rows, len(TOPICS))), np.eye(3)[rng.integers(0, 3, rows)]),
        (np.ones((rows, len(TOPICS))), np.eye(3)[rng.integers(0, 3, rows)]),
    ]
    flips = 0
    for row in np.flatnonzero(mask):
        alone = decide(topic[row], kind[row], config)
        for t_topic, t_kind in transformers:
            mixed = decide(
                blend(t_topic[row : row + 1], topic[row : row + 1], 0.6)[0],
                blend(t_kind[row : row + 1], kind[row : row + 1], 0.6)[0],
                config,
            )
            flips += (mixed.kind, mixed.topics) != (alone.kind, alone.topics)
    assert flips == 0
    # And the rule is not vacuous: some unsettled row does change with the transformer.
    changed = 0
    for row in np.flatnonzero(~mask)[:300]:
        alone = decide(topic[row], kind[row], config)
        t_topic, t_kind = transformers[0]
        mixed = decide(
            blend(t_topic[row : row + 1], topic[row : row + 1], 0.6)[0],
            blend(t_kind[row : row + 1], kind[row : row + 1], 0.6)[0],
            config,
        )
        changed += (mixed.kind, mixed.topics) != (alone.kind, alone.topics)
    assert changed > 0


RECORDS: list[dict[str, Any]] = [
    *SCREEN_RECORDS,
    {"id": "f", "text": "amplop dibagi tim sukses paslon di kecamatan, warga lapor bawaslu"},
]


@pytest.mark.parametrize("weight", [0.6, 0.8])
def test_annotator_cascade_changes_no_label(weight: float) -> None:
    full = tiny_annotator(weight)
    fast = copy.copy(full)  # same network and n-gram model, cascade on
    fast.cascade = True
    seen: list[int] = []
    out = fast.annotate(RECORDS, progress=seen.append)
    before = full.annotate(RECORDS)
    assert sum(seen) == len(RECORDS)
    assert [o["id"] for o in out] == [r["id"] for r in RECORDS]
    skipped = [o["id"] for o in out if o.get("scores_from") == "ngram"]
    if weight == 0.8:
        assert skipped  # the tiny network's share is small enough to settle some texts
    for o, b in zip(out, before, strict=True):
        assert (o.get("kind"), o.get("topics"), o.get("error")) == (
            b.get("kind"),
            b.get("topics"),
            b.get("error"),
        )
        if o["id"] not in skipped:
            assert o == b  # blended exactly as without the cascade
        assert "screened" not in o
    assert fast.annotate([]) == []
    nothing = fast.scores([])
    assert nothing.topic.shape[0] == 0
    assert nothing.settled.shape == (0,)


@pytest.mark.slow
def test_shipped_cascade_settles_a_share_and_changes_no_label() -> None:
    """With the shipped model: every held-out text gets the same labels with the cascade
    as without it, and a good share of them skips the transformer."""
    from nlp.dataset import load_corpus, prepare_text, split_examples
    from nlp.service import load_annotator
    from pantau.settings import Settings

    settings = Settings(classifier_screen=False, classifier_cascade=False)
    try:
        full = load_annotator(settings, with_places=False)
    except Exception as exc:
        _require_real(exc)
    fast = Annotator(
        full.model,
        full.tokenizer,
        full.config,
        None,
        full.model_version,
        full.lexical,
        cascade=True,
    )
    # Every sixth test text (148): news and posts, incidents and look-alikes.
    test = split_examples(load_corpus().examples)["test"][::6]
    texts = [prepare_text(e.text, e.title) for e in test]
    quick = fast.scores(texts)
    slow = full.scores(texts)
    settled = np.flatnonzero(quick.settled)
    assert len(settled) >= 0.2 * len(texts)  # measured: 0.33 of the whole test split
    # Settled texts: the full model's labels, whatever batch it saw them in.
    for row in settled:
        a = decide(quick.topic[row], quick.kind[row], full.config)
        b = decide(slow.topic[row], slow.kind[row], full.config)
        assert (a.kind, a.topics) == (b.kind, b.topics)
    # The rest: exactly the full model's numbers for the same batches. (Against ``slow``
    # they may differ slightly: padded batches of other neighbours round differently,
    # by up to 0.015 here, enough to move a text sitting on a threshold.)
    rest = np.flatnonzero(~quick.settled)
    alone = full.scores([texts[int(i)] for i in rest])
    assert np.array_equal(quick.topic[rest], alone.topic)
    assert np.array_equal(quick.kind[rest], alone.kind)
