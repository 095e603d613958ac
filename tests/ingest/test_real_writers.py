"""Archives written by real tools, of a real HTTP exchange: GNU wget's --warc-file and warcio's capture_http.

A local server serves pages the way the web does (gzip and deflate bodies, chunked transfer, a
Windows-1251 page named only by its <meta> tag, Shift_JIS by http-equiv, Latin-1 text, an image,
a 404, a redirect); the tools record the exchange with their own quirks (wget puts the target URI
in angle brackets, writes its log as a resource record, records revisits with --warc-dedup, splits
files with --warc-max-size; warcio 1.1 writes microsecond dates). Every page must come out as the
text the server sent, and every other record be counted, not stored.
"""
from __future__ import annotations

import gzip
import http.client
import http.server
import json
import os
import shutil
import subprocess
import threading
import zlib
from pathlib import Path

import pytest

from provenance.config import IngestConfig
from provenance.ingest.pipeline import ingest
from provenance.store import Store

PAGES = {
    "/": ("text/html; charset=utf-8", None, '<html><head><title>Home</title></head><body><nav><a href="/gz">gz</a> '
          '<a href="/chunked">c</a> <a href="/ru">ru</a> <a href="/jp">jp</a> <a href="/missing">404</a> <a href="/moved">301</a> '
          '<a href="/img.png">img</a> <a href="/plain.txt">txt</a> <a href="/deflate">d</a></nav><main><h1>Welcome home</h1>'
          '<p>The quick brown fox jumps over the lazy dog near the riverbank every morning.</p></main></body></html>'.encode()),
    "/gz": ("text/html", "gzip", gzip.compress("<html><body><article><h1>Compressed</h1><p>Ein Straßenverkehrsgesetz für "
                                               "Fußgänger: Grüße aus München und Köln.</p></article></body></html>".encode())),
    "/deflate": ("text/html; charset=utf-8", "deflate", zlib.compress("<html><body><p>Deflated page about élan vital and café "
                                                                      "society in Montréal.</p></body></html>".encode())),
    "/ru": ("text/html", None, '<html><head><meta charset="windows-1251"></head><body><p>Привет, мир! Это страница на русском '
            'языке о погоде в Москве и Санкт-Петербурге.</p></body></html>'.encode("cp1251")),
    "/jp": ("text/html", None, '<html><head><meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS"></head><body>'
            '<p>日本語のページです。東京の天気は晴れです。桜が咲いています。</p></body></html>'.encode("shift_jis")),
    "/plain.txt": ("text/plain; charset=iso-8859-1", None, "Plain text in Latin-1: naïve façade, jalapeño, smörgåsbord.\n".encode("latin-1")),
    "/img.png": ("image/png", None, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4),
}
CHUNKED = "<html><body><p>Chunked transfer: this page arrives in several pieces over the wire.</p></body></html>".encode()
TEXTS = {  # path -> what its document's text must hold: the server's words, decoded
    "/": "The quick brown fox jumps over the lazy dog",
    "/gz": "Ein Straßenverkehrsgesetz für Fußgänger",
    "/deflate": "élan vital and café society in Montréal",
    "/chunked": "Chunked transfer: this page arrives in several pieces",
    "/ru": "Привет, мир! Это страница на русском языке",
    "/jp": "日本語のページです。東京の天気は晴れです。",
    "/plain.txt": "naïve façade, jalapeño, smörgåsbord",
}


class _Site(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(CHUNKED), 17):
                piece = CHUNKED[i : i + 17]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        if self.path == "/moved":
            self._send(301, {"Location": "/"}, b"")
        elif self.path in PAGES:
            ctype, encoding, body = PAGES[self.path]
            self._send(200, {"Content-Type": ctype, **({"Content-Encoding": encoding} if encoding else {})}, body)
        else:
            self._send(404, {"Content-Type": "text/html"}, b"<html><body>Not found</body></html>")

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def site() -> str:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _wget(site: str, folder: Path, *options: str) -> None:
    wget = shutil.which("wget")
    version = subprocess.run([wget, "--version"], capture_output=True, text=True).stdout if wget else ""
    if not version.startswith("GNU Wget 1."):  # wget2 (Fedora's wget) and BusyBox write no WARC
        pytest.skip("GNU Wget 1.x is not installed")
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    done = subprocess.run([wget, "--no-config", "--no-proxy", "--no-hsts", "--tries=1", "--timeout=20", "-e", "robots=on",
                           "-q", "-r", "-l", "2", "-P", str(folder / "mirror"), *options, f"http://{site}/"],
                          cwd=folder, env=env, timeout=120, check=False)
    assert done.returncode in (0, 8), done  # 8: the 404 (a server error response), as intended
    shutil.rmtree(folder / "mirror", ignore_errors=True)


