"""End-to-end cost of DIRECT on the Alzheimer SCM: compile once, run many.

Measures, on this machine:
1. ``spiking-direct run alzheimer`` with defaults in a fresh process (import,
   compilation, simulation, analysis, figures): the wall time a user waits;
2. in one process, the first seed (compilation included) against a second
   seed re-run from the same build (``run_args``; no compilation);
3. the rate engine on the same protocol;
with peak memory (the Python process and the simulation binary).

    python benchmarks/end_to_end.py [--quick]

Prints a table and writes ``benchmarks/results/end_to_end.csv``.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the fresh-process CLI run")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.quick:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "spiking_direct.cli", "run", "alzheimer", "--out",
                            f"{tmp}/cli", "--quiet"], check=True, stdout=subprocess.DEVNULL)
            rows.append({"what": "spiking-direct run alzheimer (fresh process, defaults, with figures)",
                         "wall_s": time.perf_counter() - t0})

        from spiking_direct import pipeline
        from spiking_direct.config import RunConfig

        for seed in (0, 1):
            t0 = time.perf_counter()
            res = pipeline.run(replace(RunConfig(), seed=seed), figures=False)
            t = res["timing"]
            rows.append({"what": f"spiking cpp_standalone seed {seed}" + (" (compile + run)" if seed == 0 else
                                                                            " (same build, run_args)"),
                         "wall_s": time.perf_counter() - t0, "build_s": t.get("build_s"),
                         "simulate_s": t.get("simulate_s"), "analyse_s": t.get("analyse_s"),
                         "delta_p_at_k": res["metrics_delta"]["precision_at_k"],
                         "bio_s": res["protocol"]["n_windows"] * 0.040})
        t0 = time.perf_counter()
        res = pipeline.run(RunConfig(engine="rate"), figures=False)
        rows.append({"what": "rate engine seed 0", "wall_s": time.perf_counter() - t0,
                     "build_s": res["timing"].get("build_s"), "simulate_s": res["timing"].get("simulate_s"),
                     "delta_p_at_k": res["metrics_delta"]["precision_at_k"]})
    df = pd.DataFrame(rows)
    first, second = df.loc[df["what"].str.contains("seed 0 \\(compile"), "wall_s"].iloc[0], \
        df.loc[df["what"].str.contains("seed 1"), "wall_s"].iloc[0]
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    df.to_csv(out / "end_to_end.csv", index=False)
    pd.set_option("display.width", 200)
    print(f"machine: {platform.node()} ({os.cpu_count()} cores, {platform.processor() or platform.machine()})")
    print(df.round(2).to_string(index=False))
    print(f"second seed / first seed wall time: {second / first:.3f}")
    print(f"peak memory: python {peak_self:.0f} MB, simulation binaries (largest child) {peak_child:.0f} MB")


if __name__ == "__main__":
    main()
