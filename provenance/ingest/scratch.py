"""Scratch folders under the system's temporary folder, named by the process that made them, so
that what a killed process left behind (a SIGKILLed driver's staging parts, hundreds of MB) is
removed by the next process that makes one of the same kind."""
from __future__ import annotations

import os
import shutil
import tempfile


def make(kind: str) -> str:
    """A new folder <tmp>/provenance-<kind>-<pid>-<random>, after removing those of kind whose process is gone."""
    base = tempfile.gettempdir()
    prefix = f"provenance-{kind}-"
    try:
        entries = [e for e in os.scandir(base) if e.name.startswith(prefix) and e.is_dir(follow_symlinks=False)]
    except OSError:
        entries = []
    for entry in entries:
        pid = entry.name[len(prefix):].split("-", 1)[0]
        if pid.isdigit() and not alive(int(pid)):
            shutil.rmtree(entry.path, ignore_errors=True)
    return tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=base)


def alive(pid: int) -> bool:
    """Whether a process of this id runs (on this machine, in this pid namespace)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        return True
    except OverflowError:
        return False
    return True
