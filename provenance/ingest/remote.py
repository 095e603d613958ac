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
import re
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
    """A failure worth retrying (connection reset, timeout, HTTP 429 / 5xx); retry_after: the server's wait, in seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


MAX_RETRY_AFTER = 120.0  # seconds: a server's Retry-After is waited for up to this (Common Crawl's 503 "slow down")


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
                total = getattr(self.open_at, "total", None)  # the size the source said it has (an early end at a member's end)
                if not chunk and total is not None and self._fetched < total:
                    raise TransientError(f"the stream ended at byte {self._fetched} of {total}")
                if total is not None and self._fetched + len(chunk) > total:  # (a resumed part sent from the wrong byte)
                    raise OSError(f"the server sent more than the file's {total} bytes")
                return chunk
            except (TransientError, ConnectionError, TimeoutError, http.client.IncompleteRead, http.client.RemoteDisconnected) as exc:
                last = exc
            except urllib.error.URLError as exc:  # DNS failure, connection refused: may be transient (HTTP errors are mapped in _HttpOpener)
                last = exc
            if self._src is not None:
                self._src.close()
                self._src = None
            if attempt + 1 < self.attempts:
                self.retries += 1
                wait = self.backoff_seconds * (2 ** attempt)
                time.sleep(max(wait, min(getattr(last, "retry_after", None) or 0.0, MAX_RETRY_AFTER)))
        raise OSError(f"gave up after {self.attempts} attempts at byte {self._fetched}: {last}")


# -- openers ---------------------------------------------------------------------------------

def _opener(url: str) -> Opener:
    lower = url.lower()
    if lower.startswith(("http://", "https://")):
        return _HttpOpener(url)
    if lower.startswith("s3://"):
        return _object_store_opener(url)
    return _fsspec_opener(url)


class _HttpOpener:
    """GET url from a byte offset (a Range request), the resumed parts checked to be of the file the first part was:
    its validator (ETag, else Last-Modified) sent as If-Range and compared, the range's start and total compared. A
    resume stitched another version of the file (replaced on the server meanwhile) or the wrong bytes (a 206 from
    another start) into one stream, hashed and ingested as one file. A server that ignores Range is skipped forward."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.validator: str | None = None  # of the first response
        self.total: int | None = None  # the file's size, as the first response said (Content-Length) or a range's total

    def __call__(self, offset: int) -> BinaryIO:
        headers = {"User-Agent": USER_AGENT}
        if offset:
            headers["Range"] = f"bytes={offset}-"
            if self.validator:
                headers["If-Range"] = self.validator  # (a changed file then comes whole: a 200)
        try:
            resp = urllib.request.urlopen(urllib.request.Request(self.url, headers=headers), timeout=TIMEOUT_SECONDS)
        except urllib.error.HTTPError as exc:
            reason = " ".join(str(exc.reason).split())  # (a redirect loop's reason runs over three lines)
            if exc.code in RETRY_HTTP_CODES:
                raise TransientError(f"HTTP {exc.code} {reason}", _retry_after(exc.headers.get("Retry-After"))) from None
            if exc.code == 416 and offset:  # nothing left past offset, if the file ends there
                total = _content_range(exc.headers.get("Content-Range"))[1] or self.total
                if total is not None and total != offset:
                    raise OSError(f"HTTP 416: the file is {total} bytes on the server, not {offset} (changed during the read?)") from None
                return _Empty()
            raise OSError(f"HTTP {exc.code} {reason}") from None
        validator, length = _validator(resp.headers), _digits(resp.headers.get("Content-Length"))
        if not offset:
            self.validator = validator
            self.total = length if "Content-Encoding" not in resp.headers else None
            return resp  # type: ignore[return-value]
        if resp.status != 206:  # a server that ignores Range, or (If-Range sent) the file changed: a validator and size tell
            if self.validator and validator != self.validator and (self.total is None or length != self.total):
                resp.close()
                raise OSError(f"the file changed on the server during the read ({self.validator}, {self.total} bytes; then "
                              f"{validator}, {length} bytes)")
            _discard(resp, offset)
            return resp  # type: ignore[return-value]
        start, total = _content_range(resp.headers.get("Content-Range"))
        if total is not None and self.total is not None and total != self.total:
            resp.close()
            raise OSError(f"the file changed on the server during the read ({self.total} then {total} bytes)")
        if start is not None and start != offset:
            if start > offset:
                resp.close()
                raise TransientError(f"asked for bytes from {offset}, the server sent them from {start}")
            _discard(resp, offset - start)
        return resp  # type: ignore[return-value]


_CONTENT_RANGE = re.compile(r"\s*bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)\s*$", re.IGNORECASE)


def _validator(headers: object) -> str | None:
    """What If-Range may carry: a strong ETag, else Last-Modified (a weak ETag never matches there: every resume came
    whole, and its start was downloaded again)."""
    etag = headers.get("ETag")  # type: ignore[attr-defined]
    return etag if etag and not etag.startswith("W/") else headers.get("Last-Modified")  # type: ignore[attr-defined]


def _digits(value: str | None) -> int | None:
    """A header's decimal number; None for anything else (str.isdigit takes '²', which int() refuses)."""
    return int(value.strip()) if value and re.fullmatch(r"\s*[0-9]+\s*", value) else None


def _content_range(value: str | None) -> tuple[int | None, int | None]:
    """(first byte, the file's total size) of a Content-Range header; None for what it leaves out ('*') or a bad header."""
    m = _CONTENT_RANGE.match(value or "")
    if m is None:
        return None, None
    return (int(m.group(1)) if m.group(1) else None), (int(m.group(2)) if m.group(2) != "*" else None)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (a number of seconds, or an HTTP date)."""
    if not value:
        return None
    if re.fullmatch(r"\s*[0-9]+(?:\.[0-9]*)?\s*", value):
        return float(value)
    try:
        from email.utils import parsedate_to_datetime

        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


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
    if address_path(url).lower().endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8")


def address_path(url: str) -> str:
    """An address without its query or fragment (a presigned URL's signature), for its file name's suffix."""
    return url.split("?", 1)[0].split("#", 1)[0]


def url_join(base: str, rel: str) -> str:
    """Join a listing entry to a URL prefix (s3://bucket/, https://host/)."""
    return base.rstrip("/") + "/" + rel.lstrip("/")
