from __future__ import annotations

import pytest

from pantau.identity import document_id, normalise_url


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        (
            "https://www.kompas.com/read/2024/09/19/pilkada",
            "https://kompas.com/read/2024/09/19/pilkada",
        ),
        (
            "http://kompas.com/read/2024/09/19/pilkada/",
            "https://kompas.com/read/2024/09/19/pilkada",
        ),
        (
            "https://m.kompas.com/read/2024/09/19/pilkada?utm_source=wa&utm_medium=share",
            "https://kompas.com/read/2024/09/19/pilkada",
        ),
        (
            "https://amp.kompas.com/read/2024/09/19/pilkada",
            "https://kompas.com/read/2024/09/19/pilkada",
        ),
        (
            "https://kompas.com/read/2024/09/19/pilkada/amp",
            "https://kompas.com/read/2024/09/19/pilkada",
        ),
        (
            "https://kompas.com/read/2024/09/19/pilkada?page=all#komentar",
            "https://kompas.com/read/2024/09/19/pilkada",
        ),
        (
            "HTTPS://KOMPAS.COM:443/read/2024/09/19/pilkada?fbclid=abc",
            "https://kompas.com/read/2024/09/19/pilkada",
        ),
    ],
)
def test_variants_normalise_to_one_url(variant: str, canonical: str) -> None:
    assert normalise_url(variant) == canonical


def test_meaningful_query_parameters_survive_sorted() -> None:
    assert (
        normalise_url("https://x.id/berita?b=2&a=1&utm_campaign=z") == "https://x.id/berita?a=1&b=2"
    )
    assert normalise_url("https://x.id/berita?page=2") != normalise_url("https://x.id/berita")


def test_short_hosts_keep_their_labels() -> None:
    # "m.id" is a domain, not the mobile prefix of "id".
    assert normalise_url("https://m.id/a") == "https://m.id/a"


@pytest.mark.parametrize("bad", ["", "   ", "ftp://x.id/a", "https:///nohost"])
def test_bad_urls_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        normalise_url(bad)


def test_document_id_prefers_url_and_falls_back_to_content() -> None:
    assert document_id("https://x.id/a?utm_source=1") == document_id("http://www.x.id/a/")
    assert document_id(None, "Teks  SAMA") == document_id(None, "teks sama")
    assert document_id(None, "teks a") != document_id(None, "teks b")
    assert document_id("https://x.id/a").startswith("u")
    assert document_id(None, "t").startswith("c")
    with pytest.raises(ValueError):
        document_id(None, "  ")
