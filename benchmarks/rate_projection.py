"""Projection benchmark of the rate (Assembly Calculus) engine against NEMO.

The literature setting: a stimulus of k = 317 cells fires for ``--rounds``
rounds into an area of n = 100000 neurons with recurrence, p = 0.01, both
stimulus -> area and area -> area synapses plastic; support = number of
distinct neurons that have ever won.

Rows of the table:

``explicit``
    :func:`spiking_direct.engines.rate.project`, every synapse represented
    (about 1e8 recurrent synapses, float32 weights).
``nemo_lazy``
    :func:`spiking_direct.engines.rate.project_nemo_lazy` with NEMO's own
    candidate sampling (``truncnorm``): the semantics of the reference NEMO
    code's sparse simulation, where the inputs of never-fired neurons are drawn
    afresh every round. Included to show where the two models part.

``ref`` are the reference NEMO figures given for this setting (20 seeds):
1241 +- 28 at beta = 0.05 (no new winners from round 12-16) and 817 +- 36 at
beta = 0.1. ``ms/round`` is the median over rounds and seeds of one
projection round, on one core (thread variables set below, before NumPy is
imported); ``build s`` the time to draw the connectivity (about 1e8 synapses).

Usage::

    python benchmarks/rate_projection.py            # 20 seeds
    python benchmarks/rate_projection.py --quick    # 3 seeds

Writes ``benchmarks/results/rate_projection.csv`` (summary) and
``benchmarks/results/rate_projection_runs.csv`` (one row per run);
``--quick`` writes ``rate_projection_quick*.csv`` instead.
"""

from __future__ import annotations

import os

for _var in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "BLIS_NUM_THREADS",
):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import csv  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from spiking_direct.engines.rate import project, project_nemo_lazy  # noqa: E402
from spiking_direct.results import versions, write_json  # noqa: E402

REFERENCE = {0.05: (1241.0, 28.0, "12-16"), 0.1: (817.0, 36.0, "")}
RESULTS = Path(__file__).resolve().parent / "results"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 seeds instead of 20")
    ap.add_argument("--seeds", type=int, default=None, help="number of seeds (default 20, quick 3)")
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--k", type=int, default=317)
    ap.add_argument("--p", type=float, default=0.01)
    ap.add_argument("--betas", type=float, nargs="+", default=[0.05, 0.1])
    ap.add_argument("--tie-break", default="priority", choices=["priority", "random", "index"])
    ap.add_argument("--no-nemo", action="store_true", help="skip the nemo_lazy rows")
    ap.add_argument("--page-only", action="store_true", help="rewrite the results page from the CSVs")
    ap.add_argument(
        "--out",
        type=Path,
        default=None,
        help="summary CSV (default results/rate_projection.csv; --quick: ..._quick.csv)",
    )
    args = ap.parse_args(argv)
    if args.page_only:
        page()
        return 0
    if args.out is None:  # a quick run never overwrites the full table
        args.out = RESULTS / f"rate_projection{'_quick' if args.quick else ''}.csv"
    seeds = args.seeds if args.seeds is not None else (3 if args.quick else 20)

    runs = []
    models = ["explicit"] + ([] if args.no_nemo else ["nemo_lazy"])
    t_all = time.perf_counter()
    for beta in args.betas:
        for model in models:
            for seed in range(seeds):
                if model == "explicit":
                    r = project(args.n, args.k, args.p, beta, args.rounds, seed, tie_break=args.tie_break)
                else:
                    r = project_nemo_lazy(args.n, args.k, args.p, beta, args.rounds, seed, candidates="truncnorm")
                runs.append(
                    {
                        "model": model,
                        "beta": beta,
                        "seed": seed,
                        "n": args.n,
                        "k": args.k,
                        "p": args.p,
                        "rounds": args.rounds,
                        "final_support": int(r["support"][-1]),
                        "last_new_round": int(r["last_new_round"]),
                        "round_ms_median": float(np.median(r["round_ms"])),
                        "build_s": float(r["build_s"]),
                        "support_by_round": " ".join(map(str, r["support"].tolist())),
                    }
                )
                print(
                    f"  {model:9s} beta={beta:<5} seed={seed:2d}: support {runs[-1]['final_support']:5d}, "
                    f"last new round {runs[-1]['last_new_round']:2d}, "
                    f"{runs[-1]['round_ms_median']:.2f} ms/round, build {runs[-1]['build_s']:.2f} s",
                    flush=True,
                )
    total_s = time.perf_counter() - t_all

    summary = []
    for beta in args.betas:
        for model in models:
            rs = [r for r in runs if r["model"] == model and r["beta"] == beta]
            sup = np.array([r["final_support"] for r in rs], dtype=float)
            last = np.array([r["last_new_round"] for r in rs])
            ref = REFERENCE.get(beta, (float("nan"), float("nan"), ""))
            summary.append(
                {
                    "model": model,
                    "beta": beta,
                    "seeds": len(rs),
                    "rounds": args.rounds,
                    "support_mean": sup.mean(),
                    "support_sd": sup.std(ddof=1) if sup.size > 1 else 0.0,
                    "ref_mean": ref[0],
                    "ref_sd": ref[1],
                    "ref_last_new_round": ref[2],
                    "diff_pct": 100.0 * (sup.mean() - ref[0]) / ref[0],
                    "last_new_round_median": float(np.median(last)),
                    "last_new_round_min": int(last.min()),
                    "last_new_round_max": int(last.max()),
                    "round_ms_median": float(np.median([r["round_ms_median"] for r in rs])),
                    "build_s_mean": float(np.mean([r["build_s"] for r in rs])),
                    "tie_break": args.tie_break if model == "explicit" else "nemo (old first)",
                    "peak_rss_gb": None,
                }
            )

    head = (
        f"{'model':10s} {'beta':>5s} {'seeds':>5s} {'support':>14s} {'NEMO ref':>12s} {'diff':>7s} "
        f"{'no new after':>13s} {'ms/round':>9s} {'build s':>8s}"
    )
    print()
    print(
        f"projection n={args.n} k={args.k} p={args.p}, {args.rounds} rounds, one core, "
        f"{platform.processor() or platform.machine()}"
    )
    print(head)
    print("-" * len(head))
    for s in summary:
        print(
            f"{s['model']:10s} {s['beta']:5.2f} {s['seeds']:5d} "
            f"{s['support_mean']:7.1f} +- {s['support_sd']:4.1f} "
            f"{s['ref_mean']:5.0f} +- {s['ref_sd']:3.0f} {s['diff_pct']:+6.1f}% "
            f"{s['last_new_round_median']:5.1f} [{s['last_new_round_min']:2d}-{s['last_new_round_max']:2d}] "
            f"{s['round_ms_median']:9.2f} {s['build_s_mean']:8.2f}"
        )
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    for s in summary:
        s["peak_rss_gb"] = round(peak_gb, 3)
    print(f"total {total_s:.1f} s, peak RSS {peak_gb:.2f} GB")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(summary[0]))
        w.writeheader()
        w.writerows(summary)
    runs_path = args.out.with_name(args.out.stem + "_runs.csv")
    with open(runs_path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(runs[0]))
        w.writeheader()
        w.writerows(runs)
    write_json(  # what both tables were run with
        args.out.with_suffix(".json"),
        {
            "tables": [args.out.name, runs_path.name],
            "engine": "rate",
            "models": models,
            "params": {
                "n": args.n,
                "k": args.k,
                "p": args.p,
                "betas": args.betas,
                "rounds": args.rounds,
                "tie_break": args.tie_break,
                "nemo_candidates": "truncnorm",
                "threads": 1,
            },
            "seeds": list(range(seeds)),
            "total_s": total_s,
            "date": datetime.now(timezone.utc).isoformat(),
            "versions": versions(),
        },
    )
    print(f"wrote {args.out}, {runs_path} and {args.out.with_suffix('.json')}")
    if args.out.resolve() == (RESULTS / "rate_projection.csv").resolve():
        page()
    return 0


