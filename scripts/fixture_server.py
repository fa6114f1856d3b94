"""Serves Pantau's fixture news sites on 127.0.0.1 for tests, demos and benchmarks.

Usage::

    python scripts/fixture_server.py --port 8765 --write-sources /tmp/fixture-sources.yaml
    pantau crawl --sources /tmp/fixture-sources.yaml

Outlets, articles and bad endpoints come from ``tests/fixtures/sites/content.yaml``,
markup from ``tests/fixtures/sites/templates``. Feeds, sitemaps, listings and
Telegram previews carry ETag / Last-Modified and answer conditional requests
with 304. The 20 MB page is generated at start, never stored in the repository.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

SITES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "sites"
LAST_MODIFIED = formatdate(1732600000, usegmt=True)  # fixed: pages do not change between runs
HUGE_BYTES = 20 * 1024 * 1024
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
) * 200


@dataclass
class Page:
    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    # Feed-like pages are revalidated by the crawler with ETag / Last-Modified.
    conditional: bool = False
    headers: dict[str, str] = field(default_factory=dict)


def load_content() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((SITES / "content.yaml").read_text(encoding="utf-8"))
    return data


def _template(name: str) -> Template:
    return Template((SITES / "templates" / f"{name}.html").read_text(encoding="utf-8"))


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _read_also_href(base: str, outlet_id: str, title: str) -> str:
    slug = "-".join("".join(c for c in title.lower() if c.isalnum() or c == " ").split())[:60]
    return f"{base}/{outlet_id}/berita/lain/{slug}"


def render_body(article: dict[str, Any], outlet_id: str, outlet: dict[str, Any], base: str) -> str:
    """The article body in the outlet's house style (dateline, cross-links, trailers)."""
    flavour = outlet["template"]
    dateline = outlet.get("dateline")
    parts: list[str] = []
    first = True
    for paragraph in article["paragraphs"]:
        if isinstance(paragraph, dict):
            title = paragraph["read_also"]
            href = _read_also_href(base, outlet_id, title)
            if flavour == "antara":
                parts.append(
                    f'<p><span class="baca-juga"><b>Baca juga:</b> '
                    f'<a href="{href}">{_esc(title)}</a></span></p>'
                )
            elif flavour == "tribun":
                parts.append(
                    f'<p><strong>Baca juga: <a href="{href}">{_esc(title)}</a></strong></p>'
                )
            else:
                parts.append(
                    f'<p><strong>BACA JUGA:</strong> <a href="{href}">{_esc(title)}</a></p>'
                )
            continue
        text = _esc(paragraph)
        if first and dateline:
            if flavour == "antara":
                text = f"{_esc(dateline)} {text}"
            else:
                label, _, dash = dateline.rpartition(" ")
                text = f"<strong>{_esc(label)}</strong> {dash} {text}"
        first = False
        parts.append(f"<p>{text}</p>")
    if flavour == "antara":
        parts.append(
            f'<p class="text-muted small mt-2">Pewarta: {_esc(article["author"])}<br>'
            f"Editor: {_esc(article['editor'])}<br>{_esc(outlet['footer'])}</p>"
        )
    elif flavour == "tribun":
        if article.get("credit"):
            parts.append(f"<p>{_esc(article['credit'])}</p>")
        parts.append('<p>Simak berita Warta Kota lainnya di <a href="#">Google News</a></p>')
        parts.append(
            '<p>Ikuti saluran WhatsApp Warta Kota di sini: <a href="#">wa.me/wartakota</a></p>'
        )
    elif flavour == "wordpress":
        parts.append(f"<p><strong>Editor:</strong> {_esc(article['editor'])}</p>")
    return "\n".join("    " + p for p in parts)


