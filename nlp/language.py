"""Language identification for Pantau's inputs: Indonesian, Malay, Javanese, English or other.

py3langid's bundled model (97 languages) scores the text. Indonesian and Malay
share most of their vocabulary and the model splits short Indonesian texts
almost evenly between them; since Pantau watches Indonesian sources, Indonesian
gets a prior weight and Malay must clearly win (see ``ID_PRIOR``).

The model was trained on formal text and knows neither Sundanese, Balinese nor
Minangkabau, so on posts it errs in ways a few words settle: Jakarta slang
("gw", "nyoblos", "ngomongin") reads as Javanese, colloquial Malaysian ("tak
nak", "korang", "kat") as Indonesian once the prior applies, and Sundanese or
Minang posts as Javanese or Indonesian. ``refine_language`` corrects the
model's choice among id/ms/jv with counts of marker words: function words and
particles one language uses and the others do not (``MARKERS``). The lists
were written from knowledge of the languages and checked on the ``choose``
half of ``nlp/data/language`` (see its README).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

RELEVANT = ("id", "ms", "jv", "en")
UNDETERMINED = "und"
# Malay must score ID_PRIOR times Indonesian's probability to be called Malay.
ID_PRIOR = 2.5
# Fewer letters than this say too little to tell these languages apart.
MIN_LETTERS = 8


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Marker words: in "id_common", Indonesian function words and particles that the
# regional languages say otherwise (yang/sing/nu, tidak/ora/teu, sudah/wis/tos...);
# in "id_not_ms", Indonesian words and terms that Malaysian Malay does not use
# (gak, bisa, uang, polisi, pilkada, kecamatan...); in "ms", Malay words that
# Indonesian does not use, or not in that sense (nak, korang, kerana, polis,
# mengundi...). Words common to two of the languages compared are left out
# ("boleh", "kena", "urang", "dulur"), and so are the regional particles that
# Indonesian posts borrow ("teh", "mah", "atuh", "euy", "lho", "mas").
MARKERS: dict[str, frozenset[str]] = {
    "id_common": _words(
        """yang tidak nggak gak ga enggak sudah udah udh dengan saya ini itu ada akan bisa
        banget aja sih dong kalian mereka kenapa gimana sekarang kemarin belum juga karena
        dari untuk buat sama lagi banyak hanya cuma sangat sekali seperti kayak tetapi atau
        kalau kalo mau pergi datang orang besar kecil semua harus bikin pakai pake tahu tau
        lihat liat jangan"""
    ),
    "id_not_ms": _words(
        """gak nggak enggak ngga nggk gk aja sih dong deh nih banget bgt gw gue gua lu elo
        udah udh gimana kayak bikin doang emang belom bisa karena uang kantor polisi kalian
        kemarin kmrn skrg mobil ojol pilkada pemilu paslon bawaslu kpu tps kpps nyoblos
        coblos mencoblos cagub cabup cawalkot caleg bupati camat lurah kades kecamatan
        kelurahan kabupaten provinsi rupiah rp pemkot pemkab pemprov"""
    ),
    "ms": _words(
        """nak je kat korang diorang takde kerana sahaja mesyuarat polis teksi universiti
        mengundi pengundi prn pru spr adun parlimen ringgit camne jom inda atu teruk
        khabar hujung oren brek jem bas sesiapa kenderaan telefon tandas lepak mamak bisai
        banar tengahari pastu camtu kitorang takpe pdrm jpj umno pkr dbkl kot"""
    ),
    "jv": _words(
        """ora wis wes uwis ono onok neng ning iku kuwi kui iki sing karo arep piye
        kepiye opo ngopo sopo saiki wingi bengi akeh sithik durung uga wae ae lan utawa
        amarga mergo ndek nang koen awakmu panjenengan kula sampun badhe nggih
        mboten boten wonten menika niki niku matur nuwun sakniki dereng kalih sami nyuwun
        ngerti dadi dhuwit duwit omah mangan turu lunga tuku adoh cedhak apik elek
        gedhe kandha weruh podo padha blas ra dikongkon ngendi endi
        kono saben isih tenan jarene jare ngene ngono nganti banjur marang ing saka seka
        soko yen menawa pancen teko ngekeki kanggo nggo gae regane koyok dikon
        siji loro telu dino kabeh dinggo saged"""
    ),
    "su": _words(
        """abdi teu henteu aya nu anu ieu eta éta jeung sareng kana ti tos atos parantos
        ayeuna kamari isukan saha naon naha kumaha maneh anjeun oge keneh cenah mun upami
        lamun poe sadaya sadayana tiasa nanging ngan deuih unggal loba seueur saeutik
        sae hayu hatur nuhun wilujeng badé acan geuning kitu kieu jalma lembur imah cai
        leumpang indit sumping dinten milu geus heula sateuacan meni ageung deukeut
        barudak nanaon sarua tatangga leuwih mawa panto beas ngeunaan"""
    ),
    "ban": _words(
        """suba gati nawang jani sakewala konden liu makejang semeton nyen apang meli
        peken jaen luung ibi semengan lakar engsap nunas suksma swastyastu nyat enu kanti
        iraga icang ento"""
    ),
    "min": _words(
        """ambo indak alun bana jo sadonyo mangecek aia baliak amak rancak kampuang
        labek subuah naiak pai sakolah takuik hanyuik mambao dunsanak basamo randang
        bisuak lupo mamiliah ciek tigo apo baa iko ado liek pitih lapau dakek
        samo juo kaba baredar tibo suaro sabalun marantau namonyo kito
        ingek harok caliak sadih bacakak baralek tiok mamintak inyo manyabuik"""
    ),
}
# Languages py3langid mixes up with Indonesian and that the markers can name;
# su, ban and min are not in its model at all.
REGIONAL = ("jv", "su", "ban", "min")
_MARKER_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


class LanguageGuess(NamedTuple):
    code: str  # ISO 639-1 where it exists, "und" when undetermined
    confidence: float


@lru_cache(maxsize=1)
def default_identifier() -> LanguageIdentifier:
    """py3langid's full model with normalised probabilities; loaded once (~0.5 s)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def looks_binary(text: str) -> bool:
    """Control characters or decoding debris instead of prose."""
    if "\x00" in text:
        return True
    sample = text[:4000]
    bad = sum(
        1
        for ch in sample
        if ch == "\ufffd" or (unicodedata.category(ch) in {"Cc", "Co", "Cs"} and ch not in "\n\r\t")
    )
    return bad > max(2, len(sample) // 20)


def marker_counts(text: str) -> dict[str, int]:
    """How many words of ``text`` are markers of each ``MARKERS`` list (pure).

    Acronyms (all capitals: KPU, TPS, SPR, NU) count only for Indonesian against
    Malay and for Malay, where they are institutions; "NU" is not Sundanese "nu".
    """
    counts = dict.fromkeys(MARKERS, 0)
    for word in _MARKER_WORD.findall(text):
        acronym = len(word) > 1 and word.isupper()
        lower = word.lower()
        for name, words in MARKERS.items():
            if lower in words and (not acronym or name in ("id_not_ms", "ms")):
                counts[name] += 1
    return counts


def _margin(winner: int, loser: int) -> float:
    return round(0.5 + 0.5 * (winner - loser) / (winner + loser + 1), 4)


def refine_language(code: str, counts: dict[str, int]) -> LanguageGuess | None:
    """Correct the model's id/ms/jv with marker counts; None keeps the model's guess (pure).

    - Model says ``id``: a regional language needs 3+ markers and more than twice
      the Indonesian ones (Indonesian posts borrow regional words); Malay needs
      2+ markers and more than the Indonesian-not-Malay ones.
    - Model says ``jv``: another regional language with more markers wins
      (Sundanese, Minang); Javanese stays with at least one marker and no fewer
      than the Indonesian ones; otherwise it is Indonesian slang.
    - Model says ``ms``: a regional language with 2+ markers and more than the
      Indonesian ones wins; Indonesian wins with at least as many
      Indonesian-not-Malay markers as Malay ones.
    """
    if code not in ("id", "ms", "jv"):
        return None
    id_common, id_not_ms, malay = counts["id_common"], counts["id_not_ms"], counts["ms"]
    others = [r for r in REGIONAL if r != "jv"] if code == "jv" else list(REGIONAL)
    regional = max(others, key=lambda r: counts[r])  # ties go to the earlier one
    found = counts[regional]
    if code == "id":
        if found >= 3 and found > 2 * id_common:
            return LanguageGuess(regional, _margin(found, id_common))
        if malay >= 2 and malay > id_not_ms:
            return LanguageGuess("ms", _margin(malay, id_not_ms))
        return None
    if code == "jv":
        javanese = counts["jv"]
        if found >= 2 and found > javanese:
            return LanguageGuess(regional, _margin(found, javanese))
        if javanese >= 1 and javanese >= id_common:
            return None
        return LanguageGuess("id", _margin(id_common, javanese))
    if found >= 2 and found > id_common:
        return LanguageGuess(regional, _margin(found, id_common))
    if id_not_ms >= 1 and id_not_ms >= malay:
        return LanguageGuess("id", _margin(id_not_ms, malay))
    return None


def detect_language(
    text: str | None, identifier: LanguageIdentifier | None = None
) -> LanguageGuess:
    """``(code, confidence)`` for ``text``: id, ms, jv, en, su, ban, min, another code, or und."""
    if not text or looks_binary(text):
        return LanguageGuess(UNDETERMINED, 0.0)
    letters = sum(1 for ch in text if ch.isalpha())
    if letters < MIN_LETTERS:
        return LanguageGuess(UNDETERMINED, 0.0)
    ident = identifier if identifier is not None else default_identifier()
    probs = dict(ident.rank(text))
    relevant = {code: float(probs.get(code, 0.0)) for code in RELEVANT}
    relevant_mass = sum(relevant.values())
    top_code, top_p = max(probs.items(), key=lambda kv: kv[1])
    if top_code not in relevant and float(top_p) > relevant_mass:
        return LanguageGuess(str(top_code), float(top_p))
    if relevant_mass <= 0.0:
        return LanguageGuess(UNDETERMINED, 0.0)
    weighted = dict(relevant)
    weighted["id"] *= ID_PRIOR
    total = sum(weighted.values())
    code = max(weighted, key=lambda c: weighted[c])
    refined = refine_language(code, marker_counts(text))
    return refined or LanguageGuess(code, round(weighted[code] / total, 4))
