"""Cascade: skip the transformer for texts whose labels it cannot change.

The service's probabilities are an average, ``w * ngram + (1 - w) * transformer``
with ``w`` the classifier's ``lexical_weight`` (0.6 shipped). Whatever the
transformer reads, its probabilities lie in [0, 1], so each blended
probability lies in ``[w * n, w * n + (1 - w)]`` once the n-gram model has
given ``n``. When every decision ``decide`` makes (the argmax kind, then each
topic against its threshold, which is higher for ``lainnya`` texts) falls on
the same side for every point of those intervals, the transformer cannot
change a label and running it is wasted time. Such a text is *settled*: it
keeps the n-gram model's probabilities as its scores (they lie inside the
intervals, so ``decide`` gives them the same labels) and its line says
``"scores_from": "ngram"``.

With ``reach`` 1 (the default) this is exact: the labels are those of the
full model, bit for bit, and only the scores of settled texts differ. A
``reach`` below 1 assumes the transformer's probability lies within
``reach`` of the n-gram model's, which settles more texts and can change
labels; it exists to measure that trade (``bench/cascade_reach.py``), not
for the service.

Why it is worth doing: the n-gram model costs about 2 ms a news article, the
transformer some 60-85 ms on two cores, and on texts the n-gram model is
sure about (clear incidents with one topic, plain off-topic news) the
transformer's vote is outweighed anyway.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from nlp.classifier import ClassifierConfig

# Float32 blending rounds; a decision this close to its boundary is left to the
# full model rather than trusted to the interval arithmetic.
EPSILON = 1e-4


def blend_bounds(
    lexical: np.ndarray, weight: float, reach: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest blended probability the transformer could produce (pure).

    ``reach`` 1 allows any transformer probability in [0, 1]; below 1 it is
    assumed to lie within ``reach`` of the n-gram model's.
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"lexical weight must be in [0, 1], got {weight}")
    if not 0.0 < reach <= 1.0:
        raise ValueError(f"reach must be in (0, 1], got {reach}")
    n = np.asarray(lexical, dtype=np.float64)
    free = 1.0 - weight
    low = np.maximum(weight * n, n - free * reach)
    high = np.minimum(weight * n + free, n + free * reach)
    return low, high


def settled_mask(
    lex_topic: np.ndarray,
    lex_kind: np.ndarray,
    *,
    weight: float,
    topics: Sequence[str],
    kinds: Sequence[str],
    thresholds: Mapping[str, float],
    lainnya_topic_threshold: float,
    reach: float = 1.0,
) -> np.ndarray:
    """True for rows whose labels no transformer output could change (pure).

    Mirrors ``nlp.classifier.decide``: the kind is the argmax, and a topic needs
    its threshold, or ``lainnya_topic_threshold`` if that is higher and the kind
    is ``lainnya``.
    """
    topic = np.asarray(lex_topic, dtype=np.float64)
    kind = np.asarray(lex_kind, dtype=np.float64)
    if topic.ndim != 2 or kind.ndim != 2 or topic.shape[0] != kind.shape[0]:
        raise ValueError(f"need (n, topics) and (n, kinds) arrays, got {topic.shape} {kind.shape}")
    if topic.shape[1] != len(topics) or kind.shape[1] != len(kinds):
        raise ValueError(
            f"{topic.shape[1]} topic and {kind.shape[1]} kind columns for "
            f"{len(topics)} topics and {len(kinds)} kinds"
        )
    rows = topic.shape[0]
    if rows == 0 or weight <= 0.0:
        return np.zeros(rows, dtype=bool)

    kind_low, kind_high = blend_bounds(kind, weight, reach)
    best = np.argmax(kind, axis=1)
    picked = np.arange(rows)
    others_high = kind_high.copy()
    others_high[picked, best] = -np.inf
    kind_sure = kind_low[picked, best] > others_high.max(axis=1) + EPSILON

    needed = np.tile(np.array([thresholds[t] for t in topics], dtype=np.float64), (rows, 1))
    if "lainnya" in kinds:
        is_other = best == list(kinds).index("lainnya")
        needed[is_other] = np.maximum(needed[is_other], lainnya_topic_threshold)
    topic_low, topic_high = blend_bounds(topic, weight, reach)
    topic_sure = (topic_low >= needed + EPSILON) | (topic_high < needed - EPSILON)
    return np.asarray(kind_sure & topic_sure.all(axis=1), dtype=bool)


def settled_for(
    lex_topic: np.ndarray, lex_kind: np.ndarray, config: ClassifierConfig, reach: float = 1.0
) -> np.ndarray:
    """``settled_mask`` with the blend weight, labels and thresholds of ``config`` (pure)."""
    return settled_mask(
        lex_topic,
        lex_kind,
        weight=config.lexical_weight,
        topics=config.topics,
        kinds=config.kinds,
        thresholds=config.topic_thresholds,
        lainnya_topic_threshold=config.lainnya_topic_threshold,
        reach=reach,
    )
