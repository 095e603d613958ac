"""Build hook: compile the C modules in provenance/_native into provenance/<name><EXT_SUFFIX>.

  _kernels  (kernels.c): word tokens, their hashes, MinHash
  _archive  (archive.c, links zlib, and libdeflate where its header is found: gzip members inflated
            ~2x faster, Debian's libdeflate-dev): gzip members, WARC record framing, HTTP heads
  _watchdog (watchdog.c): ends a worker whose record runs past --record-timeout

Each is optional and built on its own: without a C compiler (or zlib's header) the build warns
and the package runs its Python reference code (identical results, slower). `python hatch_build.py`
rebuilds in place.
"""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
import sysconfig
from pathlib import Path

try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # run as a script
    BuildHookInterface = object  # type: ignore[assignment,misc]

MODULES = {  # module name: (source, extra linker arguments)
    "_kernels": ("provenance/_native/kernels.c", []),
    "_archive": ("provenance/_native/archive.c", ["-lz"]),
    "_watchdog": ("provenance/_native/watchdog.c", ["-lpthread"]),
}
# Arguments tried first, and left out when the build fails with them (a library that is not installed)
OPTIONAL = {"_archive": ["-DHAVE_LIBDEFLATE", "-ldeflate"]}


def target(root: Path, name: str = "_kernels") -> Path:
    return root / "provenance" / f"{name}{sysconfig.get_config_var('EXT_SUFFIX')}"


def compile_module(root: Path, name: str) -> Path | None:
    """Compile one C module next to the package sources; return its path, or None on failure."""
    source, libs = MODULES[name]
    out = target(root, name)
    out.unlink(missing_ok=True)  # a stale module from an earlier build must not outlive a failed one
    cc = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
    cmd = [*cc, "-shared", "-fPIC", "-O3", "-fno-strict-aliasing", "-Wall",
           f"-I{sysconfig.get_paths()['include']}", str(root / source), "-o", str(out), *libs]
    for extra in ([OPTIONAL[name]] if name in OPTIONAL else []) + [[]]:
        try:
            subprocess.run(cmd + extra, check=True, capture_output=True, text=True)
            return out
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = getattr(exc, "stderr", "") or str(exc)
    print(f"warning: {name} not built ({detail.strip()[:500]}); using the slower reference code", file=sys.stderr)
    return None


def compile_kernels(root: Path) -> list[Path]:
    """Compile every C module; return the paths of those that built."""
    return [path for name in MODULES if (path := compile_module(root, name)) is not None]


class KernelsBuildHook(BuildHookInterface):  # type: ignore[misc,valid-type]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        built = compile_kernels(Path(self.root))
        if not built:
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        if version != "editable":  # an editable install imports them from the source tree
            for path in built:
                build_data["force_include"][str(path)] = f"provenance/{path.name}"


if __name__ == "__main__":
    paths = compile_kernels(Path(__file__).resolve().parent)
    print("\n".join(map(str, paths)) or "build failed")
