"""Derived severity: the documented rule, case by case."""

from __future__ import annotations

import pytest

from nlp.severity import derive_severity, has_mass_signal, has_viral_signal
from pantau.schemas import Severity


@pytest.mark.parametrize("kind", ["pencegahan", "lainnya"])
def test_non_incidents_are_low_whatever_the_topics(kind: str) -> None:
    text = "Bentrok massal viral, ribuan amplop serangan fajar"
    assert derive_severity(kind, ["intimidasi_kekerasan", "politik_uang"], text) == Severity.RENDAH


@pytest.mark.parametrize("topic", ["intimidasi_kekerasan", "sara_kebencian"])
def test_violence_and_sara_incidents_are_critical(topic: str) -> None:
    assert derive_severity("dugaan_pelanggaran", [topic], "") == Severity.KRITIS


def test_vote_buying_is_critical_only_at_scale() -> None:
    mass = "Tim sukses diduga membagikan 300 amplop kepada warga satu kampung"
    single = "Seorang warga mengaku diberi amplop Rp 50 ribu"
    assert derive_severity("dugaan_pelanggaran", ["politik_uang"], mass) == Severity.KRITIS
    assert derive_severity("dugaan_pelanggaran", ["politik_uang"], single) == Severity.SEDANG
    # The mass wording alone does not make another topic critical.
    assert derive_severity("dugaan_pelanggaran", ["apk"], mass) == Severity.SEDANG


@pytest.mark.parametrize(
    "topic", ["netralitas_asn", "netralitas_tni_polri", "integritas_penyelenggara"]
)
def test_named_officials_and_organisers_are_high(topic: str) -> None:
    assert derive_severity("dugaan_pelanggaran", [topic], "") == Severity.TINGGI


def test_viral_spread_is_high_otherwise_medium() -> None:
    assert (
        derive_severity("dugaan_pelanggaran", ["apk"], "Video itu viral di TikTok")
        == Severity.TINGGI
    )
    assert (
        derive_severity("dugaan_pelanggaran", ["hoaks"], "dibagikan 1.300 kali") == Severity.TINGGI
    )
    assert (
        derive_severity("dugaan_pelanggaran", ["apk"], "Baliho dipasang di pohon")
        == Severity.SEDANG
    )
    assert derive_severity("dugaan_pelanggaran", [], "") == Severity.SEDANG


def test_signals() -> None:
    assert has_mass_signal("ratusan paket sembako")
    assert has_mass_signal("1.200 orang menerima")
    assert not has_mass_signal("12 orang menerima")
    assert has_viral_signal("unggahan itu beredar luas")
    assert not has_viral_signal("unggahan itu dihapus")
