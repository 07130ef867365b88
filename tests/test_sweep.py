"""Sweeps on Dask: specs and keys, TOML validation, a small sweep on a 2-worker LocalCluster,
resume after a kill, failed runs and --retry-failed.

Runs use the rate engine on small networks (a fraction of a second each); one LocalCluster
is shared by the module (``scheduler=`` its address), the resume test starts its own in a
child process and kills it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("distributed")

from spiking_direct.sweep import (  # noqa: E402
    RunSpec,
    Sweep,
    SweepError,
    add_parser,
    main,
    plan,
    run_sweep,
)

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"encoding": "rate", "n": 200}  # a rate run of ~0.2 s


@pytest.fixture(scope="module")
def scheduler():
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logging.ERROR
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def _quiet(msg: str) -> None:
    pass


def _results(out: Path) -> dict[str, float]:
    """run key -> mtime of its result.json (each must parse)."""
    found = {}
    for p in sorted((out / "runs").glob("*/result.json")):
        json.loads(p.read_text())
        found[p.parent.name] = p.stat().st_mtime_ns
    return found


# --------------------------------------------------------------------------
# specs, keys, plans (no cluster)
# --------------------------------------------------------------------------
def test_keys_are_stable_and_readable():
    a = RunSpec("alzheimer", "spiking", "cpp_standalone", 3, {"separation": 10, "encoding": "rate"})
    b = RunSpec("alzheimer", "spiking", "cpp_standalone", 3, (("encoding", "rate"), ("separation", 10.0)))
    c = RunSpec("alzheimer", "spiking", "cpp_standalone", 4, {"separation": 10, "encoding": "rate"})
    assert a.key == b.key == RunSpec.from_dict(json.loads(json.dumps(a.to_dict()))).key
    assert a.key.startswith("alzheimer-spiking-s3-") and len(a.key.rsplit("-", 1)[1]) == 10
    assert c.key != a.key and c.shape == a.shape
    assert RunSpec("alzheimer", "spiking", "runtime", 3, a.overrides).key != a.key
    assert RunSpec("alzheimer", "rate", "runtime", 0).key == RunSpec("alzheimer", "rate", "cuda_standalone", 0).key
    assert RunSpec("alzheimer", "rate", seed=0, overrides={"n": 300}).key != RunSpec("alzheimer", "rate").key


def test_grid_and_toml(tmp_path):
    sw = Sweep.grid(
        models=["alzheimer"],
        engines=["spiking", "rate"],
        seeds="0-5",
        overrides={"separation": [15, 10, 6.7], "encoding": ["rate"]},
    )
    assert len(sw) == 36 and len({r.key for r in sw}) == 36
    toml = Sweep.from_toml(ROOT / "experiments" / "sweeps" / "robustness.toml")
    assert len(toml) == 36 and toml.name == "robustness" and not toml.figures
    assert len(toml.validate()) == 36
    assert {r.engine for r in toml} == {"spiking", "rate"} and {r.seed for r in toml} == set(range(6))
    path = tmp_path / "s.toml"
    path.write_text(
        '[sweep]\nengine = "rate"\nseeds = [1, 2]\nfigures = true\n'
        '[sweep.grid]\nseparation = [15, 6.7]\n[sweep.set]\nencoding = "rate"\n"rate.n" = 100\n'
        '[[sweep.runs]]\nmodel = "alzheimer"\nengine = "rate"\nseed = 9\nset = {n = 50}\n'
    )
    sw = Sweep.from_toml(path)
    assert sw.figures and sw.name == "s" and len(sw) == 5
    assert dict(sw.runs[0].overrides) == {"encoding": "rate", "rate.n": 100, "separation": 15}
    assert dict(sw.runs[-1].overrides) == {"encoding": "rate", "rate.n": 100, "n": 50}
    assert sw.runs[-1].config().rate.n == 50


def test_plan_pins_each_shape_to_one_worker():
    runs = Sweep.grid(engines=["rate"], seeds=[0, 1, 2], overrides={"separation": [15, 10, 6.7]}).runs
    assignment = plan(runs, ["w0", "w1"])
    for chunks in assignment.values():
        for chunk in chunks:
            assert len({r.shape for r in chunk}) == 1
    shapes_per_worker = [{r.shape for c in chunks for r in c} for chunks in assignment.values()]
    assert not shapes_per_worker[0] & shapes_per_worker[1]
    assert sorted(len(s) for s in shapes_per_worker) == [1, 2]
    one = Sweep.grid(engines=["rate"], seeds=[0, 1, 2, 3]).runs  # one shape, two workers
    assert sorted(sum(map(len, c)) for c in plan(one, ["w0", "w1"]).values()) == [2, 2]
    assert sorted(sum(map(len, c)) for c in plan(one, ["w0", "w1"], split=False).values()) == [0, 4]


BAD = {
    "unknown sweep key": ('[sweep]\nengine = "rate"\nseedz = "0-2"\n', "unknown key(s) ['seedz']"),
    "bad seed range": ('[sweep]\nengine = "rate"\nseeds = "0-x"\n', "bad seeds"),
    "negative seed": ('[sweep]\nengine = "rate"\nseeds = [-1]\n', "seeds must be >= 0"),
    "boolean seed": ('[sweep]\nengine = "rate"\nseeds = true\n', "bad seeds"),
    "unknown engine": ('[sweep]\nengine = "quantum"\n', "unknown engine"),
    "unknown backend": ('[sweep]\nengine = "spiking"\nbackend = "gpu9000"\n', "unknown backend"),
    "unknown model": ('[sweep]\nmodel = "nonexistent_network"\nengine = "rate"\n', "nonexistent_network"),
    "unknown parameter": ('[sweep]\nengine = "rate"\n[sweep.set]\n"rate.nn" = 3\n', "unknown parameter"),
    "bad value": ('[sweep]\nengine = "rate"\n[sweep.grid]\nlead = ["5ms", "-1ms"]\n', "lead must be >= 0"),
    "seed as override": ('[sweep]\nengine = "rate"\n[sweep.set]\nseed = 3\n', "seeds"),
    "grid and set": ('[sweep]\nengine = "rate"\n[sweep.grid]\nn = [10]\n[sweep.set]\nn = 20\n', "both in"),
    "not toml": ("[sweep\n", "not valid TOML"),
    "unknown table": ('[sweep]\nengine = "rate"\n[grid]\nn = [1]\n', "top-level"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_sweeps_fail_before_any_run(tmp_path, case):
    text, message = BAD[case]
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(SweepError) as err:
        # an unreachable scheduler: the error must come from validation, before connecting
        run_sweep(Sweep.from_toml(path), tmp_path / "out", scheduler="tcp://127.0.0.1:9", progress=_quiet)
    assert message in str(err.value)
    assert not (tmp_path / "out" / "runs").exists()
    assert main([str(path), "--out", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:9"]) == 2


def test_cli_parser_registers_sweep():
    from spiking_direct.sweep import cmd_sweep

    p = argparse.ArgumentParser()
    add_parser(p.add_subparsers(dest="command"))
    args = p.parse_args(
        ["sweep", "f.toml", "--scheduler", "tcp://h:8786", "--workers", "3", "--out", "d", "--retry-failed", "--quiet"]
    )
    assert args.func is cmd_sweep and args.file == "f.toml" and args.scheduler == "tcp://h:8786"
    assert args.workers == 3 and args.out == "d" and args.retry_failed and args.quiet


# --------------------------------------------------------------------------
# on a 2-worker LocalCluster
# --------------------------------------------------------------------------
def test_sweep_of_four_runs(tmp_path, scheduler):
    sw = Sweep.grid(
        models=["alzheimer"], engines=["rate"], seeds=[0, 1], overrides={"separation": [15, 6.7]}, fixed=SMALL
    )
    out = tmp_path / "sweep"
    lines: list[str] = []
    df = run_sweep(sw, out, scheduler=scheduler, progress=lines.append)
    assert set(_results(out)) == {r.key for r in sw}
    for r in sw:
        assert json.loads((out / "runs" / r.key / "spec.json").read_text())["key"] == r.key
    table = pd.read_csv(out / "summary.csv")
    assert len(table) == 4 and (table["status"] == "ok").all()
    for col in (
        "key",
        "model",
        "engine",
        "backend",
        "seed",
        "separation",
        "encoding",
        "n",
        "status",
        "delta_precision_at_k",
        "delta_recall_at_k",
        "delta_auroc",
        "delta_average_precision",
        "delta_prop_precision_at_k",
        "delta_prop_recall_at_k",
        "delta_prop_auroc",
        "delta_prop_average_precision",
        "overlap_forward_mean",
        "overlap_reverse_mean",
        "build_s",
        "simulate_s",
        "total_s",
    ):
        assert col in table.columns, col
    assert sorted(table["seed"]) == [0, 0, 1, 1] and sorted(table["separation"]) == [6.7, 6.7, 15, 15]
    assert table["delta_prop_auroc"].notna().all()
    assert len(pd.read_parquet(out / "summary.parquet")) == 4 and df.shape[0] == 4
    assert (out / "sweep.png").stat().st_size > 0
    assert any("dashboard" in line for line in lines) and any("remaining 0" in line for line in lines)
    # a second run of the same sweep skips everything
    before = _results(out)
    df = run_sweep(sw, out, scheduler=scheduler, progress=lines.append)
    assert _results(out) == before and (df["status"] == "ok").all()


def test_failed_run_is_recorded_and_retried(tmp_path, scheduler):
    ok = [RunSpec("alzheimer", "rate", seed=s, overrides=SMALL) for s in (0, 1)]
    bad = RunSpec("alzheimer", "rate", seed=0, overrides={"n": 2, "k": 1})  # empty assemblies at run time
    sw = Sweep(runs=ok + [bad])
    sw.validate()  # valid: it fails only when it runs
    out = tmp_path / "sweep"
    df = run_sweep(sw, out, scheduler=scheduler, progress=_quiet)
    assert set(_results(out)) == {r.key for r in ok}
    err_path = out / "runs" / bad.key / "error.json"
    err = json.loads(err_path.read_text())
    assert err["attempt"] == 1 and "assembly was empty" in err["message"] and "Traceback" in err["traceback"]
    row = df.set_index("key").loc[bad.key]
    assert row["status"] == "failed" and "assembly was empty" in row["error"]
    assert list(pd.read_csv(out / "summary.csv")["status"]).count("ok") == 2
    # without --retry-failed it is reported and skipped; with it, it runs again
    lines: list[str] = []
    run_sweep(sw, out, scheduler=scheduler, progress=lines.append)
    assert json.loads(err_path.read_text())["attempt"] == 1
    assert any("retry-failed" in line for line in lines)
    before = _results(out)
    df = run_sweep(sw, out, scheduler=scheduler, progress=_quiet, retry_failed=True)
    assert json.loads(err_path.read_text())["attempt"] == 2
    assert _results(out) == before and list(df["status"]).count("failed") == 1


def test_resume_after_kill(tmp_path, scheduler):
    """Kill a sweep (its process group, workers included) once a first run has finished; the rerun
    skips the finished runs and completes the rest; no partial JSON is left anywhere."""
    path = tmp_path / "resume.toml"
    path.write_text('[sweep]\nengine = "rate"\nseeds = "0-5"\n[sweep.set]\nencoding = "rate"\nn = 600\n')
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("DASK_SCHEDULER_ADDRESS", None)
    child = subprocess.Popen(
        [sys.executable, "-m", "spiking_direct.sweep", str(path), "--out", str(out), "--workers", "1"],
        cwd=tmp_path,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 40
        while not _results(out) and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert child.poll() is None, child.stderr.read().decode()[-2000:]
        assert _results(out), "no run finished in time"
    finally:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        child.wait()
    for _ in range(100):  # the workers go with their process group
        try:
            os.killpg(child.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    finished = _results(out)
    sw = Sweep.from_toml(path)
    assert 0 < len(finished) < len(sw)
    df = run_sweep(sw, out, scheduler=scheduler, progress=_quiet)
    after = _results(out)
    assert set(after) == {r.key for r in sw} and (df["status"] == "ok").all()
    assert {k: after[k] for k in finished} == finished  # finished runs were not re-run
    leftovers = [p for p in (out / "runs").rglob(".*") if p.name.startswith((".result.json", ".error.json"))]
    for key in set(after) - set(finished):
        leftovers += list((out / "runs" / key).glob(".*"))
    assert not leftovers
    assert len(pd.read_csv(out / "summary.csv")) == len(sw)


def test_result_under_other_parameters_is_rerun(tmp_path, scheduler):
    """A finished run whose result.json records other parameters (the package's defaults changed
    since) is not reused: it is kept as result.stale.json and run again; an unchanged one is skipped."""
    sw = Sweep.grid(models=["alzheimer"], engines=["rate"], seeds=[0, 1], fixed=SMALL)
    out = tmp_path / "sweep"
    run_sweep(sw, out, scheduler=scheduler, progress=_quiet)
    before = _results(out)
    stale_key = sw.runs[0].key
    path = out / "runs" / stale_key / "result.json"
    res = json.loads(path.read_text())
    res["params"]["protocol"]["lead"] = 0.123  # as if computed under another default
    path.write_text(json.dumps(res))
    rows = path.parent / "value_readout_rows.json.gz"  # as if the stale run had value-level rows
    rows.write_bytes(b"rows of the stale run")
    lines: list[str] = []
    df = run_sweep(sw, out, scheduler=scheduler, progress=lines.append)
    after = _results(out)
    assert (df["status"] == "ok").all() and set(after) == set(before)
    assert after[stale_key] != before[stale_key]  # re-run
    assert all(after[k] == before[k] for k in before if k != stale_key)  # not re-run
    assert json.loads(path.read_text())["params"]["protocol"]["lead"] != 0.123
    assert json.loads((path.parent / "result.stale.json").read_text())["params"]["protocol"]["lead"] == 0.123
    # the stale result's value-level rows are kept beside it; the rerun (a rate code) has none
    assert (path.parent / "stale.value_readout_rows.json.gz").read_bytes() == b"rows of the stale run"
    assert not rows.exists()
    assert any("re-running 1 finished run" in line for line in lines)
