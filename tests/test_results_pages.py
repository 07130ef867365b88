"""The committed results pages (``docs/results/``) are what their scripts write from the committed CSVs.

Each script's ``--page-only`` rewrites its page from the CSVs without running anything; here it writes
into a temporary folder, and the page must equal the committed one (a CSV changed without its page, or a
page edited by hand, fails).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: script -> the page it writes
SCRIPTS = {
    "experiments/alzheimer_spiking.py": "alzheimer_spiking",
    "experiments/cap_drive.py": "cap_drive",
    "experiments/compare_engines.py": "compare_engines",
    "experiments/cortical.py": "cortical",
    "experiments/discover.py": "discover",
    "experiments/poisson_rate_code.py": "poisson_rate_code",
    "experiments/capacity.py": "capacity",
    "experiments/interventions.py": "interventions",
    "experiments/propagation.py": "propagation",
    "experiments/robustness.py": "robustness",
    "experiments/scale.py": "scale",
    "benchmarks/end_to_end.py": "end_to_end",
    "benchmarks/memory_estimate.py": "memory_estimate",
    "benchmarks/peer_nest.py": "peer_nest",
    "benchmarks/profile_alzheimer.py": "profile_alzheimer",
    "benchmarks/rate_projection.py": "rate_projection",
    "benchmarks/scaling.py": "scaling",
}


@pytest.mark.long
@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_page_matches_its_csvs(script, tmp_path):
    committed = ROOT / "docs" / "results" / f"{SCRIPTS[script]}.rst"
    env = dict(os.environ, SPIKING_DIRECT_PAGES_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, str(ROOT / script), "--page-only"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-2000:]
    written = (tmp_path / committed.name).read_text()
    assert written == committed.read_text(), f"{committed.relative_to(ROOT)} differs from what {script} writes"


def test_compressed_table_is_reproducible_and_finds_its_sidecar(tmp_path, monkeypatch):
    """A ``.csv.gz`` table: the same frame gives the same bytes (no time stamp in the gzip header),
    pandas reads it back, and the provenance line reads the machine and date from ``<stem>.json``."""
    import json

    import pandas as pd

    from spiking_direct.results import write_csv

    monkeypatch.syspath_prepend(str(ROOT / "experiments"))
    import _pages

    frame = pd.DataFrame({"method": ["a", "b"], "auroc": [0.5, 0.75]})
    first, second = tmp_path / "t.csv.gz", tmp_path / "u.csv.gz"
    write_csv(first, frame)
    write_csv(second, frame)
    assert first.read_bytes()[:2] == b"\x1f\x8b" and first.read_bytes() == second.read_bytes()
    assert first.read_bytes()[4:8] == b"\0\0\0\0"  # no time stamp in the gzip header
    pd.testing.assert_frame_equal(pd.read_csv(first), frame)
    (tmp_path / "t.json").write_text(json.dumps({"versions": {"machine": "test machine"}, "date": "2026-01-02"}))
    monkeypatch.setattr(_pages, "ROOT", tmp_path)
    line = _pages.provenance("t.csv.gz")
    assert "measured on test machine" in line and "date 2026-01-02" in line
    assert "not recorded" in _pages.provenance("u.csv.gz")


def test_numbers_that_round_to_zero_lose_their_sign(monkeypatch):
    """A page never prints ``-0.00``: a negative number that rounds to zero is printed unsigned,
    in prose (``fmt``, ``rng``) and in tables (a column's format string)."""
    import pandas as pd

    monkeypatch.syspath_prepend(str(ROOT / "experiments"))
    import _pages

    assert _pages.fmt(-0.001) == "0.00" and _pages.fmt(-0.004, 3) == "-0.004" and _pages.fmt(-0.006) == "-0.01"
    assert _pages.fmt(-0.00001, 1, pct=True) == "0.0 %" and _pages.fmt(-3.0, 0) == "-3"
    assert _pages.rng(-0.001, 0.2) == "0.00-0.20"
    table = _pages.rst_table(pd.DataFrame({"x": [-0.0004, -0.2]}), formats={"x": "{:.2f}"})
    assert "- 0.00" in table and "- -0.20" in table and "-0.00" not in table
    signed = _pages.rst_table(pd.DataFrame({"x": [-0.0004, 0.0, -0.2]}), formats={"x": "{:+.2f}"})
    assert signed.count("- +0.00") == 2 and "- -0.20" in signed
    assert _pages.fmt(-0.00001, 1, pct=True) == "0.0 %" and _pages.rng(-0.0001, -0.0002) == "0.00"