def _ingest(tmp_path: Path, *paths: Path):
    db = tmp_path / "real.duckdb"
    summary = ingest([str(p) for p in paths], IngestConfig(db=str(db), workers=1))
    with Store(str(db), read_only=True) as s:
        docs = s.con.execute("SELECT url, doc_id, fetch_time FROM documents ORDER BY doc_id").fetchall()
        texts = dict(s.con.execute("SELECT doc_id, text FROM texts").fetchall())
        sources = s.con.execute("SELECT path, record_counts, skip_counts FROM sources ORDER BY path").fetchall()
    by_path = {}
    for url, doc_id, fetch_time in docs:
        by_path.setdefault(url.split(site_of(url), 1)[1], []).append((texts[doc_id], fetch_time))
    counts = {Path(p).name: (json.loads(r), json.loads(k)) for p, r, k in sources}
    return summary, by_path, counts


def site_of(url: str) -> str:
    return url.split("/")[2]


def _assert_every_page_read(by_path: dict) -> None:
    assert set(by_path) == set(TEXTS)  # not the 404, the redirect, the image, robots.txt or wget's log
    for path, docs in by_path.items():
        assert all(TEXTS[path] in text for text, _ in docs), (path, docs)


def test_wget_warc_gzip_and_plain_give_every_page_in_its_own_words(site, tmp_path):
    _wget(site, tmp_path, "--warc-file=site")
    _wget(site, tmp_path, "--warc-file=plain", "--no-warc-compression")

    summary, by_path, counts = _ingest(tmp_path, tmp_path / "site.warc.gz", tmp_path / "plain.warc")

    assert (summary.ingested, summary.failed, summary.errors) == (2, 0, 0)
    _assert_every_page_read(by_path)
    assert [len(by_path[p]) for p in ("/gz", "/ru")] == [2, 2]  # one per file: the same capture in both
    for name in ("site.warc.gz", "plain.warc"):
        records, skips = counts[name]
        assert records["request"] == records["response"] == 12  # 9 pages, robots.txt, "/" twice (as linked)
        assert (records["warcinfo"], records["metadata"], records["resource"]) == (1, 1, 2)  # wget's manifest and log
        assert (skips["http-status"], skips["non-text"], skips["resource-not-web"], skips["robots-txt"]) == (2, 1, 2, 1)  # 404, 301; the image


def test_wget_split_files_and_dedup_revisits_are_counted_not_stored(site, tmp_path):
    _wget(site, tmp_path, "--warc-file=first", "--warc-cdx")
    _wget(site, tmp_path, "--warc-file=split", "--warc-max-size=3k", "--warc-dedup=first.cdx")
    parts = sorted(tmp_path.glob("split-*.warc.gz"))

    summary, by_path, counts = _ingest(tmp_path, tmp_path / "first.warc.gz", *parts)

    assert (summary.ingested, summary.failed, summary.errors) == (len(parts) + 1, 0, 0)
    _assert_every_page_read(by_path)
    assert all(len(docs) == 1 for path, docs in by_path.items() if path != "/")  # the second crawl's pages are revisits
    revisits = sum(counts[p.name][0].get("revisit", 0) for p in parts)
    assert revisits >= 8 and revisits == sum(counts[p.name][1].get("revisit", 0) for p in parts)
    assert counts["split-meta.warc.gz"][1] == {"metadata": 1, "resource-not-web": 2}


@pytest.mark.parametrize("version, compress", [("1.0", True), ("1.1", False)])
def test_warcio_capture_http_gives_every_page_with_its_fetch_time(site, tmp_path, version, compress):
    from warcio import capture_http as warcio_capture

    http.client.HTTPConnection = warcio_capture.orig_connection  # warcio swaps its class in for the whole process on import
    capture_http = warcio_capture.capture_http

    path = tmp_path / f"captured.warc{'.gz' if compress else ''}"
    with capture_http(str(path), gzip=compress, warc_version=version):
        for page in ["/", "/gz", "/chunked", "/ru", "/jp", "/plain.txt", "/img.png", "/missing", "/deflate", "/moved"]:
            conn = warcio_capture.RecordingHTTPConnection(*site.split(":"))
            conn.request("GET", page, headers={"Accept-Encoding": "gzip"})
            conn.getresponse().read()
            conn.close()

    summary, by_path, counts = _ingest(tmp_path, path)

    assert (summary.ingested, summary.failed, summary.errors) == (1, 0, 0)
    _assert_every_page_read(by_path)
    assert counts[path.name] == ({"request": 10, "response": 10}, {"request": 10, "http-status": 2, "non-text": 1})
    times = [t for docs in by_path.values() for _, t in docs]
    assert all(t.microsecond for t in times) if version == "1.1" else not any(t.microsecond for t in times)
