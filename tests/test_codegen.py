"""The generated C++: the compiler vectorises the excitatory state update.

Brian2 copies each global array into a local ``__restrict`` pointer; GCC does
not take that as a promise and vectorises the loop only behind run-time
overlap checks, more of them than its default limit allows. The cpp_standalone
backend raises the limit (``backends.VECTORIZE_FLAG``); without it the loop,
the second-largest cost of an Alzheimer run, stays scalar (the negative
control below).
"""

import re
import shutil
import subprocess
import sys

import pytest

from spiking_direct.engines.backends import VECTORIZE_FLAG

pytestmark = pytest.mark.standalone


def _gcc() -> str | None:
    gxx = shutil.which("g++")
    if gxx is None:
        return None
    version = subprocess.run([gxx, "--version"], capture_output=True, text=True).stdout
    return gxx if "Free Software Foundation" in version else None


def _vectorised(gxx, folder, flags) -> bool:
    # a second network built in the same process gets numbered code objects (..._codeobject_1.cpp)
    (source,) = [p.relative_to(folder) for p in (folder / "code_objects").glob("exc_stateupdater_codeobject*.cpp")]
    out = subprocess.run([gxx, "-c", *flags, "-I.", str(source), "-o", "/dev/null",
                          "-fopt-info-vec-optimized"], cwd=folder, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    return source.name in out.stderr and "loop vectorized" in out.stderr


def test_excitatory_state_update_is_vectorised(tmp_path):
    gxx = _gcc()
    if gxx is None:
        pytest.skip("needs GCC (g++)")
    folder = tmp_path / "export"
    # in a child process: an export in this one would discard the session's shared build
    subprocess.run([sys.executable, "-m", "spiking_direct.cli", "build", "alzheimer", "--out", str(folder),
                    "--quiet"], check=True, capture_output=True)
    line = re.search(r"^OPTIMISATIONS = (.*)$", (folder / "makefile").read_text(), re.MULTILINE).group(1)
    flags = [f.replace('"', '') for f in line.split()]
    assert VECTORIZE_FLAG in flags
    assert _vectorised(gxx, folder, flags)
    # control: the same file and flags without the raised limit stay scalar
    assert not _vectorised(gxx, folder, [f for f in flags if f != VECTORIZE_FLAG]), \
        "this GCC vectorises the loop without the raised limit: the flag may no longer be needed"

