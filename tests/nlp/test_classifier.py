"""The classifier: label mapping, thresholds, metrics, delta round trip, training (tiny model),
and the shipped model on real text (integration, needs the base model)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from nlp.classifier import (
    CONFIG_FILE,
    ClassifierConfig,
    ClassifierError,
    TopicKindModel,
    base_fingerprint,
    build_model,
    decide,
    length_batches,
    pad_batch,
    predict_ids,
    read_config,
    save_delta,
    tokenize,
)
from nlp.dataset import KINDS, TOPICS, Example
from nlp.evaluation import evaluate_arrays, format_report, score_report, tune_thresholds

# -- a tiny model built in the test ------------------------------------------------------------

WORDS = (
    "query",
    ":",
    "lurah",
    "camat",
    "asn",
    "kampanye",
    "baliho",
    "spanduk",
    "amplop",
    "uang",
    "sembako",
    "hoaks",
    "bohong",
    "video",
    "editan",
    "dpt",
    "pemilih",
    "coklit",
    "kpps",
    "suara",
    "bentrok",
    "ancam",
    "polisi",
    "tentara",
    "sara",
    "mengimbau",
    "sosialisasi",
    "netral",
    "diduga",
    "viral",
    "dilaporkan",
    "bawaslu",
    "sepak",
    "bola",
    "banjir",
    "harga",
    "cabai",
    "rapat",
    "koordinasi",
    "jadwal",
    "debat",
)


def tiny_tokenizer() -> Any:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {"[PAD]": 0, "[UNK]": 1, "<s>": 2, "</s>": 3}
    for w in WORDS:
        vocab.setdefault(w, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 2), ("</s>", 3)]
    )
    return PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=tok,
        pad_token="[PAD]",
        unk_token="[UNK]",
        bos_token="<s>",
        eos_token="</s>",
    )


def tiny_encoder(seed: int = 0, vocab: int = 64) -> Any:
    from transformers import BertConfig, BertModel

    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=vocab,
        hidden_size=32,
        num_hidden_layers=4,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    model = BertModel(config, add_pooling_layer=False)
    model.eval()  # type: ignore[no-untyped-call]
    return model


def tiny_config(encoder: Any, split_layer: int = 2, **kw: Any) -> ClassifierConfig:
    return ClassifierConfig(
        split_layer=split_layer,
        num_layers=4,
        hidden_size=32,
        base_fingerprint=base_fingerprint(encoder, split_layer),
        max_length=64,
        **kw,
    )


# -- label mapping -----------------------------------------------------------------------------


def probs(**values: float) -> list[float]:
    return [values.get(t, 0.01) for t in TOPICS]


def test_decide_argmax_kind_and_per_topic_thresholds() -> None:
    config = ClassifierConfig(split_layer=8, num_layers=12, hidden_size=384, base_fingerprint="x")
    config.topic_thresholds["apk"] = 0.3
    config.topic_thresholds["hoaks"] = 0.7
    d = decide(probs(apk=0.35, hoaks=0.65, politik_uang=0.9), [0.6, 0.3, 0.1], config)
    assert d.kind == "dugaan_pelanggaran"
    assert d.topics == ["politik_uang", "apk"]  # most confident first; hoaks below its 0.7
    assert set(d.topic_scores) == set(TOPICS)
    assert d.kind_scores == {"dugaan_pelanggaran": 0.6, "pencegahan": 0.3, "lainnya": 0.1}


def test_lainnya_keeps_only_very_confident_topics() -> None:
    config = ClassifierConfig(split_layer=8, num_layers=12, hidden_size=384, base_fingerprint="x")
    lainnya = [0.1, 0.2, 0.7]
    assert decide(probs(apk=0.8), lainnya, config).topics == []
    assert decide(probs(apk=0.95), lainnya, config).topics == ["apk"]
    assert decide(probs(apk=0.8), [0.2, 0.7, 0.1], config).topics == ["apk"]


def test_config_refuses_other_label_order_and_unknown_fields() -> None:
    good = ClassifierConfig(split_layer=8, num_layers=12, hidden_size=384, base_fingerprint="x")
    raw = {**good.__dict__, "topics": list(reversed(TOPICS))}
    with pytest.raises(ClassifierError, match="label order"):
        ClassifierConfig.from_dict(raw)
    with pytest.raises(ClassifierError, match="unknown"):
        ClassifierConfig.from_dict({**good.__dict__, "surprise": 1})
    with pytest.raises(ClassifierError, match="format"):
        ClassifierConfig.from_dict({**good.__dict__, "format_version": 99})


# -- thresholds and metrics (pure) ------------------------------------------------------------


def test_tune_thresholds_finds_the_separating_cut() -> None:
    rng = np.random.default_rng(0)
    truth = np.zeros((200, len(TOPICS)), dtype=np.float32)
    truth[:60, 0] = 1
    scores = rng.uniform(0.0, 0.25, size=truth.shape).astype(np.float32)
    scores[:60, 0] = rng.uniform(0.3, 0.4, size=60)  # positives all sit in 0.3-0.4
    th = tune_thresholds(truth, scores)
    assert 0.25 < th[TOPICS[0]] <= 0.3
    # Topics without positives in dev keep the neutral 0.5.
    assert all(th[t] == 0.5 for t in TOPICS[1:])


def test_score_report_micro_macro_and_confusion() -> None:
    true_t = np.zeros((4, len(TOPICS)))
    pred_t = np.zeros((4, len(TOPICS)))
    true_t[0, 0] = true_t[1, 0] = true_t[2, 1] = 1
    pred_t[0, 0] = pred_t[2, 1] = pred_t[3, 1] = 1  # tp=2, fn=1 (topic 0), fp=1 (topic 1)
    report = score_report(true_t, pred_t, np.array([0, 0, 1, 2]), np.array([0, 1, 1, 2]))
    assert report.topic_micro_precision == pytest.approx(2 / 3)
    assert report.topic_micro_recall == pytest.approx(2 / 3)
    assert report.topics[0].recall == pytest.approx(0.5)
    assert report.topics[1].precision == pytest.approx(0.5)
    assert report.confusion == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]
    assert report.kind_accuracy == pytest.approx(0.75)
    # kind F1s: dugaan 2/3, pencegahan 2/3, lainnya 1 → macro 7/9
    assert report.kind_macro_f1 == pytest.approx(7 / 9)
    table = format_report(report, "toy")
    assert "| dugaan_pelanggaran | 1 | 1 | 0 |" in table
    assert "micro" in table
    # Text 3 is lainnya and stays lainnya, but got a topic: a false alarm.
    assert (report.lainnya_texts, report.lainnya_flagged) == (1, 1)
    assert "flagged (a topic or another kind): 1 of 1" in table
    report.extra["relevant texts screened out"] = 1.0
    report.extra["screen recall on relevant texts"] = 0.998
    table = format_report(report, "toy")
    assert "relevant texts screened out: 1\n" in table  # a count, not "1.000"
    assert "screen recall on relevant texts: 0.998" in table
    quiet = score_report(true_t[3:], np.zeros((1, len(TOPICS))), np.array([2]), np.array([2]))
    assert (quiet.lainnya_texts, quiet.lainnya_flagged) == (1, 0)
    other_kind = score_report(true_t[3:], np.zeros((1, len(TOPICS))), np.array([2]), np.array([1]))
    assert other_kind.lainnya_flagged == 1


def test_evaluate_arrays_applies_the_lainnya_rule() -> None:
    truth = np.zeros((1, len(TOPICS)))
    topic_p = np.full((1, len(TOPICS)), 0.01)
    topic_p[0, 0] = 0.8
    kind_p = np.array([[0.1, 0.1, 0.8]])
    th = dict.fromkeys(TOPICS, 0.5)
    assert evaluate_arrays(truth, topic_p, np.array([2]), kind_p, th).topics[0].predicted == 1
    gated = evaluate_arrays(truth, topic_p, np.array([2]), kind_p, th, lainnya_threshold=0.9)
    assert gated.topics[0].predicted == 0


# -- batching ------------------------------------------------------------------------------------


def test_length_batches_cover_every_index_once_within_budget() -> None:
    lengths = [5, 300, 12, 7, 280, 40, 9, 500, 6]
    batches = length_batches(lengths, max_tokens=600, max_batch=3)
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(len(lengths)))
    for b in batches:
        assert len(b) <= 3
        assert len(b) == 1 or max(lengths[i] for i in b) * len(b) <= 600


def test_long_texts_get_a_batch_of_their_own() -> None:
    lengths = [5, 300, 12, 7, 280, 40, 9, 500, 6]
    batches = length_batches(lengths, max_tokens=2048, max_batch=32, solo_tokens=256)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for b in batches:
        assert len(b) == 1 or max(lengths[i] for i in b) <= 256
    assert [1] in batches and [4] in batches and [7] in batches
    short = [b for b in batches if len(b) > 1]
    assert short == [[0, 8, 3, 6, 2, 5]]  # the short ones together, by length


def test_batched_predictions_equal_one_by_one() -> None:
    tok = tiny_tokenizer()
    encoder = tiny_encoder(vocab=len(tok))
    model = TopicKindModel(encoder, 2)
    model.eval()
    texts = ["lurah kampanye", "amplop uang sembako diduga viral dilaporkan bawaslu", "banjir"]
    ids = tokenize(tok, texts, 64)
    batched = predict_ids(model, ids, tok.pad_token_id)
    single = [predict_ids(model, [i], tok.pad_token_id) for i in ids]
    for row in range(3):
        np.testing.assert_allclose(batched[0][row], single[row][0][0], atol=1e-5)
        np.testing.assert_allclose(batched[1][row], single[row][1][0], atol=1e-5)
        assert batched[1][row].sum() == pytest.approx(1.0, abs=1e-5)


def test_lower_then_upper_equals_the_plain_encoder() -> None:
    tok = tiny_tokenizer()
    encoder = tiny_encoder(vocab=len(tok))
    model = TopicKindModel(encoder, 2)
    model.eval()
    ids, mask = pad_batch(tokenize(tok, ["lurah kampanye baliho", "hoaks"], 64), tok.pad_token_id)
    with torch.no_grad():
        hidden = model.lower(ids, mask)
        for layer in encoder.encoder.layer[2:]:
            hidden = layer(hidden, model._mask(hidden, mask))
        reference = encoder(input_ids=ids, attention_mask=mask).last_hidden_state
    real = mask.bool()
    torch.testing.assert_close(hidden[real], reference[real], atol=1e-5, rtol=1e-4)


# -- delta round trip -------------------------------------------------------------------------


def test_delta_round_trip_and_refusals(tmp_path: Path) -> None:
    tok = tiny_tokenizer()
    encoder = tiny_encoder(vocab=len(tok))
    model = TopicKindModel(encoder, 2)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name in set(model.trainable_names()):
                p.add_(0.05)  # pretend training moved them
    model.eval()
    ids = tokenize(tok, ["lurah kampanye diduga", "rapat koordinasi"], 64)
    before = predict_ids(model, ids, tok.pad_token_id)
    save_delta(model, tiny_config(encoder), tmp_path)
    names = model.trainable_names()
    assert all(
        n.startswith(("heads.", "encoder.encoder.layer.2.", "encoder.encoder.layer.3."))
        for n in names
    )

    fresh = tiny_encoder(vocab=len(tok))  # same seed: same frozen part, untouched top
    loaded, config = build_model(fresh, tmp_path)
    after = predict_ids(loaded, ids, tok.pad_token_id)
    np.testing.assert_allclose(before[0], after[0], atol=2e-3)
    np.testing.assert_allclose(before[1], after[1], atol=2e-3)
    assert config.split_layer == 2

    with pytest.raises(ClassifierError, match="fingerprint"):
        build_model(tiny_encoder(seed=1, vocab=len(tok)), tmp_path)
    (tmp_path / CONFIG_FILE).write_text("{", encoding="utf-8")
    with pytest.raises(ClassifierError, match="invalid JSON"):
        read_config(tmp_path)
    with pytest.raises(ClassifierError, match="no trained classifier"):
        read_config(tmp_path / "missing")


INT8 = "nlp.classifier"  # Int8Linear
FP32 = "torch.nn.modules.linear"


def _linear_modules(module: Any) -> set[str]:
    return {type(m).__module__ for m in module.modules() if type(m).__name__.endswith("Linear")}


def test_int8_lower_layers_stay_close_and_load_from_the_config(tmp_path: Path) -> None:
    tok = tiny_tokenizer()
    model = TopicKindModel(tiny_encoder(vocab=len(tok)), 2)
    model.eval()
    ids = tokenize(tok, ["lurah kampanye diduga viral", "rapat koordinasi sosialisasi"], 64)
    fp32 = predict_ids(model, ids, tok.pad_token_id)
    save_delta(model, tiny_config(model.encoder, int8_lower=True), tmp_path)
    loaded, config = build_model(tiny_encoder(vocab=len(tok)), tmp_path)
    assert config.int8_lower

    # Only below the split: the trained layers stay plain fp32 Linear.
    assert _linear_modules(loaded.encoder.encoder.layer[0]) == {INT8}
    assert _linear_modules(loaded.encoder.encoder.layer[3]) == {FP32}
    int8 = predict_ids(loaded, ids, tok.pad_token_id)
    np.testing.assert_allclose(fp32[0], int8[0], atol=0.05)
    np.testing.assert_allclose(fp32[1], int8[1], atol=0.05)
    # The delta itself holds no quantised tensors: the same files load as fp32 too.
    assert set(loaded.delta_state()) == set(model.delta_state())


def test_int8_upper_quantises_attention_and_the_ffn_block_as_configured(tmp_path: Path) -> None:
    from nlp.classifier import BF16Linear

    tok = tiny_tokenizer()
    model = TopicKindModel(tiny_encoder(vocab=len(tok)), 0)
    model.eval()
    ids = tokenize(tok, ["lurah kampanye diduga viral", "rapat koordinasi sosialisasi"], 64)
    fp32 = predict_ids(model, ids, tok.pad_token_id)
    # The feed-forward block out of int8: bf16 where asked, else fp32.
    save_delta(model, tiny_config(model.encoder, split_layer=0, int8_upper=True), tmp_path)
    for bf16 in (False, True):
        loaded, config = build_model(tiny_encoder(vocab=len(tok)), tmp_path, bf16=bf16)
        assert config.int8_upper and not config.int8_ffn
        for layer in loaded.encoder.encoder.layer:
            assert _linear_modules(layer.attention) == {INT8}
            for block in (layer.intermediate, layer.output):
                assert isinstance(block.dense, BF16Linear) == bf16
                assert _linear_modules(block) == ({"nlp.classifier"} if bf16 else {FP32})
        assert _linear_modules(loaded.heads) == {FP32}
        int8 = predict_ids(loaded, ids, tok.pad_token_id)
        np.testing.assert_allclose(fp32[0], int8[0], atol=0.05)
    # The shipped layout: the feed-forward block in int8 too, whatever bf16 says.
    save_delta(
        model, tiny_config(model.encoder, split_layer=0, int8_upper=True, int8_ffn=True), tmp_path
    )
    loaded, config = build_model(tiny_encoder(vocab=len(tok)), tmp_path, bf16=True)
    assert config.int8_ffn
    for layer in loaded.encoder.encoder.layer:
        for block in (layer.attention, layer.intermediate, layer.output):
            assert {type(m).__name__ for m in block.modules() if "Linear" in type(m).__name__} == {
                "Int8Linear"
            }
    assert _linear_modules(loaded.heads) == {FP32}
    int8 = predict_ids(loaded, ids, tok.pad_token_id)
    np.testing.assert_allclose(fp32[0], int8[0], atol=0.05)
    np.testing.assert_allclose(fp32[1], int8[1], atol=0.05)
    # The benchmark's baseline: the same files, nothing quantised.
    plain, _ = build_model(tiny_encoder(vocab=len(tok)), tmp_path, quantize=False, bf16=True)
    assert _linear_modules(plain.encoder) == {FP32}


def test_a_config_from_the_per_batch_int8_kernels_still_loads() -> None:
    from dataclasses import asdict

    raw = asdict(tiny_config(tiny_encoder(), int8_upper=True))
    raw.pop("int8_ffn")
    raw["int8_ffn_input"] = False  # written by models calibrated before Int8Linear
    config = ClassifierConfig.from_dict(raw)
    assert config.int8_upper and not config.int8_ffn
    with pytest.raises(ClassifierError, match="unknown classifier config"):
        ClassifierConfig.from_dict(raw | {"int8_everything": True})


def test_int8_linear_stays_close_to_fp32_with_outlier_tokens() -> None:
    from nlp.classifier import Int8Linear

    torch.manual_seed(0)
    linear = torch.nn.Linear(96, 48)
    x = torch.randn(3, 7, 96)
    x[0, 2] *= 40  # one token far larger than the rest, as after some LayerNorms
    with torch.inference_mode():
        exact, approx = linear(x), Int8Linear(linear)(x)
    assert approx.shape == exact.shape and approx.dtype == torch.float32
    # Per-token scales: the small tokens keep their own resolution despite the outlier.
    small = torch.ones(3, 7, dtype=torch.bool)
    small[0, 2] = False
    error = (approx - exact).abs().amax(dim=-1)
    assert float(error[small].max()) < 0.05
    assert float(error[0, 2]) < 0.05 * 40
    # Zero rows (padding) stay finite and give the bias back.
    with torch.inference_mode():
        zero = Int8Linear(linear)(torch.zeros(2, 96))
    torch.testing.assert_close(zero, linear.bias.detach().expand(2, -1))


def test_without_int8_matmul_the_layers_stay_fp32_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from nlp import classifier

    assert classifier.int8_matmul_error() is None  # this machine's torch has it
    tok = tiny_tokenizer()
    model = TopicKindModel(tiny_encoder(vocab=len(tok)), 0)
    save_delta(
        model, tiny_config(model.encoder, split_layer=0, int8_upper=True, int8_ffn=True), tmp_path
    )

    def refuse(*_: Any) -> torch.Tensor:
        raise RuntimeError("_int_mm not compiled for this CPU")

    monkeypatch.setattr(torch, "_int_mm", refuse)
    classifier.int8_matmul_error.cache_clear()
    try:
        # A CPU without native int8 does not need _int_mm: the float kernel runs.
        monkeypatch.setattr(classifier, "native_int8", lambda: False)
        emulated, _ = build_model(tiny_encoder(vocab=len(tok)), tmp_path, bf16=False)
        assert _linear_modules(emulated.encoder) == {INT8}
        ids = tokenize(tok, ["lurah kampanye diduga viral"], 64)
        topics, kinds = predict_ids(emulated, ids, tok.pad_token_id)
        assert np.isfinite(topics).all() and "int8 layers stay fp32" not in caplog.text
        # One with VNNI whose torch refuses _int_mm keeps fp32 layers, with a warning.
        monkeypatch.setattr(classifier, "native_int8", lambda: True)
        with caplog.at_level("WARNING", logger="nlp.classifier"):
            loaded, _ = build_model(tiny_encoder(vocab=len(tok)), tmp_path, bf16=False)
        assert _linear_modules(loaded.encoder) == {FP32}
        assert "int8 layers stay fp32" in caplog.text and "not compiled" in caplog.text
        topics, kinds = predict_ids(loaded, ids, tok.pad_token_id)
        assert topics.shape == (1, len(TOPICS)) and np.isfinite(kinds).all()
    finally:
        classifier.int8_matmul_error.cache_clear()


def test_int8_linear_gives_a_row_the_same_bits_whatever_it_is_batched_with() -> None:
    from nlp.classifier import Int8Linear

    torch.manual_seed(1)
    layer = Int8Linear(torch.nn.Linear(64, 32))
    row = torch.randn(1, 64)
    neighbours = torch.randn(9, 64) * 25  # per-batch scales would coarsen ``row``
    with torch.inference_mode():
        alone = layer(row)
        batched = layer(torch.cat([neighbours[:4], row, neighbours[4:]]))[4:5]
    assert torch.equal(alone, batched)


def test_int8_linear_float_kernel_gives_the_native_kernels_bits() -> None:
    """Without VNNI the integer product runs in fp32; the integers stay exact, so the
    output is the same bits as torch._int_mm's (checked on the service's shapes, with
    an outlier token)."""
    from nlp.classifier import Int8Linear, native_int8

    assert isinstance(native_int8(), bool)
    torch.manual_seed(3)
    for fan_in, fan_out in ((384, 384), (384, 1536), (1536, 384)):
        linear = torch.nn.Linear(fan_in, fan_out)
        native, emulated = Int8Linear(linear, native=True), Int8Linear(linear, native=False)
        assert native.weight_t.dtype == torch.int8
        assert torch.equal(emulated.weight_t, native.weight_t.to(torch.float32))
        x = torch.randn(2, 40, fan_in) * 3
        x[1, 7, 11] = 90.0
        with torch.inference_mode():
            assert torch.equal(native(x), emulated(x))


def test_bf16_linear_matches_fp32_closely() -> None:
    from nlp.classifier import BF16Linear

    torch.manual_seed(0)
    linear = torch.nn.Linear(64, 16)
    x = torch.randn(5, 64) * 10  # large activations: bf16 keeps fp32's range
    with torch.inference_mode():
        exact, approx = linear(x), BF16Linear(linear)(x)
    assert approx.dtype == torch.float32
    torch.testing.assert_close(approx, exact, atol=0.1, rtol=0.02)


def test_native_bf16_is_false_without_the_cpu_probes(monkeypatch: pytest.MonkeyPatch) -> None:
    from nlp.classifier import native_bf16

    assert isinstance(native_bf16(), bool)
    monkeypatch.delattr(torch.cpu, "_is_avx512_bf16_supported", raising=False)
    assert native_bf16() is False


def test_save_delta_takes_the_fp32_state_of_a_quantised_model(tmp_path: Path) -> None:
    tok = tiny_tokenizer()
    model = TopicKindModel(tiny_encoder(vocab=len(tok)), 2)
    state = model.delta_state()
    model.quantize_upper()
    # Quantised Linear layers expose no float weights any more ...
    assert set(model.delta_state()) < set(state)
    # ... so the caller hands over the state taken before quantising.
    save_delta(model, tiny_config(model.encoder, int8_upper=True), tmp_path, state)
    loaded, _ = build_model(tiny_encoder(vocab=len(tok)), tmp_path, quantize=False)
    for name, tensor in state.items():
        torch.testing.assert_close(
            loaded.delta_state()[name], tensor.to(torch.float16).to(torch.float32)
        )


def test_calibrate_picks_the_blend_and_thresholds_on_dev() -> None:
    from nlp.training import calibrate

    rng = np.random.default_rng(3)
    n = 200
    truth = (rng.random((n, len(TOPICS))) < 0.2).astype(np.float32)
    kinds = rng.integers(0, len(KINDS), n)
    noise = rng.random((n, len(TOPICS))).astype(np.float32)
    kind_noise = rng.dirichlet(np.ones(len(KINDS)), n).astype(np.float32)
    alone = calibrate(truth, kinds, noise, kind_noise)
    assert alone.lexical_weight == 0.0 and alone.blend == {}
    assert set(alone.thresholds) == set(TOPICS)
    # An n-gram model that knows the answers earns weight; a useless one would not.
    sharp = np.clip(truth * 0.8 + 0.1, 0, 1)
    sharp_kind = np.eye(len(KINDS), dtype=np.float32)[kinds] * 0.8 + 0.2 / len(KINDS)
    mixed = calibrate(truth, kinds, noise, kind_noise, (sharp, sharp_kind))
    assert mixed.lexical_weight > 0.0
    assert mixed.blend["topic_f1"] > mixed.blend["transformer_topic_f1"]
    assert "n-gram weight" in mixed.summary()
    assert mixed.threshold_choice["strategy"] in {"uniform", "per_topic"}
    assert "cross-validated" in mixed.summary()
    assert mixed.temperatures == (1.0, 1.0) and "temperatures" not in mixed.summary()
    # A loud transformer that is wrong a fifth of the time: temper cools it before the blend.
    wrong = rng.random((n, len(TOPICS))) < 0.2
    loud = np.where(wrong, 1 - truth, truth) * 0.998 + 0.001
    loud_kind = np.eye(len(KINDS), dtype=np.float32)[kinds] * 0.99 + 0.01 / len(KINDS)
    tempered = calibrate(truth, kinds, loud, loud_kind, (sharp, sharp_kind), temper=True)
    assert tempered.temperatures[0] > 1.5
    assert "temperatures" in tempered.summary()
    assert calibrate(truth, kinds, loud, loud_kind, temper=True).temperatures == (1.0, 1.0)


def test_group_halves_keep_scenarios_together() -> None:
    from nlp.evaluation import group_halves

    groups = [f"s{i // 3}" for i in range(60)]  # 20 scenarios of 3 texts
    halves = group_halves(groups, rounds=5, seed=1)
    assert len(halves) == 5
    for half in halves:
        assert half.sum() == 30
        for g in set(groups):
            members = {bool(half[i]) for i, x in enumerate(groups) if x == g}
            assert len(members) == 1
    assert any(not np.array_equal(halves[0], h) for h in halves[1:])


def test_choose_thresholds_keeps_per_topic_thresholds_only_where_they_generalise() -> None:
    from nlp.evaluation import choose_thresholds

    rng = np.random.default_rng(5)
    n = 200
    truth = (rng.random((n, len(TOPICS))) < 0.25).astype(np.float32)
    kinds = np.zeros((n, len(KINDS)), dtype=np.float32)
    kinds[:, 0] = 1.0  # never lainnya: only the topic thresholds decide
    groups = [f"s{i // 4}" for i in range(n)]
    # Scores split at 0.5, except 8 % scattered at random (label noise): thresholds
    # tuned on one half chase the scattered texts and lose on the other half.
    split = np.where(
        truth > 0, rng.uniform(0.5, 1.0, truth.shape), rng.uniform(0, 0.5, truth.shape)
    )
    calibrated = np.where(rng.random(truth.shape) < 0.08, rng.uniform(0, 1, truth.shape), split)
    choice = choose_thresholds(truth, calibrated, kinds, groups)
    assert choice.strategy == "uniform"
    assert set(choice.thresholds.values()) == {0.5}
    assert choice.cv_uniform_f1 >= choice.cv_per_topic_f1
    # Every topic's scores sit low (positives around 0.3): 0.5 misses them all.
    low = np.clip(truth * 0.25 + 0.05 + rng.normal(0, 0.03, truth.shape), 0, 1)
    choice = choose_thresholds(truth, low, kinds, groups)
    assert choice.strategy == "per_topic"
    assert all(t < 0.3 for t in choice.thresholds.values())
    assert choice.cv_per_topic_f1 > choice.cv_uniform_f1
    assert choice.as_dict()["strategy"] == "per_topic"


def test_resolve_device(monkeypatch: pytest.MonkeyPatch) -> None:
    from nlp.training import resolve_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu"
    assert resolve_device("cpu") == "cpu"
    with pytest.raises(ValueError, match="no GPU"):
        resolve_device("cuda")


def test_fingerprint_ignores_word_embeddings_only() -> None:
    a = tiny_encoder(vocab=60)
    b = tiny_encoder(vocab=60)
    with torch.no_grad():
        b.embeddings.word_embeddings.weight.mul_(2)
    assert base_fingerprint(a, 2) == base_fingerprint(b, 2)
    with torch.no_grad():
        b.encoder.layer[1].output.dense.weight.add_(1e-3)
    assert base_fingerprint(a, 2) != base_fingerprint(b, 2)
    # Layers above the split are free to change.
    c = tiny_encoder(vocab=60)
    with torch.no_grad():
        c.encoder.layer[3].output.dense.weight.add_(1.0)
    assert base_fingerprint(a, 2) == base_fingerprint(c, 2)


# -- training on the tiny model -------------------------------------------------------------------

CUES = {
    "netralitas_asn": "lurah camat asn",
    "apk": "baliho spanduk",
    "politik_uang": "amplop uang sembako",
    "hoaks": "hoaks bohong video editan",
    "data_pemilih": "dpt pemilih coklit",
}
KIND_CUES = {
    "dugaan_pelanggaran": "diduga viral dilaporkan bawaslu",
    "pencegahan": "mengimbau sosialisasi rapat koordinasi",
    "lainnya": "sepak bola banjir harga cabai",
}


def toy_corpus(n: int = 240) -> list[Example]:
    rng = np.random.default_rng(7)
    topics = list(CUES)
    out = []
    for i in range(n):
        kind = KINDS[i % 3]
        chosen: tuple[str, ...] = ()
        if kind != "lainnya":
            chosen = tuple(sorted(set(rng.choice(topics, size=1 + i % 2)), key=TOPICS.index))
        words = " ".join([KIND_CUES[kind], *(CUES[t] for t in chosen)]).split()
        rng.shuffle(words)
        out.append(Example(f"t{i}", f"sc{i}", "post", "", " ".join(words), chosen, kind))
    return out


def test_training_learns_and_is_reproducible(tmp_path: Path) -> None:
    from nlp.training import TrainConfig, train_classifier

    tok = tiny_tokenizer()
    corpus = toy_corpus()
    config = TrainConfig(
        split_layer=2, epochs=8, max_length=64, lr_layers=1e-3, lr_heads=3e-2, max_batch=16
    )

    def run() -> Any:
        return train_classifier(
            tiny_encoder(vocab=len(tok)),
            tok,
            corpus,
            config,
            tmp_path / "base",
            report=lambda m: None,
        )

    first = run()
    history = first.history
    assert len(history) == 8
    assert history[-1]["loss"] < history[0]["loss"]
    assert max(h["dev_kind_macro_f1"] for h in history) > 0.9
    assert max(h["dev_topic_micro_f1"] for h in history) > 0.7
    assert set(first.config.topic_thresholds) == set(TOPICS)
    assert first.config.training["corpus_sha256"]
    # The n-gram model is trained alongside and its weight chosen on dev.
    assert first.lexical is not None
    assert 0.0 <= first.config.lexical_weight <= 0.8
    assert first.config.training["blend"]["lexical_topic_f1"] > 0.7
    # The shipped weights are fp32-trained; the returned model runs int8 like the service.
    assert first.config.int8_upper and first.state is not None
    expected = TopicKindModel(tiny_encoder(vocab=len(tok)), 2).trainable_names()
    assert set(first.state) == set(expected)
    second = run()
    assert second.config.lexical_weight == first.config.lexical_weight
    assert second.state is not None
    for name, tensor in first.state.items():
        torch.testing.assert_close(tensor, second.state[name], atol=1e-3, rtol=1e-3)


# -- the shipped model on real text (integration) --------------------------------------------

WORKED_EXAMPLE_TITLE = "Pemkot Jakarta Pusat Gelar Rakor Bersama Forkopimda Jelang Pilkada 2024"
WORKED_EXAMPLE = """JAKARTA – Pemerintah Kota Administrasi Jakarta Pusat mengumpulkan jajaran Komisi Pemilihan Umum (KPU), Badan Pengawas Pemilu (Bawaslu), Polres Metro Jakarta Pusat, Kodim 0501, Pengadilan Negeri dan Kejaksaan Negeri dalam rapat koordinasi persiapan Pilkada 2024 di ruang pertemuan Blok A kantor wali kota, Kamis pagi.

