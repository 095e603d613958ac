"""Open local files and remote URLs (http, https, s3, other fsspec schemes) as forward byte streams.

Remote inputs are streamed, never downloaded to disk. `ForwardStream` reads the source forward
only, retries a failed read with backoff and resumes at the byte where it stopped (an HTTP Range
request, or a seek on an object store), hashes every byte as it passes (sha256 of the whole file
without a second read), and keeps the last `window_bytes` it read so that the reader's few short
seeks backward work: the 4-byte sniff at the start, and the gzip resync, which rescans the bytes of
a corrupt member from its start + 1. A seek further back than the window is clamped to the oldest
byte kept (counted in `clamped_seeks`); see docs/scale.md for what that changes.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import BinaryIO

from provenance.errors import first_line

REMOTE_PREFIXES = ("s3://", "http://", "https://", "gs://", "gcs://", "az://", "abfs://")
FETCH_BYTES = 8 << 20  # bytes per request to the source: few round trips, bounded memory
WINDOW_BYTES = 16 << 20  # bytes kept for seeks backward (the gzip resync of a corrupt member)
ATTEMPTS = 5  # tries per read (the first + 4 retries), with exponential backoff
BACKOFF_SECONDS = 0.5
TIMEOUT_SECONDS = 60.0
RETRY_HTTP_CODES = frozenset({408, 425, 429, 500, 502, 503, 504})
USER_AGENT = "provenance (+https://github.com/provenance; Common Crawl drift measurement)"

Opener = Callable[[int], BinaryIO]  # opens the source positioned at a byte offset


class TransientError(OSError):
    """A failure worth retrying (connection reset, timeout, HTTP 429 / 5xx)."""


def is_remote(path: str) -> bool:
    """Return True for URLs this module streams (s3://, http(s)://, gs://, ...)."""
    return path.lower().startswith(REMOTE_PREFIXES)


@contextmanager
def open_input(path: str) -> Iterator[BinaryIO]:
    """Open a local file or a remote URL for reading; remote ones as a retrying ForwardStream."""
    if not is_remote(path):
        with open(path, "rb") as f:
            yield f
        return
    stream = ForwardStream(_opener(path), path)
    try:
        yield stream  # type: ignore[misc]
    finally:
        stream.close()


class ForwardStream:
    """A forward-only, retrying, hashing reader with a bounded window for short seeks backward."""

    def __init__(self, open_at: Opener, name: str, window_bytes: int = WINDOW_BYTES,
                 attempts: int = ATTEMPTS, backoff_seconds: float = BACKOFF_SECONDS) -> None:
        self.open_at, self.name = open_at, name
        self.window_bytes, self.attempts, self.backoff_seconds = window_bytes, attempts, backoff_seconds
        self._src: BinaryIO | None = None
        self._fetched = 0  # bytes taken from the source so far (= end of the window)
        self._chunks: deque[bytes] = deque()  # the window, oldest first
        self._kept = 0  # bytes in the window
        self._pos = 0  # the reader's position
        self._eof = False
        self._hash = hashlib.sha256()
        self.retries = 0
        self.clamped_seeks = 0

    # -- the file-object surface the readers use ---------------------------------------------
    def read(self, n: int = -1) -> bytes:
        """Return up to n bytes (all the rest when n < 0); b'' at the end of the source."""
        if n < 0:
            return b"".join(iter(lambda: self.read(FETCH_BYTES), b""))
        if self._pos >= self._fetched and not self._fill():
            return b""
        out = self._from_window(self._pos, n)
        self._pos += len(out)
        return out

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move to an absolute offset; backward only within the window (else to its start)."""
        if whence != 0:
            raise OSError(f"{self.name}: forward stream supports absolute seeks only")
        start = self._fetched - self._kept
        if offset < start:
            self.clamped_seeks += 1
            offset = start
        while offset > self._fetched and self._fill():
            pass
        self._pos = min(offset, self._fetched)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if self._src is not None:
            self._src.close()
            self._src = None
        self._chunks.clear()

    # -- what the worker records ----------------------------------------------------------------
    def finish(self) -> tuple[int, str]:
        """Read to the end (hashing what the reader skipped); return (size, sha256 hex)."""
        while self._fill(keep=False):
            pass
        return self._fetched, self._hash.hexdigest()

    # -- internals ------------------------------------------------------------------------------
    def _from_window(self, pos: int, n: int) -> bytes:
        base = self._fetched - self._kept
        parts, need = [], n
        for chunk in self._chunks:
            if pos >= base + len(chunk):
                base += len(chunk)
                continue
            lo = pos - base
            piece = chunk[lo : lo + need]
            parts.append(piece)
            need -= len(piece)
            pos += len(piece)
            base += len(chunk)
            if not need:
                break
        return b"".join(parts)

    def _fill(self, keep: bool = True) -> bool:
        """Take the next chunk from the source into the window; False at its end."""
        if self._eof:
            return False
        chunk = self._fetch()
        if not chunk:
            self._eof = True
            self.close()
            return False
        self._hash.update(chunk)
        self._fetched += len(chunk)
        if keep:
            self._chunks.append(chunk)
            self._kept += len(chunk)
            while self._kept - len(self._chunks[0]) >= self.window_bytes and len(self._chunks) > 1:
                self._kept -= len(self._chunks.popleft())
        else:
            self._chunks.clear()
            self._kept = 0
            self._pos = self._fetched
        return True

    def _fetch(self) -> bytes:
        """Read from the source; on a transient failure reopen at the same offset, with backoff."""
        for attempt in range(self.attempts):
            try:
                if self._src is None:
                    self._src = self.open_at(self._fetched)
                chunk = self._src.read(FETCH_BYTES)
                if not chunk and getattr(self._src, "length", None):  # http.client returns b'' on a short body
                    raise TransientError(f"connection closed {self._src.length} bytes before the end of the body")  # type: ignore[attr-defined]
                return chunk
            except (TransientError, ConnectionError, TimeoutError, http.client.IncompleteRead, http.client.RemoteDisconnected) as exc:
                last = exc
            except urllib.error.URLError as exc:  # DNS failure, connection refused: may be transient (HTTP errors are mapped in _open_http)
                last = exc
            if self._src is not None:
                self._src.close()
                self._src = None
            if attempt + 1 < self.attempts:
                self.retries += 1
                time.sleep(self.backoff_seconds * (2 ** attempt))
        raise OSError(f"{self.name}: gave up after {self.attempts} attempts at byte {self._fetched}: {last}")


# -- openers ---------------------------------------------------------------------------------

def _opener(url: str) -> Opener:
    lower = url.lower()
    if lower.startswith(("http://", "https://")):
        return lambda offset: _open_http(url, offset)
    if lower.startswith("s3://"):
        return _object_store_opener(url)
    return _fsspec_opener(url)


def _open_http(url: str, offset: int) -> BinaryIO:
    """GET url from byte `offset` (a Range request); a server that ignores Range is skipped forward."""
    headers = {"User-Agent": USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    req = urllib.request.Request(url, headers=headers)
    try:
        resp = urllib.request.urlopen(req, timeout=TIMEOUT_SECONDS)
    except urllib.error.HTTPError as exc:
        if exc.code in RETRY_HTTP_CODES:
            raise TransientError(f"HTTP {exc.code} {exc.reason}") from None
        if exc.code == 416 and offset:  # nothing left past offset
            return _Empty()
        raise OSError(f"HTTP {exc.code} {exc.reason}") from None
    if offset and resp.status != 206:
        _discard(resp, offset)
    return resp  # type: ignore[return-value]


def _discard(f: BinaryIO, n: int) -> None:
    while n > 0:
        got = f.read(min(n, FETCH_BYTES))
        if not got:
            raise TransientError("connection closed while skipping to the resume offset")
        n -= len(got)


class _Empty:
    def read(self, n: int = -1) -> bytes:
        return b""

    def close(self) -> None:
        pass


def _object_store_opener(url: str) -> Opener:
    """s3:// through pyarrow's S3 filesystem (credentials from the environment, or anonymous)."""
    from pyarrow import fs as pafs

    anonymous = os.environ.get("PROVENANCE_S3_ANONYMOUS", "").lower() in ("1", "true", "yes")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    s3 = pafs.S3FileSystem(anonymous=anonymous, region=region)
    key = url[len("s3://"):]

    def open_at(offset: int) -> BinaryIO:
        try:
            f = s3.open_input_file(key)
            f.seek(offset)
            return f  # type: ignore[return-value]
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise TransientError(first_line(exc)) from None

    return open_at


def _fsspec_opener(url: str) -> Opener:
    """Any other scheme through fsspec (gcsfs, adlfs, ... must be installed)."""
    try:
        import fsspec
    except ImportError:
        raise OSError(f"{url.split('://')[0]}:// inputs need fsspec: pip install 'provenance[ray]'") from None

    def open_at(offset: int) -> BinaryIO:
        f = fsspec.open(url, "rb", block_size=FETCH_BYTES).open()
        f.seek(offset)
        return f

    return open_at


def read_remote_text(url: str) -> str:
    """Return a small remote text file (a *.paths listing), gunzipped when it ends in .gz."""
    import gzip

    with open_input(url) as f:
        data = f.read()
    if url.lower().endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8")


def url_join(base: str, rel: str) -> str:
    """Join a listing entry to a URL prefix (s3://bucket/, https://host/)."""
    return base.rstrip("/") + "/" + rel.lstrip("/")
