"""Severity: derived from the labels and a few textual signals, never labelled (annotation guide).

The rule, first match wins:

1. ``kind`` is not ``dugaan_pelanggaran`` → ``rendah``. Prevention and other
   texts never alert, whatever their topics.
2. ``kritis`` when the incident is about violence or intimidation
   (``intimidasi_kekerasan``), SARA hate or incitement (``sara_kebencian``),
   or vote buying at scale: ``politik_uang`` together with a mass signal
   (``MASS_SIGNALS``: "serangan fajar", "massal", "ratusan"/"ribuan" recipients,
   "satu kampung", "seluruh warga", a count of 100 or more people/envelopes...).
3. ``tinggi`` when the actor is a specific official or organiser
   (``netralitas_asn``, ``netralitas_tni_polri``, ``integritas_penyelenggara``)
   or the item spreads widely (``VIRAL_SIGNALS``: "viral", "beredar luas",
   "dibagikan ... kali", "trending", "FYP"...).
4. Otherwise ``sedang``.

The signals are matched case-insensitively on the classifier's cleaned input
(title + body). They only ever raise severity within incidents; they never turn
a non-incident into an alert.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pantau.schemas import Kind, Severity, Topic

CRITICAL_TOPICS = frozenset({Topic.INTIMIDASI_KEKERASAN.value, Topic.SARA_KEBENCIAN.value})
OFFICIAL_TOPICS = frozenset(
    {
        Topic.NETRALITAS_ASN.value,
        Topic.NETRALITAS_TNI_POLRI.value,
        Topic.INTEGRITAS_PENYELENGGARA.value,
    }
)

MASS_SIGNALS = re.compile(
    r"\b(serangan fajar|massal|besar-besaran|terstruktur,? sistematis|ratusan|ribuan|"
    r"satu (kampung|desa|rt|rw)|se(?:-| )?(kampung|desa|kelurahan|kecamatan)|seluruh warga|"
    r"door to door|dari rumah ke rumah|"
    r"\d{3,}(?:[.,]\d{3})*\s*(orang|warga|amplop|paket|kantong|pemilih|kk))\b",
    re.IGNORECASE,
)
VIRAL_SIGNALS = re.compile(
    r"\b(viral|beredar luas|menyebar luas|trending|fyp|"
    r"dibagikan (lebih dari )?[\d.,]+ ?(ribu )?kali|"
    r"ditonton (lebih dari )?[\d.,]+ ?(ribu|juta)?|ramai (diperbincangkan|dibicarakan))\b",
    re.IGNORECASE,
)


def has_mass_signal(text: str) -> bool:
    return MASS_SIGNALS.search(text) is not None


def has_viral_signal(text: str) -> bool:
    return VIRAL_SIGNALS.search(text) is not None


def derive_severity(kind: str, topics: Iterable[str], text: str = "") -> Severity:
    """Severity of one classified text; see the module docstring for the rule."""
    if kind != Kind.DUGAAN_PELANGGARAN.value:
        return Severity.RENDAH
    labels = {str(t) for t in topics}
    if labels & CRITICAL_TOPICS:
        return Severity.KRITIS
    if Topic.POLITIK_UANG.value in labels and has_mass_signal(text):
        return Severity.KRITIS
    if labels & OFFICIAL_TOPICS or has_viral_signal(text):
        return Severity.TINGGI
    return Severity.SEDANG
