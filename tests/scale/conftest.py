"""A local HTTP server (127.0.0.1 only) with Range support and injectable failures, for streaming tests."""
from __future__ import annotations

import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import response_record, warcinfo


class _Handler(http.server.BaseHTTPRequestHandler):
    root: Path
    failures: dict[str, list[str]]  # path -> actions for its next requests: "503", "cut", "retry-after:N", "swap:REL", "from-zero"
    requests: list[tuple[str, str | None]]
    etags: str = "strong"  # or "weak", "per-response"

    def do_GET(self) -> None:
        self.requests.append((self.path, self.headers.get("Range")))
        target = self.root / self.path.split("?", 1)[0].lstrip("/")  # (a query: a presigned address)
        actions = self.failures.get(self.path)
        action = actions.pop(0) if actions else None
        if action == "503":
            self.send_error(503, "try again")
            return
        if action and action.startswith("retry-after:"):  # 503 with a wait
            self.send_response(503)
            self.send_header("Retry-After", action.split(":", 1)[1])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if action and action.startswith("swap:"):  # the file replaced on the server by another
            target = self.root / action.split(":", 1)[1]
        if not target.is_file():
            self.send_error(404, "not found")
            return
        data = target.read_bytes()
        etag = f'"{hashlib.sha256(data).hexdigest()[:16]}"'
        if self.etags == "weak":
            etag = "W/" + etag
        elif self.etags == "per-response":  # a load balancer's nodes, each with its own tag for the same bytes
            etag = f'"{len(self.requests)}"'
        start = int(self.headers["Range"].split("=")[1].split("-")[0]) if self.headers.get("Range") else 0
        if_range = self.headers.get("If-Range")
        if start and if_range is not None and (if_range != etag or etag.startswith("W/")):  # not the same: whole (RFC 9110)
            start = 0 if self.etags != "per-response" else start  # (a balancer's node that ignores If-Range)
        body = data[start:] if action != "from-zero" else data  # from-zero: a 206 whose bytes start at 0
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", etag)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        if action == "cut":  # send part of the body, then drop the connection
            self.wfile.write(body[: len(body) // 3])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class LocalServer:
    def __init__(self, root: Path) -> None:
        handler = type("H", (_Handler,), {"root": root, "failures": {}, "requests": []})
        self.handler = handler
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, rel: str) -> str:
        return f"{self.base}/{rel}"

    def fail(self, rel: str, *actions: str) -> None:
        self.handler.failures["/" + rel] = list(actions)

    @property
    def requests(self) -> list[tuple[str, str | None]]:
        return self.handler.requests

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[LocalServer]:
    """Serve tmp_path/www over HTTP on 127.0.0.1."""
    root = tmp_path / "www"
    root.mkdir()
    server = LocalServer(root)
    yield server
    server.close()


# -- comparing a store built by the local executor with one attached to shards ---------------------

DOC_COLUMNS = "record_id, url, host, domain, crawl, fetch_time, year, lang, lang_score, content_type, record_type, n_chars, n_tokens, text_hash, record_offset"


def content(store) -> dict[str, list[tuple]]:
    """Everything ingest produced, keyed by what does not depend on source ids."""
    q = {
        "documents": f"SELECT {DOC_COLUMNS} FROM documents ORDER BY ALL",
        "texts": "SELECT d.record_id, t.text FROM texts t JOIN documents d USING (doc_id) ORDER BY ALL",  # (ARC records have no id)
        "token_counts": "SELECT crawl, year, lang, tokenizer, token, sum(count)::BIGINT FROM token_counts GROUP BY ALL ORDER BY ALL",
        "blocks": "SELECT count(DISTINCT block) FROM token_counts",
        "signatures": "SELECT d.record_id, s.minhash FROM signatures s JOIN documents d USING (doc_id) ORDER BY ALL",
        "band_keys": "SELECT d.record_id, b.band, b.key FROM band_keys b JOIN documents d USING (doc_id) ORDER BY ALL",
        "sources": "SELECT regexp_extract(path, '[^/]+$'), sha256, size, status, format, compression, crawl, n_records, n_docs, n_errors, "
                   "record_counts::VARCHAR, skip_counts::VARCHAR FROM sources ORDER BY 1",
        "ingest_errors": "SELECT regexp_extract(path, '[^/]+$'), \"offset\", kind, reason FROM ingest_errors ORDER BY ALL",
        "yearly_summary": "SELECT * FROM yearly_summary",
    }
    out = {name: store.sql(sql).fetchall() for name, sql in q.items()}
    out["sources"] = [(*r[:-2], json.loads(r[-2]), json.loads(r[-1])) for r in out["sources"]]  # JSON spacing differs
    return out


def files_of_two_crawls(make_warc, files: int, records: int) -> list[str]:
    """WARC files of two crawls, alternating (CC-MAIN-2020-10 first), each of `records` pages of its own site."""
    paths = []
    for n in range(files):
        crawl, date = ("CC-MAIN-2019-35", "2019-08-17T10:00:00Z") if n % 2 else ("CC-MAIN-2020-10", "2020-03-01T00:00:00Z")
        pages = [response_record(10 * n + i, date=date, url=f"https://s{n}.example.net/{i}") for i in range(records)]
        paths.append(str(make_warc(f"f{n}.warc.gz", [warcinfo(crawl), *pages])))
    return paths


def read_only(monkeypatch) -> None:
    """Shard folders cannot be written from here on (as on read-only storage): their small files and parts alike."""
    def refuse(self, *args):
        raise PermissionError(30, "Read-only file system")

    from provenance.scale.layout import ShardDir
    monkeypatch.setattr(ShardDir, "write_bytes", refuse)
    monkeypatch.setattr(ShardDir, "put_file", refuse)
