"""The memory budget of a process reading a file (--worker-memory): a record that blows memory up fails, not the machine.

Some markup makes a parser build far more than it reads: Lexbor rebuilds every open formatting
element (<b>, <font>, ... with distinct attributes, so the spec's cap of three alike does not apply)
in each block that follows, so 69 KB of them became 3 million elements and 1.2 GB (1 MB of them would
need hundreds of GB), inside one C call, before anything could measure the tree. With a budget, an
allocation past it fails in that call (Lexbor's parse raises, Python's raises MemoryError): that
record is a fault and the file goes on. The budget is on the process's data (Linux RLIMIT_DATA:
heap and private writable mappings), counted from what the process holds when it starts reading a
file, and lifted when it is done: in worker processes, Ray tasks, and the ingest's own process when
it reads a single small file itself (nothing else allocates there meanwhile: the store's writes come
after). Where the limit cannot be read or set (not Linux), there is none.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

try:
    import resource
except ImportError:  # not POSIX
    resource = None  # type: ignore[assignment]


def data_bytes() -> int | None:
    """The process's data size now (VmData), or None where /proc does not say."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmData:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


_active: list[tuple[int, int]] = []  # (limit, budget) of the budget in force, if any


@contextmanager
def budget(extra_bytes: int | None) -> Iterator[None]:
    """Within the block, allocations past the data the process holds now plus extra_bytes fail."""
    now = data_bytes() if extra_bytes and resource is not None else None
    if now is None:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    limit = now + extra_bytes
    for bound in (soft, hard):
        if bound != resource.RLIM_INFINITY:
            limit = min(limit, bound)
    try:  # set inside: a signal's exception (a --file-timeout deadline, Ctrl-C) right after it still lifts it
        try:
            resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
        except (ValueError, OSError):
            limit = None
        if limit is not None:
            _active.append((limit, extra_bytes))
        yield
    finally:
        if limit is not None:
            if _active:  # not yet there if a signal's exception came between the two lines above
                _active.pop()
            resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


def in_force() -> bool:
    """Whether a budget holds now (a failed allocation then is most likely its doing)."""
    return bool(_active)


def require_headroom(share: float = 1 / 3) -> None:
    """Raise MemoryError when less than `share` of the budget in force is left.

    For a parse that built a huge tree just under the budget: resiliparse's text extraction (Rust)
    aborts the process when an allocation fails, where Lexbor's parse raises, so a record is better
    refused before that step than crash its process (in the ingest's own process, fatal to the run)."""
    if _active:
        limit, extra = _active[-1]
        now = data_bytes()
        if now is not None and limit - now < share * extra:
            raise MemoryError(f"{(limit - now) >> 20} MiB of the memory budget left after parsing the page")
