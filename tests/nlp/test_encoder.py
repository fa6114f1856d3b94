"""The plain-torch inference encoder (nlp/encoder.py) against transformers' BertModel."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from nlp.classifier import TopicKindModel
from nlp.dataset import KINDS
from nlp.encoder import (
    Encoder,
    EncoderConfig,
    EncoderConfigError,
    HalfEmbedding,
    attention_mask_for,
    encoder_from_state,
)
from tests.nlp.test_classifier import tiny_encoder

REPO = Path(__file__).resolve().parents[2]

CONFIG: dict[str, Any] = {
    "model_type": "bert",
    "vocab_size": 64,
    "hidden_size": 32,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "intermediate_size": 64,
    "max_position_embeddings": 128,
    "type_vocab_size": 2,
    "layer_norm_eps": 1e-12,
    "hidden_act": "gelu",
    "pad_token_id": 0,
}


def mirrored(reference: Any, half: bool = False) -> Encoder:
    """Our encoder holding the weights of a transformers BertModel."""
    state = {k: v.clone() for k, v in reference.state_dict().items()}
    if half:
        state["embeddings.word_embeddings.weight"] = state[
            "embeddings.word_embeddings.weight"
        ].half()
    return encoder_from_state(EncoderConfig.from_dict(reference.config.to_dict()), state)


def padded_batch() -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(3)
    ids = torch.randint(4, 64, (3, 11))
    mask = torch.ones(3, 11, dtype=torch.long)
    mask[1, 7:] = 0
    mask[2, 2:] = 0
    ids[mask == 0] = 0
    return ids, mask


# -- config and mask (pure) ------------------------------------------------------------------


def test_config_keeps_the_network_shape() -> None:
    config = EncoderConfig.from_dict({**CONFIG, "architectures": ["BertModel"]})
    assert (config.hidden_size, config.num_hidden_layers, config.pad_token_id) == (32, 4, 0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hidden_act": "gelu_new"}, "hidden_act"),
        ({"position_embedding_type": "relative_key"}, "position_embedding_type"),
        ({"is_decoder": True}, "is_decoder"),
        ({"model_type": "roberta"}, "model_type"),
        ({"num_attention_heads": 5}, "multiple"),
    ],
)
def test_config_refuses_networks_it_would_compute_differently(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(EncoderConfigError, match=message):
        EncoderConfig.from_dict({**CONFIG, **change})


def test_config_names_missing_fields(tmp_path: Path) -> None:
    raw = {k: v for k, v in CONFIG.items() if k != "intermediate_size"}
    with pytest.raises(EncoderConfigError, match="intermediate_size"):
        EncoderConfig.from_dict(raw)
    (tmp_path / "config.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(EncoderConfigError, match="cannot read"):
        EncoderConfig.from_file(tmp_path / "config.json")


def test_mask_is_none_without_padding_and_hides_padding_keys_otherwise() -> None:
    assert attention_mask_for(torch.ones(2, 5, dtype=torch.long)) is None
    mask = attention_mask_for(torch.tensor([[1, 1, 1], [1, 1, 0]]))
    assert mask is not None and mask.dtype == torch.bool and mask.shape == (2, 1, 3, 3)
    assert mask[0].all()
    # every query of the padded text, the padding position too, sees the two real keys only
    assert mask[1, 0].tolist() == [[True, True, False]] * 3


# -- against transformers --------------------------------------------------------------------


def test_outputs_are_bit_identical_to_transformers_bert() -> None:
    reference = tiny_encoder(seed=5)
    ours = mirrored(reference)
    ids, mask = padded_batch()
    with torch.inference_mode():
        expected = reference(input_ids=ids, attention_mask=mask).last_hidden_state
        got = ours(input_ids=ids, attention_mask=mask).last_hidden_state
        unpadded = ours(input_ids=ids[:1], attention_mask=mask[:1]).last_hidden_state
        expected_unpadded = reference(input_ids=ids[:1], attention_mask=mask[:1]).last_hidden_state
    assert torch.equal(got, expected)
    assert torch.equal(unpadded, expected_unpadded)


def test_classifier_split_and_names_match_transformers() -> None:
    """TopicKindModel over our encoder: same trainable names (the delta addresses
    them), same outputs through lower/upper with a padded batch."""
    reference = tiny_encoder(seed=6)
    ours = mirrored(reference)
    torch.manual_seed(1)
    a = TopicKindModel(reference, 2).eval()
    torch.manual_seed(1)
    b = TopicKindModel(ours, 2).eval()
    assert a.trainable_names() == b.trainable_names()
    ids, mask = padded_batch()
    with torch.inference_mode():
        for x, y in zip(a(ids, mask), b(ids, mask), strict=True):
            assert torch.equal(x, y)


def test_half_word_embeddings_stay_close() -> None:
    reference = tiny_encoder(seed=7)
    ours = mirrored(reference, half=True)
    assert isinstance(ours.embeddings.word_embeddings, HalfEmbedding)
    ids, mask = padded_batch()
    with torch.inference_mode():
        expected = reference(input_ids=ids, attention_mask=mask).last_hidden_state
        got = ours(input_ids=ids, attention_mask=mask).last_hidden_state
    assert not torch.equal(got, expected)  # fp16 rounding does reach the output
    assert torch.allclose(got, expected, atol=5e-3)


def test_missing_or_misshapen_weights_are_refused() -> None:
    reference = tiny_encoder(seed=8)
    config = EncoderConfig.from_dict(reference.config.to_dict())
    state = dict(reference.state_dict())
    del state["encoder.layer.3.output.dense.bias"]
    with pytest.raises(EncoderConfigError, match=r"lack .*layer\.3\.output\.dense\.bias"):
        encoder_from_state(config, state)
    state = dict(reference.state_dict())
    state["encoder.layer.0.attention.self.key.weight"] = torch.zeros(32, 16)
    with pytest.raises(EncoderConfigError, match="shape"):
        encoder_from_state(config, state)


# -- the service's imports -------------------------------------------------------------------

# What transformers' modelling code (about 190 MiB of resident memory) and scikit-learn
# with scipy (about 76 MiB) would drag into a classifying process (docs/classifier.md,
# "Memory").
HEAVY = [
    "sympy",
    "transformers.modeling_utils",
    "transformers.masking_utils",
    "torch._dynamo",
    "sklearn",
    "scipy",
]


@pytest.mark.slow
def test_classifying_imports_no_modelling_stack(tmp_path: Path) -> None:
    """The shipped model, loaded and run the way `pantau classify` does, in a fresh
    process: none of the heavy modules may be imported."""
    probe = (
        "import json, sys\n"
        "from pantau.settings import get_settings\n"
        "from nlp.service import load_annotator\n"
        "out = load_annotator(get_settings()).annotate("
        "[{'id': 'a', 'text': 'Bawaslu memanggil camat yang ikut kampanye paslon di Klaten'}])\n"
        f"print(json.dumps({{'kind': out[0].get('kind'), 'heavy': [m for m in {HEAVY!r} "
        "if m in sys.modules]}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["kind"] in KINDS
    assert result["heavy"] == []
