"""Whether a WARC file holds pages: what makes it the twin of the WET file of the same name.

Common Crawl gives a segment's four files one base name: `warc/X.warc.gz` (the pages), `robotstxt/X.warc.gz`
(robots.txt fetches), `crawldiagnostics/X.warc.gz` (redirects and errors) and `wet/X.warc.wet.gz` (the text it
extracted from the first). A WET file's pages are its WARC's again, so one of the two is left out (inputs.py), and a
WARC ingested after its WET replaces it (commit.py, scale/executor.py). The name alone pairs the WET with any of the
three WARC files once they are out of their folders (a flat download folder): a robots.txt WARC then replaced the
WET's documents with none. A WARC is its WET's twin only once it is known to hold pages:

- before it is read (`peek`): a 2xx response to an address other than a robots.txt among its first records;
- once read (`read_pages`): it gave documents, or pages that --lang filtered out (robots.txt files and non-2xx
  responses give none: extract.py skips them).
"""
from __future__ import annotations

import re
from collections.abc import Mapping

PEEK_RECORDS = 240  # records looked through (a crawl of one site fetches robots.txt, and is redirected, first)
PEEK_RECORD_BYTES = 1 << 20  # larger records are skipped unread (their status line is not worth a MiB)
PEEK_FILE_BYTES = 16 << 20  # ... and records past this offset in the file are not looked at
_STATUS = re.compile(rb"HTTP/[0-9.]+[ \t]+([0-9]{3})")


def peek(path: str) -> bool:
    """Whether a local WARC file's first records hold a page: a response of status 2xx to an address that is not a
    robots.txt. A file that cannot be read (missing, corrupt from its start) holds none to count twice."""
    from provenance.ingest.extract import is_robots_txt
    from provenance.ingest.readers import RawRecord, iter_records

    records = iter_records(path, PEEK_RECORD_BYTES)
    try:
        for _, item in zip(range(PEEK_RECORDS), records):
            if (item.offset or 0) > PEEK_FILE_BYTES:
                break
            if isinstance(item, RawRecord) and item.type == "response" and _ok(item.block):
                url = item.headers.get("warc-target-uri", "").strip("<> ")
                if url and not is_robots_txt(url):
                    return True
    except (OSError, EOFError, ValueError):  # (a reader's faults are items; these are the file's own)
        return False
    finally:
        records.close()
    return False


def read_pages(n_docs: int, skip_counts: Mapping[str, int] | None) -> bool:
    """Whether a file read (a FileResult's, a ledger row's counts) held pages: documents, or pages --lang left out."""
    return n_docs > 0 or (skip_counts or {}).get("lang-filtered", 0) > 0


def _ok(block: bytes) -> bool:
    m = _STATUS.match(bytes(block[:32]))
    return m is not None and m.group(1).startswith(b"2")


__all__ = ["peek", "read_pages", "PEEK_RECORDS"]
