"""Whether a Common Crawl WARC file holds pages: what makes it the twin of the WET file of the same name.

Common Crawl gives a segment's four files one base name: `warc/X.warc.gz` (the pages), `robotstxt/X.warc.gz`
(robots.txt fetches), `crawldiagnostics/X.warc.gz` (redirects and errors) and `wet/X.warc.wet.gz` (the text it
extracted from the first). A WET file's pages are its WARC's again, so one of the two is left out (inputs.py), and a
WARC ingested after its WET replaces it (commit.py, scale/executor.py). Out of their folders (a flat download
folder) the name alone paired the WET with any of the three: a robots.txt WARC replaced the WET's documents with
none. Which of the three a file is, its responses say:

- most are robots.txt fetches, or not 2xx: a robots.txt or crawldiagnostics file, no twin. Not all: a robots.txt
  fetch redirected to a site's home page keeps that page's capture in the robots.txt file (commoncrawl/nutch#19:
  5.2% of them in CC-MAIN-2021-25);
- most are 2xx responses to other addresses: pages, the WET's twin;
- none looked at (a file cut before its first response, or every page left out by --sample-rate): unknown, and the
  name decides, as it always did.

Before a run `peek` reads a file's first responses; once read, `read_pages` takes its counts (a FileResult's, a
ledger row's: extract.py skips robots.txt fetches as `robots-txt` and non-2xx responses as `http-status`).
"""
from __future__ import annotations

import re
from collections.abc import Mapping

PEEK_RESPONSES = 15  # responses looked at (Common Crawl's files are each nearly all of one kind)
PEEK_RECORDS = 240  # ... within this many records, and the first 16 MiB of the file; records over 1 MiB unread
PEEK_FILE_BYTES = 16 << 20
PEEK_RECORD_BYTES = 1 << 20
NOT_PAGES = ("robots-txt", "http-status")  # skip_counts' reasons of a response that is no page
_STATUS = re.compile(rb"HTTP/[0-9.]+[ \t]+([0-9]{3})")


def peek(path: str) -> bool | None:
    """Whether a local WARC file holds pages, by its first responses (None: no response read, or no file)."""
    from provenance.ingest.extract import is_robots_txt
    from provenance.ingest.readers import RawRecord, iter_records

    pages = others = 0
    records = iter_records(path, PEEK_RECORD_BYTES)
    try:
        for _, item in zip(range(PEEK_RECORDS), records):
            if (item.offset or 0) > PEEK_FILE_BYTES or 2 * max(pages, others) > PEEK_RESPONSES:  # (most of them: decided)
                break
            if isinstance(item, RawRecord) and item.type == "response":
                url = item.headers.get("warc-target-uri", "").strip("<> ")
                if _ok(item.block) and not is_robots_txt(url):
                    pages += 1
                else:
                    others += 1
    except (OSError, EOFError, ValueError):  # (a reader's faults are items; these are the file's own)
        pass
    finally:
        records.close()
    return _most(pages, others)


def read_pages(record_counts: Mapping[str, int] | None, skip_counts: Mapping[str, int] | None, n_sampled_out: int) -> bool | None:
    """Whether a file read held pages, by its counts (a FileResult's, a ledger row's; None: no response examined)."""
    examined = (record_counts or {}).get("response", 0) - n_sampled_out  # (sampling comes before a record is looked at)
    others = sum((skip_counts or {}).get(reason, 0) for reason in NOT_PAGES)
    return _most(max(examined - others, 0), others)


def twin(verdict: bool | None) -> bool:
    """Whether a WARC of a WET's name is taken for its twin: unless it is known to hold no pages."""
    return verdict is not False


def _most(pages: int, others: int) -> bool | None:
    return None if pages + others <= 0 else pages > others


def _ok(block: bytes) -> bool:
    m = _STATUS.match(bytes(block[:32]))
    return m is not None and m.group(1).startswith(b"2")


__all__ = ["peek", "read_pages", "twin", "PEEK_RESPONSES"]
