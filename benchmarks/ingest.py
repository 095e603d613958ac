"""Ingest throughput against two baselines on the same generated input, in one run.

Generates (never commits) a WARC of >= 20,000 HTML responses (small ~6 KB pages), the same with
~30 KB pages (inline CSS/JS, nested markup, link lists: closer to the HTML size of real crawls,
where extraction costs more and our per-document work the same), the same ~30 KB pages as Common
Crawl's WARC files hold them (each response between a request and a metadata record, with their
usual WARC and HTTP headers: three records per document), and a WET of >= 20,000 documents of
about 4,000 characters, each split into 8 files, then measures:
  * provenance ingest, 1 and 2 workers (subprocesses; docs/s, MB/s, peak RSS of any process, and docs
    per CPU-second of the whole process tree: "1 worker" also runs the writer in a second process);
    docs/s is end to end (interpreter start to exit), and also by the ingest's own clock (its --json
    seconds: after the interpreter, the imports and the store opening, as the floor's clock starts
    after its imports; ~1 s of a 5-10 s run here, nothing on a crawl's hours);
  * the floor: FastWARC read + resiliparse extraction alone, no features, no store;
  * a naive pipeline: warcio + resiliparse + datasketch MinHash + row-by-row DuckDB inserts
    (run on a subset and reported per second).
  * where the time goes: each stage's time per document in this process (the floor's reading and
    extraction; ingest's reading, extraction, features and parts), which shows why the ratio to the floor
    depends on the share of a page that is text (extraction grows with markup, features with text).
Each provenance run and the floor are repeated (--repeat, default 2) in rounds (1 worker, 2 workers,
floor) and the fastest of each is reported: the machine is shared and its speed drifts by 15-40%
between minutes (measured); the naive pipeline runs once.
Usage: python benchmarks/ingest.py [--docs 20000] [--files 8] [--naive-docs 1000] [--kinds warc,warc30,cc,wet] [--repeat 2]
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def zipf_words(rng: random.Random, vocab: list[str], weights: list[float], n: int) -> list[str]:
    return rng.choices(vocab, cum_weights=weights, k=n)


def make_corpus(folder: Path, docs: int, files: int, kind: str, seed: int = 7, page_kb: int = 0) -> list[Path]:
    rng = random.Random(seed)
    vocab = [f"{rng.choice('bcdfghklmnprstvw')}{rng.choice('aeiou')}{rng.choice('bcdfghklmnprstvw')}{i:x}" for i in range(50_000)]
    cum, total = [], 0.0
    for r in range(1, len(vocab) + 1):
        total += 1.0 / r
        cum.append(total)
    paths = []
    per_file = docs // files
    for f in range(files):
        path = folder / f"CC-MAIN-2024-10-{kind}-{f:03d}.warc{'.wet' if kind == 'wet' else ''}.gz"
        with open(path, "wb") as out:
            out.write(_gz(_record("warcinfo", b"isPartOf: CC-MAIN-2024-10\r\n", None)))
            for i in range(per_file):
                words = zipf_words(rng, vocab, cum, 650)
                paras = [" ".join(words[k : k + 65]) + "." for k in range(0, 650, 65)]
                url = f"https://site{rng.randrange(5000)}.example.com/{f}/{i}"
                if kind == "wet":
                    out.write(_gz(_record("conversion", "\n".join(paras).encode(), url, "text/plain")))
                elif kind == "cc":
                    out.write(b"".join(_gz(r) for r in _cc_triple(url, _html(paras, i, page_kb), rng)))
                else:
                    html = _html(paras, i, page_kb)
                    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html
                    out.write(_gz(_record("response", http, url, "application/http; msgtype=response")))
        paths.append(path)
    return paths


def _html(paras: list[str], i: int, page_kb: int = 0) -> bytes:
    nav = "".join(f'<li><a href="/section/{k}">Section {k}</a></li>' for k in range(25))
    body = "".join(f"<p>{p}</p>" for p in paras)
    head, chrome = "", ""
    if page_kb:  # what makes real pages large: inline CSS and JS, wrappers with classes, link lists
        css = "".join(f".c{k}{{margin:{k % 7}px;padding:{k % 5}px;color:#{k * 2654435761 % 0xFFFFFF:06x}}}" for k in range(250))
        js = "".join(f"function f{k}(a,b){{return a*{k}+b-{i % 97};}}" for k in range(150))
        links = "".join(f'<div class="card c{k % 250} col-md-4"><a class="link" href="/post/{i}/{k}?ref=side">Story {k}</a></div>' for k in range(60))
        head = f"<style>{css}</style><script>{js}</script><script type='application/ld+json'>{{\"@type\":\"Article\",\"id\":{i}}}</script>"
        chrome = f"<div class='sidebar'>{links}</div>"
        while len(head) + len(chrome) + len(body) < page_kb * 1000:
            chrome += f"<div class='footer-links'>{links}</div>"
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Page {i}</title>"
            f"<style>body{{font-family:sans-serif}}</style><script>var x={i};</script>{head}</head>"
            f"<body><header><nav><ul>{nav}</ul></nav></header><main><article><h1>Article {i}</h1>{body}</article></main>"
            f"<aside>Related: {' '.join('link' + str(k) for k in range(30))}</aside>{chrome}"
            f"<footer>Copyright 2024 Example Inc. All rights reserved. Privacy Terms Contact</footer></body></html>").encode()


def _record(kind: str, block: bytes, url: str | None, ctype: str = "application/warc-fields", extra: str = "") -> bytes:
    head = f"WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{random.getrandbits(128):032x}>\r\nWARC-Date: 2024-03-01T00:00:00Z\r\n"
    if url:
        head += f"WARC-Target-URI: {url}\r\n"
    head += f"{extra}Content-Type: {ctype}\r\nContent-Length: {len(block)}\r\n\r\n"
    return head.encode() + block + b"\r\n\r\n"


def _cc_triple(url: str, html: bytes, rng: random.Random) -> list[bytes]:
    """A page as Common Crawl's WARC files hold it: request, response and metadata records with their usual headers."""
    host = url.split("/")[2]
    uid = lambda: f"<urn:uuid:{rng.getrandbits(128):032x}>"  # noqa: E731
    digest = lambda: "sha1:" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(32))  # noqa: E731
    common = f"WARC-Warcinfo-ID: {uid()}\r\nWARC-IP-Address: 104.21.{rng.randrange(256)}.{rng.randrange(256)}\r\n"
    request = (f"GET /{url.split('/', 3)[3]} HTTP/1.1\r\nUser-Agent: CCBot/2.0 (https://commoncrawl.org/faq/)\r\n"
               "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\n"
               f"Accept-Encoding: br,gzip\r\nHost: {host}\r\nConnection: Keep-Alive\r\n\r\n").encode()
    http = ("HTTP/1.1 200 OK\r\nDate: Fri, 01 Mar 2024 00:00:00 GMT\r\nContent-Type: text/html; charset=UTF-8\r\n"
            "X-Crawler-Transfer-Encoding: chunked\r\nConnection: keep-alive\r\nVary: Accept-Encoding\r\n"
            f"Set-Cookie: session={rng.getrandbits(64):x}; path=/; HttpOnly\r\nCache-Control: max-age=600\r\n"
            f"Server: cloudflare\r\nCF-RAY: {rng.getrandbits(64):x}-FRA\r\nX-Crawler-Content-Encoding: br\r\n"
            f"Content-Length: {len(html)}\r\n\r\n").encode() + html
    meta = (f"fetchTimeMs: {rng.randrange(50, 900)}\r\ncharset-detected: UTF-8\r\nlanguages-cld2: "
            '{"reliable":true,"text-bytes":5421,"languages":[{"code":"en","code-iso-639-3":"eng","text-covered":0.99,"score":927.0,"name":"ENGLISH"}]}\r\n').encode()
    response_extra = (f"WARC-Concurrent-To: {uid()}\r\nWARC-Protocol: h2\r\nWARC-Protocol: tls/1.3\r\n"
                      f"WARC-Cipher-Suite: TLS_AES_256_GCM_SHA384\r\nWARC-Payload-Digest: {digest()}\r\nWARC-Block-Digest: {digest()}\r\n"
                      "WARC-Identified-Payload-Type: text/html\r\n")
    return [_record("request", request, url, "application/http; msgtype=request", common + f"WARC-Block-Digest: {digest()}\r\n"),
            _record("response", http, url, "application/http; msgtype=response", common + response_extra),
            _record("metadata", meta, url, "application/warc-fields", f"WARC-Concurrent-To: {uid()}\r\nWARC-Block-Digest: {digest()}\r\n")]


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)


