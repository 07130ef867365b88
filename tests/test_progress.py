"""Progress of standalone runs: the reporter cell of the build and the thread that follows its output."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from spiking_direct.engines import progress


class _Calls:
    """A Brian2-style report callback that keeps the fractions it gets."""

    def __init__(self):
        self.fractions, self.closed = [], False

    def __call__(self, elapsed, completed, start, duration):
        self.fractions.append(completed)

    def close(self):
        self.closed = True


def _write_ticks(path: Path, times, total: float, pause: float = 0.02):
    with open(path, "w") as f:
        for t in times:
            f.write(f"progress {t:.6f} of {total:.6f} s\n")
            f.flush()
            time.sleep(pause)


def test_follow_reports_increasing_fractions_and_one_at_the_end(tmp_path, monkeypatch):
    monkeypatch.setattr(progress.follow, "POLL_S", 0.01)
    out, calls = tmp_path / "stdout.txt", _Calls()
    with progress.follow(out, 2.0, calls, period=0.0):
        writer = threading.Thread(target=_write_ticks, args=(out, np.arange(0, 2.0, 0.1), 2.0))
        time.sleep(0.05)  # the file does not exist at first
        writer.start()
        writer.join()
        time.sleep(0.05)
    f = calls.fractions
    assert f[0] == 0.0 and f[-1] == 1.0 and len(f) > 4
    assert f == sorted(f) and all(0 <= x <= 1 for x in f)
    assert calls.closed


def test_follow_stops_without_the_final_report_when_the_run_fails(tmp_path):
    calls = _Calls()
    with pytest.raises(RuntimeError):
        with progress.follow(tmp_path / "stdout.txt", 1.0, calls, period=0.0) as f:
            raise RuntimeError("the binary failed")
    assert calls.fractions == [0.0] and calls.closed and not f._thread.is_alive()


def test_follow_survives_a_failing_callback(tmp_path):
    def broken(elapsed, completed, start, duration):
        raise ValueError("no")

    broken.close = lambda: None
    with progress.follow(tmp_path / "stdout.txt", 1.0, broken, period=0.0) as f:
        pass
    assert f.fractions == [0.0]


def test_message_reporter_prints_percentages():
    lines = []
    report = progress.reporter(lines.append)
    report(12.3, 0.25, 0.0, 4.0)
    report(20.0, 1.0, 0.0, 4.0)
    assert lines == ["simulated 25% (12 s)", "simulated 100% (20 s)"]
    assert progress.reporter(None) is None
    assert progress.ticks_every(148) == 1 and progress.ticks_every(1000) == 10


def _percentages(lines):
    return [float(m.split()[1].rstrip("%")) for m in lines if m.startswith("simulated ")]


@pytest.mark.standalone
def test_cpp_standalone_progress_goes_from_zero_to_one_on_the_shared_build(alzheimer_run, monkeypatch):
    """A cpp_standalone run with a progress callback gets increasing per cents from 0 to 100
    (the binary's ticks, read while it runs), and the same results as without a callback."""
    from spiking_direct import pipeline
    from spiking_direct.config import RunConfig
    from spiking_direct.engines import backends

    base = alzheimer_run(seed=0)
    monkeypatch.setattr(progress, "MESSAGE_PERIOD_S", 0.0)
    lines = []
    res = pipeline.run(
        RunConfig(model="alzheimer", engine="spiking", backend="cpp_standalone", seed=0),
        progress=lines.append,
        figures=False,
    )
    assert backends.get("cpp_standalone").reporting
    pct = _percentages(lines)
    assert pct[0] == 0 and pct[-1] == 100 and pct == sorted(pct)
    assert len(set(pct)) > 3, lines  # ticks arrived while the binary ran
    for key in ("metrics_delta", "metrics_delta_prop", "matrices"):
        np.testing.assert_equal(res[key], base[key], err_msg=key)


_NO_REPORTER = """
import sys
from spiking_direct import pipeline
from spiking_direct.config import RunConfig
from spiking_direct.engines import backends, progress
progress.TICKS = 0
pipeline.run(RunConfig(model="alzheimer", engine="spiking", backend="cpp_standalone", seed=1), out=sys.argv[1],
             figures=False)
assert not backends.get("cpp_standalone").reporting
"""


@pytest.mark.standalone
def test_the_reporter_leaves_the_results_identical(alzheimer_run, tmp_path):
    """A build without the reporter (compiled in another process, so that this one keeps the
    shared build) gives the same results and recorded arrays to the bit as the shared build."""
    from spiking_direct import pipeline
    from spiking_direct.config import RunConfig
    from spiking_direct.engines import backends

    alzheimer_run(seed=0)
    subprocess.run([sys.executable, "-c", _NO_REPORTER, str(tmp_path / "without")], check=True)
    pipeline.run(
        RunConfig(model="alzheimer", engine="spiking", backend="cpp_standalone", seed=1),
        out=tmp_path / "with",
        figures=False,
    )
    assert backends.get("cpp_standalone").reporting
    a = json.loads((tmp_path / "without" / "result.json").read_text())
    b = json.loads((tmp_path / "with" / "result.json").read_text())
    assert sorted(a) == sorted(b) and "metrics_delta" in a
    for key in sorted(set(a) - {"timing", "engine_info"}):
        np.testing.assert_equal(a[key], b[key], err_msg=key)
    with np.load(tmp_path / "without" / "recording.npz") as x, np.load(tmp_path / "with" / "recording.npz") as y:
        assert sorted(x.files) == sorted(y.files)
        for name in x.files:
            np.testing.assert_array_equal(x[name], y[name], err_msg=name)