Wali Kota Jakarta Pusat dalam sambutannya menegaskan bahwa seluruh aparatur sipil negara di lingkungan pemerintah kota wajib bersikap netral. Ia meminta para camat dan lurah memberi contoh kepada stafnya dan tidak menunjukkan dukungan kepada pasangan calon mana pun, baik di kantor maupun di media sosial.

BACA JUGA: Persija Tundukkan Tamunya Dua Gol Tanpa Balas di Stadion Utama

Dalam rapat itu pemkot dan Bawaslu Jakarta Pusat membahas rencana deklarasi netralitas ASN yang akan digelar bersama di halaman kantor wali kota. Kedua pihak juga sepakat menggelar sosialisasi ke sekolah-sekolah bagi pelajar yang genap berusia 17 tahun menjelang hari pemungutan suara, agar pemilih pemula memastikan namanya sudah terdaftar dalam daftar pemilih tetap.

Ketua Bawaslu Jakarta Pusat menyampaikan bahwa pihaknya sedang merekrut pengawas tempat pemungutan suara untuk setiap TPS dan berharap kelurahan membantu menyebarkan informasi pendaftaran. Ia juga mengingatkan aturan pemasangan alat peraga kampanye yang dilarang dipasang di fasilitas pemerintah, sekolah, dan tempat ibadah.

