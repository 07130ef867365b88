"""PeakMemory: the run's Python process, its simulation binaries and its scratch files, each counted once."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from spiking_direct.peak_memory import PeakMemory, folder_bytes

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")

MB = 1 << 20
# plain Python (a child started through a link named ``main`` may not find the venv's packages)
HOLD = "import sys, time; a = b'x' * ({mb} << 20); sys.stdout.write('ready\\n'); sys.stdout.flush(); time.sleep(30)"


def _child(executable: str, mb: int) -> subprocess.Popen:
    """A child holding ``mb`` MB of touched memory, started once that memory is resident."""
    proc = subprocess.Popen([executable, "-c", HOLD.format(mb=mb)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    return proc


def test_binary_counted_and_other_children_not(tmp_path):
    # a child whose process is named like the simulation binary, and one that is not (a compiler, a fork)
    main = tmp_path / "main"
    main.symlink_to(sys.executable)
    binary, other = _child(str(main), 120), _child(sys.executable, 200)
    try:
        mon = PeakMemory(os.getpid(), period=0.01)
        mon.sample()
        assert mon.binary >= 120 * MB
        assert mon.binary < 200 * MB  # the other child is not counted
        assert mon.binary_hwm >= 120 * MB
        assert mon.total == mon.python + mon.binary
        mon.reset_binary()
        assert mon.binary == mon.binary_hwm == 0
    finally:
        for p in (binary, other):
            p.kill()
            p.wait()


def test_mapped_scratch_files_counted_once():
    shm = Path("/dev/shm")
    if not shm.is_dir():
        pytest.skip("no /dev/shm")
    import tempfile

    with tempfile.TemporaryDirectory(dir=shm) as tmp:
        scratch = Path(tmp)
        path = scratch / "w.bin"
        np.ones(64 * MB // 8).tofile(path)
        assert folder_bytes(scratch) >= 64 * MB
        mon = PeakMemory(os.getpid(), scratch)
        mon.sample()
        before = mon.python
        m = np.memmap(path, dtype=np.float64, mode="r")
        assert float(m.sum()) == m.size  # every page touched, so mapped and resident
        mon.sample()
        del m
        assert mon.scratch_bytes >= 64 * MB
        # the mapped pages are the file's (RssShmem), not the process's own: counted once, as a file
        assert mon.python - before < 32 * MB
        assert mon.total >= mon.python_at_peak + 64 * MB
        assert mon.total < mon.python + mon.scratch_bytes + 32 * MB


def test_folder_bytes_without_folder():
    assert folder_bytes(None) == 0
