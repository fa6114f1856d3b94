"""Relevance screen: let the n-gram model alone label texts it is sure are off-topic.

Why: the transformer costs about 85 ms per news article on two cores; the
n-gram model, which the service runs anyway for the blend, about 2 ms. A
crawl of general local news carries many texts with no election angle at
all (sport, prices, accidents), and the screen saves the transformer's
time on those the n-gram model is *sure* about.

The rule is one-sided: a text is screened out only when the n-gram model
gives kind ``lainnya`` at least ``lainnya_min`` **and** no topic reaches
``topic_max``. Such a text gets the n-gram probabilities as its scores (so
kind ``lainnya``, no topics) and a ``screened`` flag on its output line; the
pipeline stores it under its own model version, so ``pantau index
reclassify`` with the screen off finds exactly those documents.

The defaults (``PANTAU_CLASSIFIER_SCREEN_LAINNYA`` 0.8,
``PANTAU_CLASSIFIER_SCREEN_TOPIC`` 0.15) were chosen on the dev split alone
by ``choose_rule``: of the rules on ``LAINNYA_GRID`` x ``TOPIC_GRID``, the
one that screens out the most dev texts while screening out at most one of
dev's relevant (not ``lainnya``) texts. ``docs/classifier.md`` has its
recall on test and on the fresh-writer set. The screen is off unless
``PANTAU_CLASSIFIER_SCREEN`` turns it on: it trades a small, measured loss
of recall for speed, a trade for each deployment to make.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LAINNYA_GRID = (0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
TOPIC_GRID = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)


@dataclass(frozen=True)
class ScreenRule:
    lainnya_min: float
    topic_max: float

    def __post_init__(self) -> None:
        # Below 0.5 "sure it is lainnya" would not even be the n-gram model's argmax.
        if not 0.5 <= self.lainnya_min <= 1.0:
            raise ValueError(f"lainnya_min must be in [0.5, 1], got {self.lainnya_min}")
        # A topic at 0.5 or more would be a label; screening it out would drop it.
        if not 0.0 < self.topic_max <= 0.5:
            raise ValueError(f"topic_max must be in (0, 0.5], got {self.topic_max}")

    @property
    def tag(self) -> str:
        """Part of the model version of a screening service (labels differ with the rule)."""
        return f"screen{self.lainnya_min:g}-{self.topic_max:g}"


def screen_mask(
    topic_probs: np.ndarray, kind_probs: np.ndarray, lainnya_index: int, rule: ScreenRule
) -> np.ndarray:
    """True for rows the n-gram model alone may label (pure)."""
    topic = np.asarray(topic_probs)
    kind = np.asarray(kind_probs)
    if topic.ndim != 2 or kind.ndim != 2 or topic.shape[0] != kind.shape[0]:
        raise ValueError(f"need (n, topics) and (n, kinds) arrays, got {topic.shape} {kind.shape}")
    if not 0 <= lainnya_index < kind.shape[1]:
        raise ValueError(f"lainnya_index {lainnya_index} outside {kind.shape[1]} kinds")
    if topic.shape[0] == 0:
        return np.zeros(0, dtype=bool)
    sure_other = kind[:, lainnya_index] >= rule.lainnya_min
    no_topic = (
        topic.max(axis=1) < rule.topic_max
        if topic.shape[1]
        else np.ones(topic.shape[0], dtype=bool)
    )
    return np.asarray(sure_other & no_topic, dtype=bool)


@dataclass(frozen=True)
class ScreenChoice:
    rule: ScreenRule
    screened: int  # texts the rule screens out
    relevant_screened: int  # of them, texts that are not ``lainnya``
    texts: int
    relevant: int


def choose_rule(
    topic_probs: np.ndarray,
    kind_probs: np.ndarray,
    relevant: np.ndarray,
    lainnya_index: int,
    max_missed: int = 1,
) -> ScreenChoice:
    """The grid rule that screens out the most texts while screening out at most
    ``max_missed`` relevant ones (pure). On a tie the first one found, walking from
    the highest ``lainnya_min`` and the lowest ``topic_max``. Raises when no grid
    rule is that careful."""
    relevant = np.asarray(relevant, dtype=bool)
    best: ScreenChoice | None = None
    for lainnya_min in sorted(LAINNYA_GRID, reverse=True):
        for topic_max in TOPIC_GRID:
            rule = ScreenRule(lainnya_min, topic_max)
            mask = screen_mask(topic_probs, kind_probs, lainnya_index, rule)
            missed = int((mask & relevant).sum())
            if missed > max_missed:
                continue
            if best is None or int(mask.sum()) > best.screened:
                best = ScreenChoice(rule, int(mask.sum()), missed, len(mask), int(relevant.sum()))
    if best is None:
        raise ValueError(f"no screen rule on the grid misses at most {max_missed} relevant texts")
    return best