def render_article(
    article: dict[str, Any],
    outlets: dict[str, Any],
    base: str,
    amp: bool = False,
    charset: str = "utf-8",
) -> str:
    outlet_id = article["outlet"]
    outlet = outlets[outlet_id]
    canonical = base + article["path"]
    published = article.get("published")
    meta = ""
    if published and outlet["template"] == "wordpress":
        meta = f'<meta property="article:published_time" content="{published}">'
    template = "wordpress_amp" if amp else outlet["template"]
    return _template(template).substitute(
        charset=charset,
        title=_esc(article["title"]),
        title_json=json.dumps(article["title"])[1:-1],
        site_name=_esc(outlet["name"]),
        canonical=canonical,
        amp_url=canonical.rstrip("/") + "/amp/",
        home=f"{base}/{outlet_id}",
        published_meta=meta,
        published_iso=published or "",
        shown_date=_esc(article.get("shown_date") or ""),
        author=_esc(article.get("author") or ""),
        author_json=json.dumps(article.get("author") or "")[1:-1],
        editor=_esc(article.get("editor") or ""),
        body_html=render_body(article, outlet_id, outlet, base),
        footer=_esc(outlet["footer"]),
    )


def _rss(title: str, link: str, items: list[tuple[str, str, str]]) -> bytes:
    entries = "".join(
        f"<item><title>{_esc(t)}</title><link>{_esc(u)}</link><guid>{_esc(u)}</guid>"
        f"<pubDate>{d}</pubDate></item>"
        for t, u, d in items
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{_esc(title)}</title><link>{_esc(link)}</link>{entries}</channel></rss>"
    ).encode()


def _rfc822(iso: str | None) -> str:
    from datetime import datetime

    if not iso:
        return formatdate(1732600000, usegmt=True)
    return formatdate(datetime.fromisoformat(iso).timestamp(), usegmt=True)


def _urlset(urls: list[tuple[str, str | None]], news: bool) -> bytes:
    ns = ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"' if news else ""
    body = []
    for url, date in urls:
        extra = ""
        if date and news:
            extra = (
                f"<news:news><news:publication><news:name>ANTARA</news:name>"
                f"<news:language>id</news:language></news:publication>"
                f"<news:publication_date>{date}</news:publication_date></news:news>"
            )
        elif date:
            extra = f"<lastmod>{date}</lastmod>"
        body.append(f"<url><loc>{_esc(url)}</loc>{extra}</url>")
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"{ns}>'
        f"{''.join(body)}</urlset>"
    ).encode()


def _listing(title: str, base: str, links: list[tuple[str, str]], next_url: str | None) -> bytes:
    items = "".join(
        f'<li class="ptb15"><h3><a href="{u}">{_esc(t)}</a></h3></li>' for t, u in links
    )
    nxt = (
        f'<div class="paging"><a rel="next" href="{next_url}">Selanjutnya</a></div>'
        if next_url
        else ""
    )
    return (
        f'<!DOCTYPE html><html lang="id"><head><meta charset="utf-8"><title>{_esc(title)}</title>'
        f'</head><body><nav><a href="{base}/wartakota/jakarta">Jakarta</a> '
        f'<a href="{base}/wartakota/seleb">Seleb</a></nav><h1>{_esc(title)}</h1>'
        f'<ul class="lsi">{items}</ul>{nxt}<aside><a href="{base}/wartakota/tag/viral">Viral</a>'
        f'</aside><footer><a href="{base}/wartakota/about">Tentang Kami</a></footer></body></html>'
    ).encode()


def _telegram_messages(channel: str, title: str, posts: list[dict[str, Any]]) -> str:
    out = []
    for post in posts:
        text = "<br/>".join(_esc(line) for line in post["text"].split("\n"))
        text_div = (
            f'<div class="tgme_widget_message_text js-message_text" dir="auto">{text}</div>'
            if post["text"]
            else '<div class="tgme_widget_message_photo_wrap" style="x"></div>'
        )
        out.append(
            f'<div class="tgme_widget_message_wrap js-widget_message_wrap">'
            f'<div class="tgme_widget_message text_not_supported_wrap js-widget_message" '
            f'data-post="{channel}/{post["number"]}" data-view="x">'
            f'<div class="tgme_widget_message_author accent_color">'
            f'<a class="tgme_widget_message_owner_name" '
            f'href="https://t.me/{channel}"><span dir="auto">{_esc(title)}</span></a></div>'
            f"{text_div}"
            f'<div class="tgme_widget_message_footer"><div class="tgme_widget_message_info">'
            f'<span class="tgme_widget_message_views">1.2K</span>'
            f'<a class="tgme_widget_message_date" href="https://t.me/{channel}/{post["number"]}">'
            f'<time datetime="{post["at"]}" class="time">x</time></a></div></div></div></div>'
        )
    return "\n".join(out)


