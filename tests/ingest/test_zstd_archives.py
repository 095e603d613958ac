"""zstd-compressed archives (.warc.zst): a frame per record (with or without the WARC-zstd dictionary)
or frames for the whole file read the same records as plain files, and faults lose only their frame."""
from __future__ import annotations

import io
import random

import zstandard

from provenance.config import IngestConfig
from provenance.ingest import streams
from provenance.ingest.pipeline import ingest
from provenance.ingest.readers import Fault, FileInfo, RawRecord, iter_records
from provenance.store import Store
from tests.conftest import response_record, warcinfo

RECORDS = [warcinfo(), *(response_record(i) for i in range(6))]
DICTIONARY_FRAME = (0x184D2A5D).to_bytes(4, "little")


def split(path, **kw):
    items = list(iter_records(str(path), **kw))
    return [i for i in items if isinstance(i, RawRecord)], [i for i in items if isinstance(i, Fault)]


def frames(records, dictionary: zstandard.ZstdCompressionDict | None = None) -> list[bytes]:
    z = zstandard.ZstdCompressor(level=3, dict_data=dictionary, write_checksum=True)
    return [z.compress(r) for r in records]


def dictionary_frame(d: zstandard.ZstdCompressionDict, compressed: bool) -> bytes:
    data = zstandard.ZstdCompressor().compress(d.as_bytes()) if compressed else d.as_bytes()
    return DICTIONARY_FRAME + len(data).to_bytes(4, "little") + data


def test_a_frame_per_record_reads_each_record_at_its_frame_offset(tmp_path):
    parts = frames(RECORDS)
    path = tmp_path / "a.warc.zst"
    path.write_bytes(b"".join(parts))
    info = FileInfo()
    good, faults = split(path, info=info)
    assert faults == [] and [r.block for r in good] == [r.block for r in split(_plain(tmp_path))[0]]
    assert [r.offset for r in good] == [sum(map(len, parts[:i])) for i in range(len(parts))]
    assert (info.compression, info.members) == ("zstd", len(RECORDS))


def _plain(tmp_path):
    path = tmp_path / "plain.warc"
    path.write_bytes(b"".join(RECORDS))
    return path


def test_a_whole_file_compressed_by_zstd_reads_like_the_plain_file(tmp_path):
    plain = split(_plain(tmp_path))[0]
    whole = tmp_path / "w.warc.zst"
    whole.write_bytes(zstandard.ZstdCompressor(level=19).compress(b"".join(RECORDS)))
    streamed = tmp_path / "s.warc.zst"  # zstd(1) on a pipe: no content size, blocks of up to 128 KiB
    with open(streamed, "wb") as out, zstandard.ZstdCompressor(write_content_size=False).stream_writer(out) as w:
        for r in RECORDS:
            w.write(r)
            w.flush(zstandard.FLUSH_BLOCK)
    for path in (whole, streamed):
        good, faults = split(path)
        assert faults == [] and [(r.block, r.offset) for r in good] == [(r.block, r.offset) for r in plain]


def test_the_warc_zstd_dictionary_frame_is_used_raw_or_compressed(tmp_path):
    samples = [response_record(i, text=f"Sample {i} about gardens and rivers. " * 3) for i in range(200)]
    d = zstandard.train_dictionary(4096, samples)
    plain = split(_plain(tmp_path))[0]
    for compressed in (False, True):
        path = tmp_path / f"d{compressed}.warc.zst"
        head, parts = dictionary_frame(d, compressed), frames(RECORDS, d)
        path.write_bytes(head + b"".join(parts))
        good, faults = split(path)
        assert faults == [] and [r.block for r in good] == [r.block for r in plain]
        assert [r.offset for r in good] == [len(head) + sum(map(len, parts[:i])) for i in range(len(parts))]  # the first too


