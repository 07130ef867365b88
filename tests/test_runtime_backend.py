"""The runtime backend (Brian2's numpy target, no compiler) runs the same network and
protocol: on a 3-variable chain it learns both directions."""

import json

from spiking_direct.cli import main


def test_runtime_backend_learns_a_chain(tmp_path, capsys):
    spec = tmp_path / "chain.json"
    spec.write_text(
        json.dumps(
            {
                "name": "chain3",
                "variables": ["A", "B", "C"],
                "values": {"A": ["a1", "a0"], "B": ["b1", "b0"], "C": ["c1", "c0"]},
                "links": [["A", "B"], ["B", "C"]],
            }
        )
    )
    out = tmp_path / "run"
    assert (
        main(
            [
                "run",
                str(spec),
                "--backend",
                "runtime",
                "--set",
                "n=200",
                "--set",
                "couple_steps=10",
                "--no-figures",
                "--quiet",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    res = json.loads((out / "result.json").read_text())
    assert res["backend"] == "runtime" and res["scm"] == "chain3"
    assert res["metrics_delta"]["precision_at_k"] == 1.0
    assert all(link["delta"] > 0 for link in res["links"])
    assert res["summary"]["overlap_forward_mean"] > res["summary"]["overlap_reverse_mean"]


def test_stale_temporary_folders_of_ended_processes_are_swept(tmp_path):
    """Build and scratch folders carry an owner lock: a later process removes those
    whose owner has ended (even by kill -9), never one whose owner lives, nor a
    folder without the lock file."""
    import os
    import signal
    import subprocess
    import sys

    from spiking_direct.engines.backends import OWNER_LOCK, owned_tempdir, remove_owned, sweep_stale

    prefix = "spiking_direct_test_"
    code = (
        "import sys, time; from pathlib import Path; from spiking_direct.engines.backends import owned_tempdir; "
        f"print(owned_tempdir({prefix!r}, Path(sys.argv[1])), flush=True); time.sleep(60)"
    )
    live = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    killed = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        live_dir, killed_dir = (p.stdout.readline().strip() for p in (live, killed))
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait()
        foreign = tmp_path / f"{prefix}foreign"  # not made by owned_tempdir: no lock file
        foreign.mkdir()
        mine = owned_tempdir(prefix, tmp_path)  # this process lives
        removed = sweep_stale(tmp_path, prefix)
        assert [str(p) for p in removed] == [killed_dir]
        assert os.path.isdir(live_dir) and os.path.isdir(foreign) and (mine / OWNER_LOCK).exists()
        remove_owned(mine)
        assert not mine.exists()
    finally:
        live.kill()
        live.wait()
    assert [str(p) for p in sweep_stale(tmp_path, prefix)] == [live_dir]  # its owner has ended now


def test_monitor_key_is_short_and_tells_monitors_apart():
    """The build folder's name holds a hash of the state monitors, not their list of cells."""
    from spiking_direct.engines.backends import monitor_key

    many = {"vars": ("v",), "cells": list(range(5000)), "dt_ms": 0.1}
    assert monitor_key(None) == ""
    assert len(monitor_key(many)) <= 16
    assert monitor_key(many) != monitor_key({**many, "cells": list(range(4999))})
    assert monitor_key(many) == monitor_key(dict(many))
