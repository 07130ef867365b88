"""Where the time of a spiking DIRECT run goes, per Brian2 code object, and the fix it led to.

Runs the Alzheimer protocol (defaults, cpp_standalone, seed 0) with Brian2's
profiling (``SPIKING_DIRECT_PROFILE=1``) three times: with per-step white
membrane noise (``spiking.exc.noise=white``, the model before the fix), with
coloured noise (an OU current) updated every 1 ms, and with the default
2 ms update. With white noise one Gaussian draw per cell and 0.1 ms step made
the excitatory state update most of the run; the coloured form draws one per
cell and update.

    python benchmarks/profile_alzheimer.py

Prints the table and writes ``benchmarks/results/profile_alzheimer.csv``.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    os.environ["SPIKING_DIRECT_PROFILE"] = "1"
    from spiking_direct import pipeline
    from spiking_direct.config import RunConfig, apply_overrides
    from spiking_direct.results import machine, write_csv

    rows, totals = [], []
    variants = {
        "white": ["spiking.exc.noise=white"],
        "colored 1 ms": ["spiking.exc.noise=colored", "spiking.exc.noise_dt=1ms"],
        "colored 2 ms (default)": [],
    }
    for noise, overrides in variants.items():
        cfg = apply_overrides(replace(RunConfig(), seed=0), overrides)
        model, rec = pipeline.simulate(cfg)
        prof = rec.info["profile_s"]
        loop = sum(prof.values())
        for name, sec in sorted(prof.items(), key=lambda kv: -kv[1]):
            name = re.sub(r"_codeobject(_\d+)?$", "", name)  # a second build in one process adds _1
            rows.append({"noise": noise, "code_object": name, "seconds": sec, "fraction": sec / loop})
        totals.append(
            {
                "noise": noise,
                "simulate_s": rec.timing["simulate_s"],
                "profiled_loop_s": loop,
                "build_s": rec.timing["build_s"],
            }
        )
    df = pd.DataFrame(rows)
    out = ROOT / "benchmarks" / "results"
    write_csv(out / "profile_alzheimer.csv", df.assign(machine=machine()))
    top = df[df.groupby("noise")["seconds"].rank(ascending=False) <= 6]
    pd.set_option("display.width", 160)
    print(f"machine: {machine()}")
    print(top.round(3).to_string(index=False))
    print(pd.DataFrame(totals).round(2).to_string(index=False))


if __name__ == "__main__":
    main()
