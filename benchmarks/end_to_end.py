"""End-to-end cost of DIRECT: compile once, run many (Alzheimer SCM and a 32-variable random DAG).

Measures, on this machine, for each model (``alzheimer``; ``random:32:2:0``, a
random DAG with 32 variables and about 2 links per variable) and engine:

1. ``spiking-direct run alzheimer`` with defaults in a fresh process (import,
   compilation, simulation, analysis, figures): the wall time a user waits;
2. spiking ``cpp_standalone``, on the clocked network and (Alzheimer) on the cortical network: the
   first seed (compilation included) against a second seed re-run from the same build
   (``run_args``; no compilation);
3. spiking ``runtime`` (numpy, no compiler; Alzheimer only, skipped by ``--quick``);
4. the rate engine on the same protocol;

with build and simulate time, biological seconds per simulate second,
inter-area synaptic events per second (every E spike's outgoing synapses, the
transmission/depression pathway, plus its incoming ones, the potentiation
pathway) and peak memory (the Python process and the simulation binary).

    python benchmarks/end_to_end.py [--quick]
    python benchmarks/end_to_end.py --ratio 5     # only the Alzheimer pair, 5 times

Prints a table and writes ``benchmarks/results/end_to_end.csv``. ``--ratio N``
measures the second-seed/first-seed ratio of the Alzheimer pair N times, each
in a fresh process (so each first run compiles), and writes every pair with
its compilation and simulation times to ``benchmarks/results/end_to_end_ratio.csv``:
one pair says little on a machine whose compilation speed drifts.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


GROUPS = [
    ("alzheimer", "cpp_standalone"),
    ("alzheimer", "cortical"),
    ("alzheimer", "runtime"),
    ("alzheimer", "rate"),
    ("random:32:2:0", "cpp_standalone"),
    ("random:32:2:0", "rate"),
]


def worker(model: str, kind: str) -> list[dict]:
    """The rows of one (model, engine/backend) group, measured in this process."""
    from spiking_direct import pipeline
    from spiking_direct.config import RunConfig, apply_overrides
    from spiking_direct.peak_memory import PeakMemory

    rows = []
    # the simulation binary's own peak (its VmHWM, polled; the compiler's processes are not counted)
    monitor = PeakMemory(os.getpid(), period=0.02)
    monitor.start()

    def one(label, cfg):
        monitor.reset_binary()
        t0 = time.perf_counter()
        model_, rec = pipeline.simulate(cfg)
        res = pipeline.finish(cfg, model_, rec, t0, figures=False)
        wall = time.perf_counter() - t0  # what the user waits for; the counts below are the benchmark's own
        t = res["timing"]
        bio = rec.protocol.n_windows * (float(cfg.spiking.clock.T_win) if cfg.engine == "spiking" else 0.0)
        events = (
            np.bincount(rec.syn_pre, minlength=rec.n_areas * rec.n)[rec.spike_neuron].sum()
            + np.bincount(rec.syn_post, minlength=rec.n_areas * rec.n)[rec.spike_neuron].sum()
        )
        sim = t.get("simulate_s") or np.nan
        rows.append(
            {
                "what": label,
                "model": cfg.model,
                "network": cfg.spiking.network if cfg.engine == "spiking" else None,
                "wall_s": wall,
                "build_s": t.get("build_s"),
                "simulate_s": sim,
                "analyse_s": t.get("analyse_s"),
                "windows": rec.protocol.n_windows,
                "bio_s": bio or None,
                "bio_per_sim_s": bio / sim if bio else None,
                "n_synapses_inter": int(rec.syn_pre.size),
                "spikes": int(rec.spike_neuron.size),
                "syn_events_per_s": float(events) / sim,
                "delta_p_at_k": res["metrics_delta"]["precision_at_k"],
                "peak_binary_mb": monitor.binary_hwm / 2**20 if monitor.binary_hwm else None,
            }
        )
        print(f"{label:<62} {rows[-1]['wall_s']:7.1f} s", file=sys.stderr, flush=True)

    if kind == "cpp_standalone":
        for seed in (0, 1):
            one(
                f"{model}: spiking cpp_standalone seed {seed}"
                + (" (compile + run)" if seed == 0 else " (same build, run_args)"),
                replace(RunConfig(model=model), seed=seed),
            )
    elif kind == "cortical":
        for seed in (0, 1):
            one(
                f"{model}: spiking cortical cpp_standalone seed {seed}"
                + (" (compile + run)" if seed == 0 else " (same build, run_args)"),
                replace(apply_overrides(RunConfig(model=model), ["spiking.network=cortical"]), seed=seed),
            )
    elif kind == "runtime":
        one(f"{model}: spiking runtime (numpy) seed 0", replace(RunConfig(model=model), backend="runtime"))
    else:
        one(f"{model}: rate engine seed 0", apply_overrides(RunConfig(model=model), ["engine=rate"]))
    monitor.stop()
    peak_py = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for r in rows:  # the peak of the group's process (a second seed re-uses the first one's build)
        r["peak_python_mb"] = peak_py
    return rows


def run_worker(model: str, kind: str) -> list[dict]:
    """The rows of one group, measured in a fresh process (:func:`worker`)."""
    out = subprocess.run(
        [sys.executable, __file__, "--worker", model, kind], check=True, stdout=subprocess.PIPE, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def ratio_pairs(n: int) -> None:
    """The Alzheimer pair (seed 0 with compilation, seed 1 from its build) ``n`` times."""
    from spiking_direct.results import machine, write_csv

    if n < 1:
        raise SystemExit("--ratio needs N >= 1")
    rows = []
    for i in range(n):
        first, second = run_worker("alzheimer", "cpp_standalone")
        rows.append(
            {
                "pair": i,
                "first_wall_s": first["wall_s"],
                "first_build_s": first["build_s"],
                "first_simulate_s": first["simulate_s"],
                "second_wall_s": second["wall_s"],
                "second_simulate_s": second["simulate_s"],
                "ratio": second["wall_s"] / first["wall_s"],
                "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
            }
        )
        print(
            f"pair {i + 1}/{n}: first {first['wall_s']:.2f} s (compilation {first['build_s']:.2f} s), "
            f"second {second['wall_s']:.2f} s, ratio {rows[-1]['ratio']:.3f}",
            flush=True,
        )
    df = pd.DataFrame(rows).assign(machine=machine())
    write_csv(ROOT / "benchmarks" / "results" / "end_to_end_ratio.csv", df)
    r = df["ratio"]
    print(f"machine: {machine()}")
    print(
        f"alzheimer: second seed / first seed over {n} pairs: min {r.min():.3f}, median {r.median():.3f}, "
        f"max {r.max():.3f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the fresh-process CLI run and the runtime backend")
    ap.add_argument("--ratio", type=int, metavar="N", help="only the Alzheimer second/first-seed pair, N times")
    ap.add_argument("--worker", nargs=2, metavar=("MODEL", "KIND"), help=argparse.SUPPRESS)
    ap.add_argument("--page-only", action="store_true", help="rewrite the results page from the CSVs")
    args = ap.parse_args()
    if args.page_only:
        page()
        return
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return
    if args.ratio is not None:
        ratio_pairs(args.ratio)
        page()
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.quick:
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "spiking_direct.cli", "run", "alzheimer", "--out", f"{tmp}/cli", "--quiet"],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            rows.append(
                {
                    "what": "spiking-direct run alzheimer (fresh process, defaults, with figures)",
                    "wall_s": time.perf_counter() - t0,
                }
            )
    for model, kind in GROUPS:
        if args.quick and kind == "runtime":
            continue
        rows.extend(run_worker(model, kind))
    df = pd.DataFrame(rows)
    ratios = {f"{model} ({network})": s.wall_s / f.wall_s for model, network, f, s in seed_pairs(df)}
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    from spiking_direct.results import machine, write_csv

    df["machine"] = machine()
    write_csv(out / f"end_to_end{'_quick' if args.quick else ''}.csv", df)
    pd.set_option("display.width", 250)
    print(f"machine: {machine()}")
    print(df.drop(columns="machine").round(2).to_string(index=False))
    for model, r in ratios.items():
        print(f"{model}: second seed / first seed wall time: {r:.3f}")
    if not args.quick:
        page()


def seed_pairs(df: pd.DataFrame):
    """``(model, network, first, second)`` per model and network: the rows of the first seed's run
    (with its compilation) and of the second seed's run from the same build."""
    runs = df.dropna(subset=["model"])
    for (model, network), sub in runs.groupby(["model", runs["network"].fillna("-")]):
        first = sub[sub["what"].str.contains("seed 0 (compile", regex=False)]
        second = sub[sub["what"].str.contains("seed 1 (", regex=False)]
        if len(first) and len(second):
            yield model, network, first.iloc[0], second.iloc[0]