def page() -> None:
    """``docs/results/rate_projection.rst`` from ``rate_projection.csv``."""
    import sys

    import pandas as pd

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "experiments"))
    from _pages import Page, fmt

    df = pd.read_csv(root / "benchmarks" / "results" / "rate_projection.csv")
    runs = pd.read_csv(root / "benchmarks" / "results" / "rate_projection_runs.csv")
    df["support"] = [f"{fmt(m, 0)} ± {fmt(s, 0)}" for m, s in zip(df.support_mean, df.support_sd)]
    df["reference"] = [f"{fmt(m, 0)} ± {fmt(s, 0)}" for m, s in zip(df.ref_mean, df.ref_sd)]
    ex = df[df.model == "explicit"]
    r0 = runs.iloc[0]
    p = Page(
        "rate_projection",
        "Rate engine: projection against the NEMO reference",
        command="python benchmarks/rate_projection.py",
        intro=(
            f"One projection of the rate engine, n = {int(r0.n)}, k = {int(r0.k)}, p = {r0.p}, "
            f"{int(df.seeds.max())} seeds, {int(df.rounds.max())} rounds, one core; final support (cells that "
            "ever fired) against the NEMO reference values. ``explicit`` is this package's network (inputs of "
            "never-fired cells fixed); ``nemo_lazy`` emulates NEMO's scheme, which redraws them every round."
        ),
    )
    p.text(
        "The explicit network's final support is "
        + ", ".join(f"{fmt(r.diff_pct, 1)} % (beta = {r.beta})" for r in ex.itertuples())
        + " off the reference; NEMO's scheme emulated: "
        + ", ".join(f"{fmt(r.diff_pct, 1)} %" for r in df[df.model != "explicit"].itertuples())
        + ". Median time per round of the explicit network: "
        + ", ".join(f"{fmt(r.round_ms_median, 1)} ms" for r in ex.itertuples())
        + "."
    )
    p.table(
        df,
        "benchmarks/results/rate_projection.csv",
        columns={
            "model": "model",
            "beta": "beta",
            "support": "final support",
            "reference": "NEMO reference",
            "diff_pct": "difference (%)",
            "last_new_round_median": "no new winners after round (median)",
            "round_ms_median": "ms / round",
        },
        formats={"diff_pct": "{:+.1f}", "last_new_round_median": "{:.0f}", "round_ms_median": "{:.2f}"},
    )
    p.write()


if __name__ == "__main__":
    raise SystemExit(main())
