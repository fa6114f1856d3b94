"""Long texts read in windows and pooled (nlp.classifier.window_ids/chunk_ids/pool_windows)."""

from __future__ import annotations

import numpy as np
import pytest

from nlp.classifier import HEAD_TOKENS, chunk_ids, pool_windows, tokenize, window_ids
from nlp.dataset import KINDS, TOPICS, Example
from nlp.evaluation import joined_labels, long_probes
from tests.nlp.test_classifier import tiny_tokenizer

CLS, SEP = 900, 901


def test_a_text_that_fits_is_one_window_whatever_the_cap() -> None:
    tokens = list(range(10, 40))
    for cap in (1, 4):
        assert window_ids(tokens, [10, 11], 64, cap, 8, CLS, SEP) == [[CLS, *tokens, SEP]]


def test_windows_cover_a_long_text_within_the_length_and_repeat_the_head() -> None:
    tokens = list(range(1000, 1300))  # 300 tokens, windows of at most 64
    head = [1000, 1001, 1002]
    windows = window_ids(tokens, head, 64, 10, 8, CLS, SEP)
    assert windows[0] == [CLS, *tokens[:62], SEP]  # the usual title + leading text
    assert all(len(w) <= 64 and w[0] == CLS and w[-1] == SEP for w in windows)
    for later in windows[1:]:
        assert later[1:4] == head
    seen = set(windows[0][1:-1])
    for later in windows[1:]:
        body = later[4:-1]
        assert body[0] in seen  # each window overlaps what came before
        seen.update(body)
    assert seen == set(tokens)
    # The last window is full, not a stub of the last few tokens.
    assert len(windows[-1]) == 64 and windows[-1][-2] == tokens[-1]


def test_the_window_cap_bounds_the_work_on_huge_pages() -> None:
    tokens = list(range(5000))
    windows = window_ids(tokens, [1, 2], 64, 3, 8, CLS, SEP)
    assert len(windows) == 3
    assert max(len(w) for w in windows) <= 64


def test_a_long_first_line_is_cut_to_the_head_budget() -> None:
    tokens = list(range(400))
    windows = window_ids(tokens, list(range(200)), 128, 2, 8, CLS, SEP)
    assert windows[1][1 : 1 + HEAD_TOKENS] == list(range(HEAD_TOKENS))
    assert len(windows[1]) == 128


def test_windows_need_room_beyond_the_head_and_overlap() -> None:
    with pytest.raises(ValueError):
        window_ids(list(range(300)), list(range(40)), 100, 3, 80, CLS, SEP)


def test_chunk_ids_first_window_is_what_tokenize_gives() -> None:
    tok = tiny_tokenizer()
    words = ["lurah", "camat", "asn", "kampanye", "baliho", "spanduk", "amplop", "uang", "hoaks"]
    long_text = "rapat koordinasi\n" + " ".join(words * 30)  # 270 words: the cap is reached
    texts = ["bawaslu mengimbau netral", long_text]
    plain = tokenize(tok, texts, 64)
    windows, owners = chunk_ids(tok, texts, 64, 4, 8)
    assert windows[0] == plain[0] and windows[1] == plain[1]
    assert owners[:2] == [0, 1] and set(owners[2:]) == {1}
    assert len(windows) == 5 and owners.count(1) == 4
    head = tok("query: rapat koordinasi", add_special_tokens=False)["input_ids"]
    assert windows[2][1 : 1 + len(head)] == head
    # One window per text is exactly the old behaviour.
    assert chunk_ids(tok, texts, 64, 1, 8) == (plain, [0, 1])


def _kinds(incident: float, prevention: float, other: float) -> list[float]:
    row = {"dugaan_pelanggaran": incident, "pencegahan": prevention, "lainnya": other}
    return [row[k] for k in KINDS]