def page() -> None:
    """``docs/results/end_to_end.rst`` from ``end_to_end.csv`` and ``end_to_end_ratio.csv``."""
    sys.path.insert(0, str(ROOT / "experiments"))
    from _pages import Page, fmt, rng

    res = ROOT / "benchmarks" / "results"
    df = pd.read_csv(res / "end_to_end.csv")
    ratio = pd.read_csv(res / "end_to_end_ratio.csv")
    cli = df[df.model.isna()]
    runs = df[df.model.notna()].copy()
    rate = runs.what.str.contains("rate engine")
    runs.loc[rate, "syn_events_per_s"] = float("nan")  # the rate engine has no spikes nor biological time
    runs["peak"] = [
        "n/a" if pd.isna(a) else f"{fmt(a / 1024)} / {'n/a' if pd.isna(b) else fmt(b / 1024)}"
        for a, b in zip(runs.peak_python_mb, runs.peak_binary_mb)
    ]
    p = Page(
        "end_to_end",
        "End to end: compile once, run many",
        command="python benchmarks/end_to_end.py",
        intro=(
            "One process per group; the Alzheimer SCM and a 32-variable random DAG, spiking engine "
            "(``cpp_standalone`` and ``runtime``) and rate engine. A second seed re-runs the first seed's build "
            "with new ``run_args`` (no compilation)."
        ),
    )
    if len(cli):
        p.text(
            f"``spiking-direct run alzheimer`` with defaults in a fresh process, figures included: "
            f"{fmt(cli.wall_s.iloc[0], 1)} s."
        )
    p.text("n/a: not applicable (the rate engine has no biological time and no spikes) or not recorded.")
    pairs = [
        f"{model} ({network} network): first run {fmt(f.wall_s, 1)} s with a {fmt(f.build_s, 1)} s "
        f"compilation, second seed {fmt(s2.wall_s, 1)} s (simulation {fmt(s2.simulate_s, 1)} s): "
        f"{fmt(s2.wall_s / f.wall_s, 3)} of the first."
        for model, network, f, s2 in seed_pairs(runs)
    ]
    if pairs:
        p.bullets(pairs)
    p.table(
        runs,
        "benchmarks/results/end_to_end.csv",
        raw=df,
        columns={
            "what": "run",
            "build_s": "build (s)",
            "simulate_s": "simulate (s)",
            "wall_s": "total (s)",
            "bio_per_sim_s": "bio s / simulate s",
            "syn_events_per_s": "synaptic events / s",
            "peak": "peak memory, Python / binary (GB)",
            "delta_p_at_k": "Δ P@K",
        },
        formats={
            "build_s": "{:.1f}",
            "simulate_s": "{:.2f}",
            "wall_s": "{:.1f}",
            "bio_per_sim_s": "{:.2f}",
            "syn_events_per_s": "{:.1e}",
            "delta_p_at_k": "{:.2f}",
        },
    )
    p.section("Second seed against the first (Alzheimer)")
    p.text(
        f"Each pair in a fresh process, {len(ratio)} pairs: the second seed costs "
        f"{fmt(ratio.ratio.median(), 3)} of the first (median; range "
        f"{rng(ratio.ratio.min(), ratio.ratio.max(), 3)}); first run "
        f"{rng(ratio.first_wall_s.min(), ratio.first_wall_s.max(), 1)} s "
        f"with a {rng(ratio.first_build_s.min(), ratio.first_build_s.max(), 1)} s compilation, second "
        f"{rng(ratio.second_wall_s.min(), ratio.second_wall_s.max(), 2)} s. The second seed's cost is "
        "simulation and the first run's mostly compilation, so the ratio depends on how fast the machine compiles."
    )
    p.table(
        ratio,
        "benchmarks/results/end_to_end_ratio.csv",
        columns={
            "pair": "pair",
            "first_wall_s": "first (s)",
            "first_build_s": "of which build (s)",
            "second_wall_s": "second (s)",
            "ratio": "second / first",
        },
        formats={"first_wall_s": "{:.2f}", "first_build_s": "{:.2f}", "second_wall_s": "{:.2f}", "ratio": "{:.3f}"},
    )
    p.write()


if __name__ == "__main__":
    main()
