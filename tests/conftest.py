"""Shared fixtures: stores, and factories for archive files with pinned ids and dates."""
from __future__ import annotations

import gzip
import hashlib
import io
import uuid
from pathlib import Path
from typing import Callable

import pytest

from provenance.store import Store

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/**/golden files from the current output")


def children(pid: int) -> list[int]:
    """The live child processes of pid (Linux /proc)."""
    out = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            out += [int(c) for c in (task / "children").read_text().split()]
    except OSError:  # pid gone
        pass
    return out


def descendants(pid: int) -> list[int]:
    """Children, grandchildren, ... of pid (the ingest's forkserver, its workers, the resource tracker)."""
    out, todo = [], children(pid)
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children(p)
    return out


def alive(pid: int) -> bool:
    """Whether pid is a live (not zombie) process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture
def store() -> Store:
    """An in-memory store with every migration applied."""
    s = Store(":memory:")
    yield s
    s.close()


def record_id(seed: str) -> str:
    return f"<urn:uuid:{uuid.UUID(bytes=hashlib.sha256(seed.encode()).digest()[:16])}>"


def warc_record(warc_type: str, block: bytes, url: str | None = None, date: str = "2019-08-17T10:00:00Z",
                content_type: str | None = None, extra: dict[str, str] | None = None, seed: str = "") -> bytes:
    """One WARC/1.0 record, byte-exact."""
    headers = {"WARC-Type": warc_type, "WARC-Record-ID": record_id(seed or f"{warc_type}{url}{len(block)}"), "WARC-Date": date}
    if url:
        headers["WARC-Target-URI"] = url
    if content_type:
        headers["Content-Type"] = content_type
    headers.update(extra or {})
    headers["Content-Length"] = str(len(block))
    head = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return head.encode() + block + b"\r\n\r\n"


def http_response(body: bytes, content_type: str = "text/html; charset=utf-8", status: str = "200 OK",
                  extra: list[tuple[str, str]] | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status}", f"Content-Type: {content_type}", *[f"{k}: {v}" for k, v in (extra or [])]]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def html_page(title: str, text: str) -> bytes:
    return f"<!doctype html><html><head><title>{title}</title></head><body><main><h1>{title}</h1><p>{text}</p></main></body></html>".encode()


def gz(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as f:
        f.write(data)
    return buf.getvalue()


def response_record(i: int, text: str | None = None, url: str | None = None, date: str = "2019-08-17T10:00:00Z") -> bytes:
    text = text or f"Document number {i} talks about gardens, rivers and the quiet work of keeping archives. " * 5
    url = url or f"https://site{i % 5}.example.org/page/{i}"
    return warc_record("response", http_response(html_page(f"Page {i}", text)), url, date, "application/http; msgtype=response", seed=f"r{i}{url}")


def warcinfo(crawl: str | None = "CC-MAIN-2019-35") -> bytes:
    body = "software: provenance-tests\r\nformat: WARC File Format 1.0\r\n" + (f"isPartOf: {crawl}\r\n" if crawl else "")
    return warc_record("warcinfo", body.encode(), None, content_type="application/warc-fields", seed=f"info{crawl}")


@pytest.fixture
def make_warc(tmp_path: Path) -> Callable[..., Path]:
    """Write records to a file: gzip='members' (one member each), 'whole', or None."""

    def make(name: str, records: list[bytes], gzip_style: str | None = "members") -> Path:
        path = tmp_path / name
        if gzip_style == "members":
            path.write_bytes(b"".join(gz(r) for r in records))
        elif gzip_style == "whole":
            path.write_bytes(gz(b"".join(records)))
        else:
            path.write_bytes(b"".join(records))
        return path

    return make
