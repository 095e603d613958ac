"""Build hook: compile provenance/_native/kernels.c into provenance/_kernels<EXT_SUFFIX>.

The compiled kernels are optional: without a C compiler the build warns and the package runs its
numpy/polars reference code (identical results, slower). `python hatch_build.py` rebuilds in place.
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

SOURCE = Path("provenance/_native/kernels.c")


def target(root: Path) -> Path:
    return root / "provenance" / f"_kernels{sysconfig.get_config_var('EXT_SUFFIX')}"


def compile_kernels(root: Path) -> Path | None:
    """Compile the kernels next to the package sources; return the module path, or None on failure."""
    out = target(root)
    cc = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
    cmd = [*cc, "-shared", "-fPIC", "-O3", "-fno-strict-aliasing", "-Wall",
           f"-I{sysconfig.get_paths()['include']}", str(root / SOURCE), "-o", str(out)]
    try:
        subprocess.run(cmd, check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        print(f"warning: compiled kernels not built ({detail.strip()[:500]}); using the slower reference code", file=sys.stderr)
        return None
    return out


class KernelsBuildHook(BuildHookInterface):  # type: ignore[misc,valid-type]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        built = compile_kernels(Path(self.root))
        if built is None:
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        if version != "editable":  # an editable install imports it from the source tree
            build_data["force_include"][str(built)] = f"provenance/{built.name}"


if __name__ == "__main__":
    path = compile_kernels(Path(__file__).resolve().parent)
    print(path or "build failed")