def test_pooling_keeps_single_windows_and_follows_the_guide_for_several() -> None:
    topics = np.full((4, len(TOPICS)), 0.1, dtype=np.float32)
    apk, money = TOPICS.index("apk"), TOPICS.index("politik_uang")
    topics[1, apk] = 0.8  # text 1, window 1: props
    topics[2, money] = 0.9  # text 1, window 2: money
    kinds = np.asarray(
        [
            _kinds(0.2, 0.7, 0.1),  # text 0, its only window
            _kinds(0.05, 0.9, 0.05),  # text 1 opens with an appeal...
            _kinds(0.7, 0.2, 0.1),  # ...and reports an incident further down
            _kinds(0.1, 0.1, 0.8),  # text 2, its only window
        ],
        dtype=np.float32,
    )
    pooled_topics, pooled_kinds = pool_windows(topics, kinds, [0, 1, 1, 2], 3)
    assert pooled_topics.shape == (3, len(TOPICS)) and pooled_kinds.shape == (3, len(KINDS))
    np.testing.assert_array_equal(pooled_topics[[0, 2]], topics[[0, 3]])
    np.testing.assert_array_equal(pooled_kinds[[0, 2]], kinds[[0, 3]])
    assert pooled_topics[1, apk] == pytest.approx(0.8) and pooled_topics[1, money] == 0.9
    assert KINDS[int(np.argmax(pooled_kinds[1]))] == "dugaan_pelanggaran"
    np.testing.assert_allclose(pooled_kinds.sum(axis=1), 1.0, atol=1e-6)
    assert (pooled_kinds >= 0).all()


def test_pooled_text_is_other_only_when_every_window_is() -> None:
    topics = np.zeros((2, len(TOPICS)), dtype=np.float32)
    kinds = np.asarray([_kinds(0.05, 0.1, 0.85), _kinds(0.1, 0.6, 0.3)], dtype=np.float32)
    _, pooled = pool_windows(topics, kinds, [0, 0], 1)
    assert KINDS[int(np.argmax(pooled[0]))] == "pencegahan"
    np.testing.assert_allclose(pooled[0].sum(), 1.0, atol=1e-6)


def test_pooling_with_identity_owners_returns_the_rows_unchanged() -> None:
    rng = np.random.default_rng(0)
    topics = rng.random((3, len(TOPICS))).astype(np.float32)
    kinds = rng.dirichlet(np.ones(len(KINDS)), size=3).astype(np.float32)
    out_topics, out_kinds = pool_windows(topics, kinds, [0, 1, 2], 3)
    assert out_topics is topics and out_kinds is kinds


def _example(eid: str, kind: str, topics: tuple[str, ...], scenario: str = "") -> Example:
    return Example(
        id=eid,
        scenario=scenario or f"s-{eid}",
        register="news",
        title=f"judul {eid}",
        text=f"isi {eid}",
        topics=topics,
        kind=kind,
    )


def test_joined_labels_follow_the_guide() -> None:
    appeal = _example("a", "pencegahan", ("netralitas_asn",))
    money = _example("m", "dugaan_pelanggaran", ("politik_uang",))
    sport = _example("s", "lainnya", ())
    assert joined_labels(appeal, money) == (
        ("netralitas_asn", "politik_uang"),
        "dugaan_pelanggaran",
    )
    assert joined_labels(money, sport) == (("politik_uang",), "dugaan_pelanggaran")
    assert joined_labels(sport, appeal) == (("netralitas_asn",), "pencegahan")
    assert joined_labels(sport, sport) == ((), "lainnya")


def test_long_probes_join_texts_of_different_scenarios() -> None:
    items = [
        _example(f"i{n}", "dugaan_pelanggaran", ("apk",), scenario=f"s{n % 3}") for n in range(6)
    ] + [_example(f"q{n}", "pencegahan", ("hoaks",), scenario=f"s{n % 3}") for n in range(6)]
    probes = long_probes(items, per_kind=5, seed=1)
    assert len(probes) == 15
    assert probes == long_probes(items, per_kind=5, seed=1)  # seeded
    by_group = {p.origin for p in probes}
    assert by_group == {"probe-late", "probe-early", "probe-none"}
    for p in probes:
        first, second = p.scenario.split("+")
        assert first != second
        assert p.text.count("\n\n") == 1 and p.title.startswith("judul ")
    late = [p for p in probes if p.origin == "probe-late"]
    assert all(p.kind == "dugaan_pelanggaran" and p.topics == ("apk", "hoaks") for p in late)
    assert all(p.kind == "pencegahan" for p in probes if p.origin == "probe-none")


def test_shorter_windows_reread_the_lead_full_ones_continue_after_it() -> None:
    tokens = list(range(100, 400))
    short = window_ids(tokens, [7], 64, 20, 8, CLS, SEP, chunk_length=32)
    assert short[1][1:3] == [7, tokens[0]]  # head, then the text from its start
    assert all(len(w) <= 32 for w in short[1:])
    full = window_ids(tokens, [7], 64, 20, 8, CLS, SEP)
    assert full[1][2] == tokens[62 - 8]  # overlaps the lead by 8 tokens