class FixtureSite:
    """All pages of the fixture outlets, rendered for one base URL."""

    def __init__(self, base: str, slow_seconds: float = 4.0, bench_articles: int = 0) -> None:
        self.base = base
        self.slow_seconds = slow_seconds
        self.content = load_content()
        self.pages: dict[str, Page] = {}
        self.handlers: dict[str, Callable[[dict[str, list[str]]], Page]] = {}
        self._build()
        if bench_articles:
            self._bench(bench_articles)

    def _bench(self, count: int) -> None:
        """``/bench/feed.xml`` and ``count`` article pages for throughput measurements:
        the fixture articles again under new URLs, each with a numbered title."""
        outlets = self.content["outlets"]
        good = [a for a in self.content["articles"] if "expected" in a and not a.get("bad")]
        items: list[tuple[str, str, str]] = []
        for i in range(count):
            source = good[i % len(good)]
            article = {
                **source,
                "title": f"{source['title']} ({i})",
                "path": f"/bench/berita/{i}/{source['id']}",
            }
            self.pages[article["path"]] = Page(
                200, render_article(article, outlets, self.base).encode()
            )
            items.append(
                (article["title"], self.base + article["path"], _rfc822(source.get("published")))
            )
        self.pages["/bench/feed.xml"] = Page(
            200,
            _rss("Bench", self.base + "/bench", items),
            "application/rss+xml",
            conditional=True,
        )

    def article_url(self, article_id: str) -> str:
        return self.base + str(self._article(article_id)["path"])

    def _article(self, article_id: str) -> dict[str, Any]:
        return next(a for a in self.content["articles"] if a["id"] == article_id)

    def _build(self) -> None:
        base = self.base
        outlets = self.content["outlets"]
        articles = self.content["articles"]
        self.pages["/robots.txt"] = Page(
            200, b"User-agent: *\nDisallow: /wartakota/internal/\n", "text/plain; charset=utf-8"
        )
        for article in articles:
            if article.get("bad") == "cp1252":
                body = render_article(article, outlets, base, charset="windows-1252").encode(
                    "cp1252"
                )
                self.pages[article["path"]] = Page(200, body, "text/html; charset=windows-1252")
            elif article.get("bad") == "wrong_charset":
                body = render_article(article, outlets, base, charset="utf-8").encode("cp1252")
                self.pages[article["path"]] = Page(200, body, "text/html; charset=utf-8")
            else:
                self.pages[article["path"]] = Page(
                    200, render_article(article, outlets, base).encode()
                )
            if article.get("amp"):
                amp_path = article["path"].rstrip("/") + "/amp/"
                self.pages[amp_path] = Page(
                    200, render_article(article, outlets, base, amp=True).encode()
                )

        def by_outlet(outlet_id: str) -> list[dict[str, Any]]:
            return [a for a in articles if a["outlet"] == outlet_id]

        # Jabar Ekspres: a WordPress RSS feed; one item links to the AMP copy with
        # tracking parameters, as feeds do, so URL identity must fold it.
        je_items = [
            (
                a["title"],
                base + a["path"] + "?utm_source=rss&utm_medium=rss",
                _rfc822(a.get("published")),
            )
            for a in by_outlet("jabarekspres")
        ]
        first = by_outlet("jabarekspres")[0]
        je_items.append(
            (
                first["title"],
                base + first["path"].rstrip("/") + "/amp/",
                _rfc822(first.get("published")),
            )
        )
        self.pages["/jabarekspres/feed/"] = Page(
            200,
            _rss("Jabar Ekspres", base + "/jabarekspres", je_items),
            "application/rss+xml; charset=utf-8",
            conditional=True,
        )
        # ANTARA: a news sitemap.
        self.pages["/antara/news-sitemap.xml"] = Page(
            200,
            _urlset(
                [(base + a["path"], a.get("published")) for a in by_outlet("antara")], news=True
            ),
            "application/xml; charset=utf-8",
            conditional=True,
        )
        # ANTARA Megapolitan: RSS.
        self.pages["/antara-megapolitan/rss/terkini.xml"] = Page(
            200,
            _rss(
                "ANTARA Megapolitan",
                base + "/antara-megapolitan",
                [
                    (a["title"], base + a["path"], _rfc822(a.get("published")))
                    for a in by_outlet("antara-megapolitan")
                ],
            ),
            "application/rss+xml; charset=utf-8",
            conditional=True,
        )
        # Warta Kota: two listing pages, the first linking to a robots-forbidden draft.
        for page_no in (1, 2):
            links = [
                (a["title"], base + a["path"])
                for a in by_outlet("wartakota")
                if a.get("listing_page") == page_no
            ]
            nxt = base + "/wartakota/news?page=2" if page_no == 1 else None
            path = "/wartakota/news" if page_no == 1 else "/wartakota/news?page=2"
            self.pages[path] = Page(
                200,
                _listing(f"Berita Terkini - Halaman {page_no}", base, links, nxt),
                conditional=True,
            )
        # Berita Jakarta: a sitemap index and a monthly sitemap.
        self.pages["/beritajakarta/sitemap.xml"] = Page(
            200,
            (
                '<?xml version="1.0" encoding="UTF-8"?><sitemapindex '
                'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>'
                f"{base}/beritajakarta/sitemap-berita-2024-09.xml</loc></sitemap></sitemapindex>"
            ).encode(),
            "application/xml",
            conditional=True,
        )
        self.pages["/beritajakarta/sitemap-berita-2024-09.xml"] = Page(
            200,
            _urlset([(base + a["path"], None) for a in by_outlet("beritajakarta")], news=False),
            "application/xml",
            conditional=True,
        )
        # Portal Uji Rusak: an index of broken pages.
        bad_links = [(a["title"], base + a["path"]) for a in by_outlet("portalrusak")]
        bad_links += [
            (e["path"].rsplit("/", 1)[-1], base + e["path"]) for e in self.content["bad_endpoints"]
        ]
        self.pages["/portalrusak/indeks"] = Page(
            200, _listing("Indeks Portal Uji Rusak", base, bad_links, None), conditional=True
        )
        self._bad_endpoints()
        self._telegram()

    def _bad_endpoints(self) -> None:
        for endpoint in self.content["bad_endpoints"]:
            path, kind = endpoint["path"], endpoint["kind"]
            if kind == "empty":
                self.pages[path] = Page(200, b"")
            elif kind == "huge":
                chunk = (
                    "<p>" + "Isi halaman yang sangat panjang tanpa akhir. " * 20 + "</p>\n"
                ).encode()
                repeat = HUGE_BYTES // len(chunk) + 1
                self.pages[path] = Page(200, b"<html><body>" + chunk * repeat + b"</body></html>")
            elif kind == "binary":
                self.pages[path] = Page(200, PNG_BYTES, "text/html; charset=utf-8")
            elif kind == "redirect_loop":
                other = path + "-lagi"
                self.pages[path] = Page(302, b"", headers={"Location": self.base + other})
                self.pages[other] = Page(302, b"", headers={"Location": self.base + path})
            elif kind == "error500":
                self.pages[path] = Page(500, b"<html><body>Internal Server Error</body></html>")
            elif kind == "slow":
                self.handlers[path] = self._slow

    def _slow(self, _query: dict[str, list[str]]) -> Page:
        time.sleep(self.slow_seconds)
        return Page(200, b"<html><body><p>Terlambat.</p></body></html>")

    def _telegram(self) -> None:
        tg = self.content["telegram"]
        channel, title = tg["channel"], tg["title"]
        posts = sorted(tg["posts"], key=lambda p: p["number"])
        per_page = 3

        def page_for(query: dict[str, list[str]]) -> Page:
            before = int(query.get("before", ["0"])[0] or 0)
            older = [p for p in posts if not before or p["number"] < before]
            shown = older[-per_page:]
            more = ""
            if shown and shown[0]["number"] > posts[0]["number"]:
                more = (
                    f'<a class="tme_messages_more js-messages_more" '
                    f'data-before="{shown[0]["number"]}" '
                    f'href="/s/{channel}?before={shown[0]["number"]}"></a>'
                )
            body = (
                _template("telegram")
                .substitute(
                    title=_esc(title),
                    canonical=f"https://t.me/s/{channel}",
                    more=more,
                    messages=_telegram_messages(channel, title, shown),
                )
                .encode()
            )
            return Page(200, body, conditional=True)

        self.handlers[f"/s/{channel}"] = page_for

    def resolve(self, raw_path: str) -> Page | None:
        parts = urlsplit(raw_path)
        handler = self.handlers.get(parts.path)
        if handler is not None:
            return handler(parse_qs(parts.query))
        page = self.pages.get(raw_path) or self.pages.get(parts.path)
        return page