BACA JUGA: Sepeda Motor Tabrak Pembatas Jalan di Kawasan Senen, Pengendara Luka Ringan

Rapat ditutup dengan kesepakatan untuk menggelar pertemuan lanjutan secara rutin setiap bulan hingga tahapan pilkada selesai."""  # noqa: E501, RUF001


def _require_real(exc: Exception) -> None:
    message = f"real classifier unavailable (base model cannot be built or delta missing): {exc}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def annotator() -> Iterator[Any]:
    from nlp.service import load_annotator
    from pantau.settings import get_settings

    try:
        yield load_annotator(get_settings())
    except Exception as exc:  # building needs the two wheels from PyPI once
        _require_real(exc)


@pytest.mark.slow
def test_worked_example_is_prevention_with_its_topics(annotator: Any) -> None:
    [out] = annotator.annotate([{"id": "w", "title": WORKED_EXAMPLE_TITLE, "text": WORKED_EXAMPLE}])
    assert out["kind"] == "pencegahan", out["scores"]
    assert "netralitas_asn" in out["topics"], out["scores"]
    assert set(out["topics"]) <= {
        "netralitas_asn",
        "data_pemilih",
        "apk",
        "integritas_penyelenggara",
    }
    assert out["severity"] == "rendah"
    # The unrelated "BACA JUGA" lines do not change the labels.
    stripped = "\n".join(line for line in WORKED_EXAMPLE.split("\n") if not line.startswith("BACA"))
    [plain] = annotator.annotate([{"id": "w2", "title": WORKED_EXAMPLE_TITLE, "text": stripped}])
    assert plain["kind"] == out["kind"] and plain["topics"] == out["topics"]


@pytest.mark.slow
def test_service_int8_network_stays_close_to_fp32_on_test_texts(annotator: Any) -> None:
    """The shipped int8 network (per-token scales) against the same weights in fp32
    on 40 held-out texts: bench/quant_fidelity.py measured 14 of 717 test texts
    moving by more than 0.2 and none by 0.5; a broken scale would move most."""
    from nlp.base_model import load_base_model
    from nlp.dataset import load_corpus, prepare_text, split_examples
    from nlp.service import resolve_base_dir
    from pantau.settings import get_settings

    settings = get_settings()
    test = sorted(split_examples(load_corpus().examples)["test"], key=lambda e: e.id)
    texts = [prepare_text(e.text, e.title) for e in test[:: len(test) // 40][:40]]
    encoder, _ = load_base_model(resolve_base_dir(settings), compact=True)
    fp32, _ = build_model(encoder, Path(settings.classifier_path), quantize=False)
    assert annotator.config.int8_upper and annotator.config.int8_ffn
    ids = tokenize(annotator.tokenizer, texts, annotator.config.max_length)
    pad = int(annotator.tokenizer.pad_token_id)
    int8_topics, int8_kinds = predict_ids(annotator.model, ids, pad)
    ref_topics, ref_kinds = predict_ids(fp32, ids, pad)
    moved = np.maximum(
        np.abs(int8_topics - ref_topics).max(axis=1), np.abs(int8_kinds - ref_kinds).max(axis=1)
    )
    assert float(moved.max()) < 0.5, moved
    assert int((moved > 0.2).sum()) <= 3, moved
    assert float(np.median(moved)) < 0.03, moved
    assert (int8_kinds.argmax(axis=1) == ref_kinds.argmax(axis=1)).mean() >= 0.9


@pytest.mark.slow
def test_incident_and_posts_on_real_model(annotator: Any) -> None:
    records = [
        {
            "id": "incident",
            "title": "Kepala Desa di Klaten Diduga Bagikan Amplop Berlogo Paslon",
            "text": (
                "KLATEN - Bawaslu Kabupaten Klaten menerima laporan warga soal seorang "
                "kepala desa yang diduga membagikan amplop berisi uang Rp 50 ribu "
                "bersama stiker pasangan calon "
                "bupati nomor urut 1 kepada warga di balai desa, Sabtu malam. Video pembagian itu "
                "beredar di grup WhatsApp warga. Ketua Bawaslu Klaten mengatakan pihaknya sudah "
                "meminta keterangan pelapor dan dua saksi, serta akan memanggil kepala desa "
                "tersebut untuk klarifikasi pekan ini."
            ),
        },
        {
            "id": "post",
            "text": "bawaslu tolong cek dong, td malem ada yg bagi2 amplop 100rb + kaos paslon 3 "
            "di gang kami 😡 #Pilkada2024",
        },
        {
            "id": "sport",
            "text": "gila sih persib main bagus bgt semalem, gol menit akhir bikin jantungan ⚽🔥",
        },
    ]
    out = {r["id"]: r for r in annotator.annotate(records)}
    assert out["incident"]["kind"] == "dugaan_pelanggaran", out["incident"]["scores"]
    assert "politik_uang" in out["incident"]["topics"]
    assert out["post"]["kind"] == "dugaan_pelanggaran", out["post"]["scores"]
    assert "politik_uang" in out["post"]["topics"]
    assert out["sport"]["kind"] == "lainnya" and out["sport"]["topics"] == []


# A long article written for this test (first line: its title): a logistics meeting takes
# the first ~450 words; a civil servant's campaigning is reported only after the
# leading window ends.
LATE_INCIDENT_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "late_incident_article.txt"


@pytest.mark.slow
def test_an_incident_past_the_leading_window_is_found(annotator: Any) -> None:
    import dataclasses

    title, text = LATE_INCIDENT_FILE.read_text(encoding="utf-8").split("\n", 1)
    record = {"id": "late", "title": title, "text": text}
    assert annotator.config.max_chunks > 1
    [out] = annotator.annotate([record])
    assert out["kind"] == "dugaan_pelanggaran", out["scores"]
    assert "netralitas_asn" in out["topics"], out["scores"]
    shipped = annotator.config
    try:  # the leading window alone reads a logistics meeting
        annotator.config = dataclasses.replace(shipped, max_chunks=1)
        [lead] = annotator.annotate([record])
    finally:
        annotator.config = shipped
    assert lead["kind"] != "dugaan_pelanggaran", lead["scores"]


# -- agreement with a second annotator ---------------------------------------------------------


def test_agreement_report_scores_a_second_annotator() -> None:
    from nlp.evaluation import LabelFileError, agreement_report, parse_labels

    gold = [
        Example("a", "s1", "post", "", "x", ("politik_uang",), "dugaan_pelanggaran"),
        Example("b", "s2", "post", "", "y", ("apk", "netralitas_asn"), "pencegahan"),
        Example("c", "s3", "post", "", "z", (), "lainnya"),
    ]
    lines = [
        '{"id": "a", "topics": ["politik_uang"], "kind": "dugaan_pelanggaran"}',
        "",
        '{"id": "b", "topics": ["apk"], "kind": "dugaan_pelanggaran"}',
    ]
    other = parse_labels(lines, "second.jsonl")
    report = agreement_report(gold, other)
    assert report.texts == 2  # only the texts the second annotator labelled
    assert report.topic_micro_precision == 1.0
    assert report.topic_micro_recall == pytest.approx(2 / 3)
    assert report.confusion[KINDS.index("pencegahan")][KINDS.index("dugaan_pelanggaran")] == 1
    for bad, message in (
        ('{"id": "a", "topics": ["nope"], "kind": "lainnya"}', "known topics"),
        ('{"id": "a", "topics": [], "kind": "incident"}', "unknown kind"),
        ("{oops", "invalid JSON"),
        ('{"topics": [], "kind": "lainnya"}', "string id"),
    ):
        with pytest.raises(LabelFileError, match=message):
            parse_labels([bad], "second.jsonl")
    with pytest.raises(LabelFileError, match="duplicate id"):
        parse_labels([lines[0], lines[0]], "second.jsonl")
    with pytest.raises(LabelFileError, match="not in the corpus: zz"):
        agreement_report(gold, {"zz": ((), "lainnya")})


def test_train_and_save_writes_the_lexical_files_or_removes_stale_ones(tmp_path: Path) -> None:
    from nlp.lexical import VOCAB_FILE, WEIGHTS_FILE, load_lexical
    from nlp.training import TrainConfig, train_and_save

    tok = tiny_tokenizer()
    out = tmp_path / "model"
    config = TrainConfig(split_layer=2, epochs=1, max_length=64, max_batch=16)
    train_and_save(
        tiny_encoder(vocab=len(tok)),
        tok,
        toy_corpus(),
        config,
        tmp_path / "b",
        out,
        report=lambda m: None,
    )
    assert load_lexical(out).n_features > 0
    config.lexical = False
    train_and_save(
        tiny_encoder(vocab=len(tok)),
        tok,
        toy_corpus(),
        config,
        tmp_path / "b",
        out,
        report=lambda m: None,
    )
    assert not (out / WEIGHTS_FILE).exists() and not (out / VOCAB_FILE).exists()
    assert read_config(out).lexical_weight == 0.0


def _trained_tiny_delta(tok: Any, corpus: list[Example], tmp_path: Path, out_dir: Path) -> Any:
    """The tiny model trained for six epochs and saved to ``out_dir``."""
    from nlp.training import TrainConfig, train_and_save

    return train_and_save(
        tiny_encoder(vocab=len(tok)),
        tok,
        corpus,
        TrainConfig(
            split_layer=2, epochs=6, max_length=64, lr_layers=1e-3, lr_heads=3e-2, max_batch=16
        ),
        tmp_path / "b",
        out_dir,
        report=lambda m: None,
    )


def test_warm_start_begins_from_the_given_delta_and_records_it(tmp_path: Path) -> None:
    from nlp.service import model_version_of
    from nlp.training import TrainConfig, train_classifier

    tok = tiny_tokenizer()
    corpus = toy_corpus()
    start_dir = tmp_path / "start"
    start = _trained_tiny_delta(tok, corpus, tmp_path, start_dir)
    assert start.state is not None
    # With nothing to learn (learning rates 0) the warm-started weights are the start's.
    frozen = TrainConfig(
        split_layer=2,
        epochs=1,
        max_length=64,
        lr_layers=0.0,
        lr_heads=0.0,
        max_batch=16,
        init_from=str(start_dir),
    )
    warm = train_classifier(
        tiny_encoder(vocab=len(tok)), tok, corpus, frozen, tmp_path / "b", report=lambda m: None
    )
    assert warm.state is not None
    for name, tensor in start.state.items():
        torch.testing.assert_close(warm.state[name], tensor, atol=1e-3, rtol=1e-3)
    best = max(h["dev_topic_micro_f1"] for h in start.history)
    assert warm.history[0]["dev_topic_micro_f1"] >= best - 0.05
    assert warm.config.training["init_version"] == model_version_of(start_dir)
    # A fresh model after one such epoch is far from it: the start really was loaded.
    cold = train_classifier(
        tiny_encoder(vocab=len(tok)),
        tok,
        corpus,
        TrainConfig(split_layer=2, epochs=1, max_length=64, lr_layers=0.0, lr_heads=0.0),
        tmp_path / "b",
        report=lambda m: None,
    )
    assert cold.history[0]["dev_topic_micro_f1"] < best - 0.2
    assert cold.config.training["init_version"] is None
    with pytest.raises(ValueError, match="split_layer 2, not 1"):
        train_classifier(
            tiny_encoder(vocab=len(tok)),
            tok,
            corpus,
            TrainConfig(split_layer=1, epochs=1, max_length=64, init_from=str(start_dir)),
            tmp_path / "b",
            report=lambda m: None,
        )


def test_temper_softens_without_changing_any_decision() -> None:
    from nlp.classifier import temper

    topic = np.asarray([[0.999, 0.3, 0.5], [0.01, 0.7, 0.9999]], dtype=np.float32)
    kind = np.asarray([[0.98, 0.015, 0.005], [0.2, 0.5, 0.3]], dtype=np.float32)
    same_t, same_k = temper(topic, kind, 1.0, 1.0)
    assert np.array_equal(same_t, topic) and np.array_equal(same_k, kind)
    soft_t, soft_k = temper(topic, kind, 3.0, 3.0)
    assert np.array_equal(soft_t >= 0.5, topic >= 0.5)
    assert np.array_equal(soft_k.argmax(axis=1), kind.argmax(axis=1))
    assert soft_t[0, 0] < 0.99 and soft_t[1, 0] > 0.05 and abs(soft_t[0, 2] - 0.5) < 1e-6
    assert np.allclose(soft_k.sum(axis=1), 1.0) and soft_k[0, 0] < 0.9


def test_fit_temperatures_cools_an_overconfident_model_and_warms_a_timid_one() -> None:
    from nlp.evaluation import fit_temperatures

    rng = np.random.default_rng(0)
    n = 400
    truth = (rng.random((n, 3)) < 0.3).astype(np.float32)
    kinds = rng.integers(0, 3, n)
    wrong = rng.random((n, 3)) < 0.15  # 15 % of answers wrong, all stated at 0.995
    said = np.where(wrong, 1 - truth, truth)
    loud = np.where(said == 1, 0.995, 0.005).astype(np.float32)
    kind_said = np.where(rng.random(n) < 0.15, (kinds + 1) % 3, kinds)
    loud_kind = np.full((n, 3), 0.0025, dtype=np.float32)
    loud_kind[np.arange(n), kind_said] = 0.995
    topic_t, kind_t = fit_temperatures(truth, kinds, loud, loud_kind)
    assert topic_t > 1.5 and kind_t > 1.5
    # Right every time but only at 0.6: the fit sharpens instead.
    timid = np.where(truth == 1, 0.6, 0.4).astype(np.float32)
    timid_kind = np.full((n, 3), 0.3, dtype=np.float32)
    timid_kind[np.arange(n), kinds] = 0.4
    topic_t, kind_t = fit_temperatures(truth, kinds, timid, timid_kind)
    assert topic_t < 1.0 and kind_t < 1.0


def test_soft_targets_mix_labels_and_teacher() -> None:
    from nlp.training import soft_targets

    topics = np.zeros((2, len(TOPICS)), dtype=np.float32)
    topics[0, 0] = 1.0
    kinds = np.array([0, 2])
    teacher_topics = np.full((2, len(TOPICS)), 0.2, dtype=np.float32)
    teacher_kinds = np.array([[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]], dtype=np.float32)
    topic_t, kind_t = soft_targets(topics, kinds, teacher_topics, teacher_kinds, 0.25)
    assert topic_t[0, 0] == pytest.approx(0.8) and topic_t[0, 1] == pytest.approx(0.05)
    np.testing.assert_allclose(kind_t[0], [0.875, 0.125, 0.0])
    np.testing.assert_allclose(kind_t.sum(axis=1), [1.0, 1.0])
    with pytest.raises(ValueError, match="outside"):
        soft_targets(topics, kinds, teacher_topics, teacher_kinds, 1.5)
    with pytest.raises(ValueError, match="do not match"):
        soft_targets(topics, kinds, teacher_topics[:1], teacher_kinds, 0.5)


def test_a_shallower_student_distils_from_a_teacher_and_loads_on_the_full_base(
    tmp_path: Path,
) -> None:
    from nlp.training import TrainConfig, train_and_save

    tok = tiny_tokenizer()
    corpus = toy_corpus()
    teacher_dir = tmp_path / "teacher"
    teacher = _trained_tiny_delta(tok, corpus, tmp_path, teacher_dir)
    assert max(h["dev_kind_macro_f1"] for h in teacher.history) > 0.9
    student_dir = tmp_path / "student"
    lines: list[str] = []
    student = train_and_save(
        tiny_encoder(vocab=len(tok)),
        tok,
        corpus,
        TrainConfig(
            split_layer=2,
            layers=3,
            epochs=4,
            max_length=64,
            lr_layers=1e-3,
            lr_heads=3e-3,
            max_batch=16,
            init_from=str(teacher_dir),
            distil_from=str(teacher_dir),
            distil_weight=1.0,
            int8_upper=False,
        ),
        tmp_path / "b",
        student_dir,
        report=lines.append,
    )
    assert any(line.startswith("teacher:") for line in lines)
    config = read_config(student_dir)
    assert config.num_layers == 3
    assert config.training["distil_from"] == str(teacher_dir)
    assert student.state is not None
    assert not any(name.startswith("encoder.encoder.layer.3.") for name in student.state)
    # Taught by the teacher's probabilities alone, the student still learns the task.
    assert max(h["dev_kind_macro_f1"] for h in student.history) > 0.9
    # The service loads the 3-layer delta onto the full 4-layer base.
    loaded, _ = build_model(tiny_encoder(vocab=len(tok)), student_dir)
    assert len(loaded.encoder.encoder.layer) == 3
    ids = tokenize(tok, [e.text for e in corpus[:8]], 64)
    got = predict_ids(loaded, ids, int(tok.pad_token_id))
    want = predict_ids(student.model, ids, int(tok.pad_token_id))
    np.testing.assert_allclose(got[0], want[0], atol=2e-3)
    np.testing.assert_allclose(got[1], want[1], atol=2e-3)
    # A base with fewer layers than the delta cannot carry it.
    short = tiny_encoder(vocab=len(tok))
    short.encoder.layer = short.encoder.layer[:2]
    short.config.num_hidden_layers = 2
    with pytest.raises(ClassifierError, match="shape"):
        build_model(short, student_dir)