def run_provenance(paths: list[Path], workers: int, db: Path) -> dict:
    wrapper = ("import resource, subprocess, sys, json; r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
               "print(json.dumps({'rc': r.returncode, 'out': r.stdout, 'err': r.stderr[-2000:], "
               "'maxrss_kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
               "'cpu': resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime + resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime}))")
    cmd = [sys.executable, "-c", wrapper, sys.executable, "-m", "provenance", "ingest", *map(str, paths),
           "--db", str(db), "--workers", str(workers), "--json"]
    t0 = time.perf_counter()
    res = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout)
    wall = time.perf_counter() - t0
    if res["rc"] != 0:
        sys.exit(f"ingest failed: {res['err']}")
    summary = json.loads(res["out"])
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:  # the workers' own time in each file (sources.seconds)
        busy = con.execute("SELECT sum(seconds) FROM sources").fetchone()[0] or 0.0
    # run: the ingest's own seconds (its --json summary): no interpreter start, imports or store opening, like the floor's
    return {"docs": summary["documents"], "seconds": wall, "run": summary["seconds"], "rss_mb": res["maxrss_kb"] / 1024, "cpu": res["cpu"],
            "busy": busy}


def fresh_floor(paths: list[Path]) -> dict:
    """floor() in a process of its own, as each ingest runs (its heap not grown by make_corpus first)."""
    code = (f"import json, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); from ingest import floor; from pathlib import Path; "
            f"print(json.dumps(floor([Path(p) for p in sys.argv[1:]])))")
    out = subprocess.run([sys.executable, "-c", code, *map(str, paths)], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(out.stdout)


def floor(paths: list[Path]) -> dict:
    """FastWARC + resiliparse alone, in this process: after make_corpus its heap is large and glibc's
    mmap threshold has risen, so the floor's buffers come from the heap. In a fresh process the same
    loop measured 1.2-1.8x slower (2,800-4,300 vs 5,100-6,200 docs/s on ~6 KB pages; a fresh process
    with MALLOC_MMAP_THRESHOLD_ / MALLOC_TOP_PAD_ set: 5,700-6,200): this is the strictest floor."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    t0, n = time.perf_counter(), 0
    for path in paths:
        with open(path, "rb") as f:
            for rec in ArchiveIterator(f, record_types=WarcRecordType.response | WarcRecordType.conversion):
                body = rec.reader.read()
                if rec.record_type == WarcRecordType.conversion:
                    text = body.decode("utf-8", "replace")
                else:
                    text = extract_plain_text(bytes_to_str(body, detect_encoding(body, from_html_meta=True)), main_content=True)
                n += bool(text)
    return {"docs": n, "seconds": time.perf_counter() - t0}


def stages(paths: list[Path], batch_docs: int = 1000) -> dict[str, float]:
    """Seconds per document of each stage, in this process on one core: the floor's reading and extraction beside
    ingest's reading, extraction, features (build_tables) and parts (the worker's Parquet files, texts in zstd).

    Where a run's time goes beyond the floor, stage by stage: extraction grows with a page's markup, features and
    parts with its text, so the ratio to the floor depends on the share of a page that is text.
    """
    import shutil

    from fastwarc.warc import ArchiveIterator, WarcRecordType
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    from provenance.config import DEFAULT_MAX_RECORD_BYTES
    from provenance.ingest.extract import Extracted, extract
    from provenance.ingest.features import Batch, BatchContext, build_tables
    from provenance.ingest.jobs import FileResult
    from provenance.ingest.readers import FileInfo, RawRecord
    from provenance.ingest.wacz import read_input
    from provenance.ingest.worker import _PartWriter

    seconds = dict.fromkeys(("floor: read", "floor: extract", "ingest: read", "ingest: extract", "ingest: features", "ingest: parts"), 0.0)

    def clock(name: str, fn) -> None:
        t0 = time.perf_counter()
        fn()
        seconds[name] += time.perf_counter() - t0

    texts: list[str] = []
    for path in paths:  # a file at a time: the whole input's bodies held at once would measure page faults
        bodies: list[tuple[bool, bytes]] = []
        records: list[RawRecord] = []

        def floor_read() -> None:
            with open(path, "rb") as f:
                for rec in ArchiveIterator(f, record_types=WarcRecordType.response | WarcRecordType.conversion):
                    bodies.append((rec.record_type == WarcRecordType.conversion, rec.reader.read()))

        def floor_extract() -> None:
            for text_only, body in bodies:
                if text_only:
                    body.decode("utf-8", "replace")
                else:
                    extract_plain_text(bytes_to_str(body, detect_encoding(body, from_html_meta=True)), main_content=True)

        def our_read() -> None:
            with open(path, "rb") as f:
                records.extend(item for item in read_input(f, str(path), DEFAULT_MAX_RECORD_BYTES, FileInfo()) if isinstance(item, RawRecord))

        def our_extract() -> None:
            for rec in records:
                out = extract(rec, DEFAULT_MAX_RECORD_BYTES)
                if isinstance(out, Extracted) and out.text.strip():
                    texts.append(out.text)

        clock("floor: read", floor_read)
        clock("floor: extract", floor_extract)
        bodies.clear()
        clock("ingest: read", our_read)
        clock("ingest: extract", our_extract)
        records.clear()
    batches = []
    for start in range(0, len(texts), batch_docs):
        b = Batch()
        for i, text in enumerate(texts[start : start + batch_docs], start):
            for name, value in (("ordinal", i), ("record_id", f"<urn:uuid:{i}>"), ("url", f"https://h{i % 5000}.example.com/{i}"),
                                ("host", f"h{i % 5000}.example.com"), ("domain", "example.com"), ("crawl", "CC-MAIN-2024-10"),
                                ("fetch_time", None), ("year", 2024), ("content_type", "text/html"), ("record_type", "response"),
                                ("text", text), ("record_offset", i)):
                getattr(b, name).append(value)
        batches.append(b)
    ctx = BatchContext(1, 500, True, ())
    tables = []
    clock("ingest: features", lambda: tables.extend(build_tables(b, ctx)[0] for b in batches))
    folder = Path(tempfile.mkdtemp())
    try:
        def parts() -> None:
            writer = _PartWriter(folder, FileResult(str(folder), 1), "arrow", str(folder / "texts.parquet"))
            for t in tables:
                writer._write(t, 0)
            writer.close()

        clock("ingest: parts", parts)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {name: s / max(len(texts), 1) for name, s in seconds.items()}


def print_stages(paths: list[Path]) -> None:
    per = stages(paths)
    fl = per["floor: read"] + per["floor: extract"]
    ours = sum(v for k, v in per.items() if k.startswith("ingest"))
    print("where the time goes (us per document, one core, this process):")
    for name, v in per.items():
        print(f"  {name:22s} {v * 1e6:7.1f}")
    extra = per["ingest: features"] + per["ingest: parts"]
    print(f"  features + parts are {extra / fl:.0%} of the floor's time; these stages alone would run at {fl / ours:.2f}x the floor "
          "(before per-record bookkeeping, the writer and start-up)")


def naive(paths: list[Path], limit: int, db: Path) -> dict:
    import duckdb
    from datasketch import MinHash
    from resiliparse.extract.html2text import extract_plain_text
    from warcio.archiveiterator import ArchiveIterator

    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE docs (url VARCHAR, text VARCHAR, n_tokens INTEGER, minhash BLOB)")
    t0, n = time.perf_counter(), 0
    for path in paths:
        with open(path, "rb") as f:
            for rec in ArchiveIterator(f):
                if rec.rec_type not in ("response", "conversion"):
                    continue
                body = rec.content_stream().read()
                text = body.decode("utf-8", "replace") if rec.rec_type == "conversion" else extract_plain_text(body.decode("utf-8", "replace"), main_content=True)
                words = text.lower().split()
                m = MinHash(num_perm=128, seed=1)
                for i in range(max(1, len(words) - 4)):
                    m.update(" ".join(words[i : i + 5]).encode())
                con.execute("INSERT INTO docs VALUES (?, ?, ?, ?)", [rec.rec_headers.get_header("WARC-Target-URI"), text, len(words), m.hashvalues.tobytes()])
                n += 1
                if n >= limit:
                    return {"docs": n, "seconds": time.perf_counter() - t0}
    return {"docs": n, "seconds": time.perf_counter() - t0}


def rate(r: dict) -> float:
    return r["docs"] / r["seconds"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=20_000)
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--naive-docs", type=int, default=1_000)
    ap.add_argument("--kinds", default="warc,warc30,cc,wet", help="warc (~6 KB pages), warc30 (~30 KB pages), cc (~30 KB pages as Common Crawl stores them: request, response and metadata records), wet")
    ap.add_argument("--repeat", type=int, default=2, help="runs of each measurement; the fastest is reported")
    a = ap.parse_args()
    from provenance.ingest.native import archive

    fast = archive()  # what inflates the gzip members (the figures differ ~13 us a 6 KB page between the two)
    print("gzip members:", "Python's zlib (no compiled reader)" if fast is None else
          f"libdeflate {fast.libdeflate_version}, zlib {fast.zlib_version}" if fast.libdeflate_version else f"zlib {fast.zlib_version}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for kind in a.kinds.split(","):
            (folder / kind).mkdir()
            t0 = time.perf_counter()
            page_kb = 30 if kind in ("warc30", "cc") else 0
            paths = make_corpus(folder / kind, a.docs, a.files, kind if kind in ("wet", "cc") else "warc", page_kb=page_kb)
            mb = sum(p.stat().st_size for p in paths) / 1e6
            print(f"\n== {kind.upper()}: {a.docs} documents in {a.files} files, {mb:.1f} MB compressed (generated in {time.perf_counter() - t0:.0f} s)")
            # Rounds of (1 worker, 2 workers, floor), not all runs of one then all of the next: the
            # machine's speed drifts between minutes, and each ratio should compare neighbours.
            rounds = [(run_provenance(paths, 1, folder / f"{kind}-1-{n}.duckdb"), run_provenance(paths, 2, folder / f"{kind}-2-{n}.duckdb"),
                       floor(paths), fresh_floor(paths)) for n in range(max(1, a.repeat))]
            one, two, fl, fresh = (min((r[i] for r in rounds), key=lambda r: r["seconds"]) for i in range(4))
            nv = naive(paths, a.naive_docs, folder / f"{kind}-naive.duckdb")
            for name, r in (("provenance, 1 worker", one), ("provenance, 2 workers", two), ("floor: FastWARC + resiliparse", fl), ("naive: warcio + datasketch + row inserts", nv)):
                extra = f", peak RSS {r['rss_mb']:.0f} MB, {r['docs'] / r['cpu']:.0f} docs per CPU-second" if "rss_mb" in r else ""
                print(f"{name:45s} {rate(r):8.0f} docs/s  {mb * r['docs'] / a.docs / r['seconds']:6.2f} MB/s{extra}")
            print(f"ratio 1 worker / floor          {rate(one) / rate(fl):.2f}x   (target >= 0.67x for WARC)")
            # the floor's clock starts after its imports; the ingest's own clock starts after the interpreter, its imports and the store opening
            print(f"  same, ingest's own clock      {one['docs'] / one['run'] / rate(fl):.2f}x   ({one['docs'] / one['run']:.0f} docs/s over {one['run']:.1f} s of {one['seconds']:.1f} s)")
            # a run's fixed costs (forking the worker, the last file's commit, the checkpoint) weigh on 20,000
            # documents; inside its files, the worker's rate is what a long run of large files approaches
            print(f"  same, the worker's time in files {one['docs'] / one['busy'] / rate(fl):.2f}x   ({one['docs'] / one['busy']:.0f} docs/s)")
            print(f"  same, floor in a fresh process {one['docs'] / one['run'] / rate(fresh):.2f}x   (that floor: {rate(fresh):.0f} docs/s; "
                  "this one's heap was grown by the corpus' generation: see floor())")
            # the floor runs on one core; "1 worker" also runs the writer on the other: compare work per CPU-second too
            print(f"ratio per CPU-second / floor    {one['docs'] / one['cpu'] / rate(fl):.2f}x   (1 worker's docs per CPU-second of all its processes)")
            print(f"ratio 1 worker / naive          {rate(one) / rate(nv):.1f}x   (target >= 5x)")
            print(f"ratio 2 workers / 1 worker      {rate(two) / rate(one):.2f}x   (target >= 1.7x; ingest's own clock {two['docs'] / two['run'] / (one['docs'] / one['run']):.2f}x)")
            # the 1-worker run's processes (worker, writer, start-up) use one['cpu'] CPU-seconds; 2 workers need at least
            # as much, on the cores this process may use: where that is 2, the writer's share caps the ratio below 2x
            cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
            print(f"  the most this machine allows  {one['seconds'] / max(one['cpu'] / cores, one['seconds'] / 2):.2f}x   "
                  f"(the 1-worker run's {one['cpu']:.1f} CPU-s in {one['seconds']:.1f} s, spread over {cores} cores)")
            if kind == "wet":  # per core = per CPU-second of the whole process tree (workers + writer)
                print(f"WET docs per CPU-second         {max(r['docs'] / r['cpu'] for r in (one, two)):.0f}       (target >= 2500 per core)")
            print(f"peak RSS of any process         {max(one['rss_mb'], two['rss_mb']):.0f} MB    (target < 1024 MB)")
            print_stages(paths)


if __name__ == "__main__":
    main()