class FixtureServer:
    """A threaded HTTP server for :class:`FixtureSite`, with a request log for tests."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        slow_seconds: float = 4.0,
        bench_articles: int = 0,
    ) -> None:
        server = self
        self.requests: list[tuple[str, int]] = []
        # Conditional request headers seen per path (If-None-Match / If-Modified-Since).
        self.conditional_requests: list[str] = []
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                page = server.site.resolve(self.path)
                if page is None:
                    page = Page(404, b"<html><body>Halaman tidak ditemukan</body></html>")
                status = page.status
                etag = '"' + hashlib.sha1(page.body).hexdigest() + '"'
                if page.conditional and (
                    self.headers.get("If-None-Match") == etag
                    or self.headers.get("If-Modified-Since") == LAST_MODIFIED
                ):
                    status = 304
                with server._lock:
                    server.requests.append((self.path, status))
                    if self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"):
                        server.conditional_requests.append(self.path)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", page.content_type)
                    for key, value in page.headers.items():
                        self.send_header(key, value)
                    if page.conditional:
                        self.send_header("ETag", etag)
                        self.send_header("Last-Modified", LAST_MODIFIED)
                        self.send_header("Cache-Control", "max-age=0, must-revalidate")
                    body = b"" if status == 304 else page.body
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if body:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        address = self.httpd.server_address
        self.host, self.port = str(address[0]), int(address[1])
        self.base_url = f"http://{self.host}:{self.port}"
        self.site = FixtureSite(self.base_url, slow_seconds, bench_articles)
        self._thread: threading.Thread | None = None

    def start(self) -> FixtureServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def requested(self, prefix: str = "") -> list[tuple[str, int]]:
        with self._lock:
            return [(p, s) for p, s in self.requests if p.startswith(prefix)]

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()


def write_sources(base_url: str, target: Path) -> None:
    """The fixture sources file with ``${FIXTURE_BASE}`` resolved."""
    text = (SITES / "sources.yaml").read_text(encoding="utf-8")
    target.write_text(text.replace("${FIXTURE_BASE}", base_url), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--slow-seconds", type=float, default=4.0)
    parser.add_argument("--write-sources", type=Path, help="Write a resolved sources file here.")
    parser.add_argument(
        "--bench-articles",
        type=int,
        default=0,
        help="Also serve /bench/feed.xml with this many article pages.",
    )
    args = parser.parse_args()
    server = FixtureServer(args.host, args.port, args.slow_seconds, args.bench_articles).start()
    if args.write_sources:
        write_sources(server.base_url, args.write_sources)
        print(f"sources file: {args.write_sources}")
    print(f"serving fixture sites on {server.base_url} (Ctrl+C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
