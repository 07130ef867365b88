"""Where the time of a spiking DIRECT run goes, per Brian2 code object, and the fix it led to.

Runs the Alzheimer protocol (defaults, cpp_standalone, seed 0) with Brian2's
profiling (``SPIKING_DIRECT_PROFILE=1``) four times: with per-step white
membrane noise (``spiking.exc.noise=white``, the model before the fix), with
coloured noise (an OU current) updated every 1 ms, and with the default
2 ms update, and once on the cortical network. With white noise one Gaussian draw
per cell and 0.1 ms step made the excitatory state update most of the run; the
coloured form draws one per cell and update. The cortical network's time goes to
its conductance-based state update and its background conductances.

    python benchmarks/profile_alzheimer.py

Prints the table and writes ``benchmarks/results/profile_alzheimer.csv``.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    if "--page-only" in sys.argv[1:]:  # rewrite the results page from the CSV
        page()
        return
    os.environ["SPIKING_DIRECT_PROFILE"] = "1"
    from spiking_direct import pipeline
    from spiking_direct.config import RunConfig, apply_overrides
    from spiking_direct.results import machine, write_csv

    rows, totals = [], []
    variants = {
        "white": ["spiking.exc.noise=white"],
        "colored 1 ms": ["spiking.exc.noise=colored", "spiking.exc.noise_dt=1ms"],
        "colored 2 ms (default)": [],
        # the cortical network (conductance-based cells, OU background conductances every 0.5 ms)
        "cortical network": ["spiking.network=cortical"],
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
    page()


def page() -> None:
    """``docs/results/profile_alzheimer.rst`` from ``profile_alzheimer.csv``."""
    import sys

    sys.path.insert(0, str(ROOT / "experiments"))
    from _pages import Page, fmt

    df = pd.read_csv(ROOT / "benchmarks" / "results" / "profile_alzheimer.csv")
    top = df[df.groupby("noise")["seconds"].rank(ascending=False) <= 5]
    loop = df.groupby("noise", sort=False).seconds.sum()
    p = Page(
        "profile_alzheimer",
        "Where the Alzheimer run spends its time",
        command="python benchmarks/profile_alzheimer.py",
        intro=(
            "Brian2's profile of the Alzheimer run (seed 0, ``cpp_standalone``) under three noise models of the "
            "clocked network, and on the cortical network."
        ),
    )
    p.text(
        "Profiled loop time: "
        + ", ".join(f"{fmt(v, 2)} s ({k})" for k, v in loop.items())
        + ". With per-step white noise the excitatory state update takes "
        + fmt(df[(df.noise == "white") & (df.code_object == "exc_stateupdater")].fraction.iloc[0], 0, pct=True)
        + " of the loop."
        + (
            " On the cortical network the excitatory state update (exponential Euler of a conductance-based "
            "membrane and its three decaying synaptic conductances) takes "
            + fmt(cx[cx.code_object == "exc_stateupdater"].fraction.iloc[0], 0, pct=True)
            + " and the background conductances' update every 0.5 ms (two Gaussian draws per cell) "
            + fmt(cx[cx.code_object == "exc_background"].fraction.iloc[0], 0, pct=True)
            + "; the synapses together "
            + fmt(cx[cx.code_object.str.startswith("syn_")].fraction.sum(), 0, pct=True)
            + "."
            if len(cx := df[df.noise == "cortical network"])
            else ""
        )
    )
    p.table(
        top,
        "benchmarks/results/profile_alzheimer.csv",
        raw=df,
        columns={
            "noise": "noise",
            "code_object": "code object",
            "seconds": "seconds",
            "fraction": "fraction of the loop",
        },
        formats={"seconds": "{:.3f}", "fraction": "{:.2f}"},
        caption="The five costliest code objects per noise model and network",
    )
    p.write()


if __name__ == "__main__":
    main()