def test_a_bad_dictionary_frame_is_one_fault_and_frames_without_it_still_read(tmp_path):
    bad = DICTIONARY_FRAME + (64).to_bytes(4, "little") + b"\x28\xb5\x2f\xfd" + b"\xff" * 60  # a compressed dictionary, corrupt
    path = tmp_path / "b.warc.zst"
    path.write_bytes(bad + b"".join(frames(RECORDS)))
    good, faults = split(path)
    assert len(good) == len(RECORDS) and [f.kind for f in faults] == ["zstd"] and "dictionary" in faults[0].reason


def test_a_frame_that_needs_a_dictionary_the_file_lacks_is_one_fault(tmp_path):
    d = zstandard.train_dictionary(4096, [response_record(i, text=f"Sample {i} of text. " * 3) for i in range(200)])
    parts = frames(RECORDS[:3]) + frames(RECORDS[3:4], d) + frames(RECORDS[4:])
    path = tmp_path / "n.warc.zst"
    path.write_bytes(b"".join(parts))
    good, faults = split(path)
    assert len(good) == len(RECORDS) - 1
    assert [(f.kind, f.offset) for f in faults] == [("zstd", sum(map(len, parts[:3])))]


def test_a_corrupt_or_cut_frame_loses_only_its_record(tmp_path):
    parts = frames(RECORDS)
    bad = bytearray(parts[2])
    bad[8] ^= 0x06  # in the first block's header (after a 7-byte frame header): a wrong block size
    for broken in (bytes(bad), parts[2][: len(parts[2]) // 2]):  # corrupt; a record cut short, the next frame right after it
        path = tmp_path / "c.warc.zst"
        path.write_bytes(b"".join(parts[:2]) + broken + b"".join(parts[3:]))
        good, faults = split(path)
        assert [r.offset for r in good] == [0, len(parts[0]), *(len(parts[0]) + len(parts[1]) + len(broken) + sum(map(len, parts[3:i]))
                                                                for i in range(3, len(parts)))]
        assert len(faults) == 1 and faults[0].kind == "zstd" and faults[0].offset == len(parts[0]) + len(parts[1])


def test_nul_bytes_or_a_bad_skippable_frame_between_frames_lose_no_frame(tmp_path):
    parts = frames(RECORDS)
    skippable = (0x184D2A51).to_bytes(4, "little") + (1 << 30).to_bytes(4, "little") + b"meta"  # its size: past the file's end
    for junk in (b"\0", b"\0" * 5, skippable):
        path = tmp_path / "n.warc.zst"
        path.write_bytes(b"".join(parts[:3]) + junk + b"".join(parts[3:]))
        good, faults = split(path)
        assert [r.block for r in good] == [r.block for r in split(_plain(tmp_path))[0]] and len(faults) == 1, junk


def test_a_frame_failing_its_checksum_yields_no_record(tmp_path):
    parts = frames(RECORDS)
    originals = {r.block for r in split(_plain(tmp_path))[0]}
    changed = 0
    for bit in range(0, 8 * len(parts[2]), 3):
        bad = bytearray(parts[2])
        bad[bit // 8] ^= 1 << bit % 8
        path = tmp_path / "k.warc.zst"
        path.write_bytes(b"".join(parts[:2]) + bytes(bad) + b"".join(parts[3:]))
        good, _ = split(path)
        changed += any(r.block not in originals for r in good)
    assert changed == 0  # was: the last block's bytes went out before the checksum was checked


def test_a_frame_needing_a_larger_window_than_the_decoder_allows_says_so(tmp_path):
    params = zstandard.ZstdCompressionParameters(window_log=28, enable_ldm=True, write_content_size=False)  # zstd --long=28 on a pipe
    out = io.BytesIO()
    with zstandard.ZstdCompressor(compression_params=params).stream_writer(out, closefd=False) as w:
        w.write(RECORDS[1])
    big_window = out.getvalue()
    parts = frames(RECORDS[:1])
    path = tmp_path / "w.warc.zst"
    path.write_bytes(parts[0] + big_window + b"".join(frames(RECORDS[2:])))
    good, faults = split(path)
    assert len(good) == len(RECORDS) - 1 and len(faults) == 1 and "window over 128 MiB" in faults[0].reason


def test_a_truncated_file_keeps_every_complete_record_and_says_so(tmp_path):
    data = b"".join(frames(RECORDS))
    path = tmp_path / "t.warc.zst"
    path.write_bytes(data[:-40])
    good, faults = split(path)
    assert len(good) == len(RECORDS) - 1
    assert len(faults) == 1 and "truncated zstd frame" in faults[0].reason


def test_a_zstd_bomb_is_abandoned_with_a_fault(tmp_path, monkeypatch):
    monkeypatch.setattr(streams, "BOMB_MIN_BYTES", 4 << 20)
    bomb = zstandard.ZstdCompressor(level=1).compress(b"\0" * (40 << 20))  # a few KB
    parts = frames(RECORDS[:2])
    path = tmp_path / "bomb.warc.zst"
    path.write_bytes(parts[0] + bomb + parts[1])
    good, faults = split(path)
    assert len(good) == 2 and len(faults) == 1 and "zstd bomb" in faults[0].reason


def test_mutated_zstd_files_never_raise_and_keep_records_before_the_damage(tmp_path):
    parts = frames(RECORDS)
    data = b"".join(parts)
    rng = random.Random(11)
    for case in range(150):
        mutated = bytearray(data)
        op = case % 3
        at = rng.randrange(len(data))
        if op == 0:
            for _ in range(rng.randint(1, 8)):
                mutated[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif op == 1:
            mutated = mutated[:at]
        else:
            mutated[at:at] = rng.randbytes(rng.randint(1, 300))
        path = tmp_path / "m.warc.zst"
        path.write_bytes(bytes(mutated))
        good, faults = split(path)
        n = min(len(mutated), len(data))
        first_change = next((k for k in range(n) if mutated[k] != data[k]), n)
        intact = sum(1 for i in range(len(parts)) if sum(map(len, parts[: i + 1])) <= first_change)
        assert len(good) >= intact, case  # every frame wholly before the first changed byte is read


def test_a_zstd_warc_ingests_like_the_gzip_one(make_warc, tmp_path):
    gz_path = make_warc("CC-MAIN-2019-35-a.warc.gz", RECORDS)
    zst_dir = tmp_path / "zst"
    zst_dir.mkdir()
    (zst_dir / "CC-MAIN-2019-35-a.warc.zst").write_bytes(b"".join(frames(RECORDS)))
    ingest([str(gz_path)], IngestConfig(db=str(tmp_path / "gz.duckdb"), workers=1))
    summary = ingest([str(zst_dir)], IngestConfig(db=str(tmp_path / "zst.duckdb"), workers=1))  # a folder: .warc.zst files are found
    assert summary.ok and summary.documents == len(RECORDS) - 1
    query = "SELECT url, n_tokens, text_hash FROM documents ORDER BY url"
    with Store(str(tmp_path / "gz.duckdb"), read_only=True) as a, Store(str(tmp_path / "zst.duckdb"), read_only=True) as b:
        assert b.sql(query).fetchall() == a.sql(query).fetchall()
        assert b.sql("SELECT compression FROM sources").fetchall() == [("zstd-frames",)]


def test_junk_of_false_zstd_frames_after_a_record_is_bounded(tmp_path):
    # a frame magic, a frame header, then a raw block whose length runs past the file's end: each false
    # frame read on to the end, and resyncing at each of them was quadratic
    junk = (b"\x28\xb5\x2f\xfd" + b"\x00\x38" + ((9006 << 3) | 0).to_bytes(3, "little")) * 20_000
    path = tmp_path / "k.warc.zst"
    path.write_bytes(frames(RECORDS[:1])[0] + junk)
    good, faults = split(path)
    assert len(good) == 1 and "in a row run on to the end of the file" in faults[-1].reason
    assert len([f for f in faults if f.kind == "zstd"]) == 9  # (each false frame's raw block also reads as a broken header)
