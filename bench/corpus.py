"""A seeded synthetic corpus for index benchmarks (pure: same seed, same documents).

The words are a hand-made list of common Indonesian and election vocabulary, so
the full-text index sees realistic token lengths and a realistic stemming load.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from pantau.schemas import Classification, Document, Kind, Provenance, Severity, Topic

WORDS = (
    "pemilihan kepala daerah kampanye pasangan calon wali kota bupati gubernur warga "
    "pengawas pemilu bawaslu komisi pemilihan umum tempat pemungutan suara kotak surat "
    "suara daftar pemilih tetap relawan tim sukses spanduk baliho bendera stiker poster "
    "jalan raya pasar kelurahan kecamatan kantor dinas pegawai negeri sipil aparatur "
    "netralitas aparat kepolisian tentara desa dusun rukun tetangga rukun warga masjid "
    "gereja sekolah jembatan tiang listrik pohon penertiban pelanggaran laporan temuan "
    "dugaan saksi bukti video rekaman media sosial unggahan berita bohong klarifikasi "
    "uang tunai amplop sembako beras minyak goreng bantuan sosial serangan fajar malam "
    "pagi siang sore hari minggu senin selasa rabu kamis jumat sabtu tahun bulan pekan "
    "rapat koordinasi sosialisasi imbauan deklarasi pemilih pemula mahasiswa pelajar "
    "petugas ketertiban umum satuan polisi pamong praja penyelenggara ad hoc panitia "
    "pemungutan rekapitulasi penghitungan hasil sengketa mahkamah konstitusi debat publik "
    "visi misi program kerja janji politik partai koalisi dukungan survei elektabilitas "
    "banjir hujan macet kecelakaan sepak bola pertandingan harga cabai bawang inflasi "
    "pasar tradisional pedagang nelayan petani sawah panen gotong royong posyandu "
    "puskesmas rumah sakit pendidikan anggaran pembangunan infrastruktur jalan tol"
).split()
SOURCES = tuple(f"Outlet {c}" for c in "ABCDEFGHIJKLMNOP")
PLACES = ("31.71", "31.72", "31.73", "31.74", "31.75", "32.73", "32.75", "32.76", "35.78")


def synthetic_documents(n: int, seed: int = 7) -> Iterator[Document]:
    rng = random.Random(seed)
    topics = list(Topic)
    kinds = list(Kind)
    start = datetime(2024, 8, 1, tzinfo=UTC)
    for i in range(n):
        body = " ".join(rng.choices(WORDS, k=rng.randint(120, 380)))
        chosen = rng.sample(topics, k=rng.choice((0, 1, 1, 2)))
        kind = rng.choice(kinds)
        when = start + timedelta(minutes=rng.randint(0, 60 * 24 * 120))
        yield Document(
            url=f"https://bench.example.id/{i}",
            source=rng.choice(SOURCES),
            title=" ".join(rng.choices(WORDS, k=8)),
            body=body,
            published_at=when,
            fetched_at=when + timedelta(minutes=5),
            places=[rng.choice(PLACES)],
            classification=Classification(topics=chosen, kind=kind),
            severity=rng.choice((None, Severity.SEDANG, Severity.TINGGI)),
            provenance=Provenance(http_status=200),
        )
