"""Wall time and memory of a DIRECT run against area size n and number of variables A.

Both engines run the full DIRECT protocol through the pipeline
(:func:`spiking_direct.pipeline.simulate` + :func:`~spiking_direct.pipeline.finish`,
which is what :func:`~spiking_direct.pipeline.run` does, split so that the
Recording's spike count is at hand; ``figures=False``), each run in its own
subprocess (fresh process: the spiking engine compiles its network, as a
user's first run of a new network shape does).

Sweeps
------
``n``   neurons per area on the Alzheimer SCM (10 variables, 10 links, 148
        windows): spiking 125-2000 (16x), rate 250-4000 (16x). With the default
        all-pairs inter-area connectivity (``p_inter = 0.2``) the spiking
        network has 0.2 A (A - 1) n^2 plastic synapses: 72 M at n = 2000; n =
        4000 would be 288 M synapses (about 20 GB with the Python side), beyond
        this machine's share, so the spiking n-range stops at 2000.
``A``   variables, random DAGs ``random:<A>:2:0`` with A = 4, 8, 16, 32, 64
        (16x), at n = 250 for both engines and every A (one n, so that the
        slope is the growth in A alone; n = 250 keeps A = 64, 50 M synapses,
        within memory). The protocol grows with A too (windows: 84, 100, 172,
        216, 364 for these DAGs), so the time also carries the protocol length;
        ``simulate_s / bio_s`` (cost per simulated second) separates the two.

Recorded per run: ``build_s`` (spiking: code generation + compilation; rate:
drawing the connectivity), ``simulate_s``, ``total_s`` (pipeline, analysis
included), ``process_s`` (the subprocess's wall time, imports included),
``bio_s`` (windows x 40 ms; for the rate engine a window is 1-2 rounds, so
its "biological" time is nominal), ``bio_per_wall`` = bio_s / simulate_s,
``e_spikes`` (excitatory spikes / winners), ``mean_out_degree`` (inter-area
E->E synapses / excitatory cells), ``syn_events_per_s`` = e_spikes x
mean_out_degree / simulate_s (plastic inter-area events only; E->I and input
events are not counted), peak RSS: ``rss_python_mb`` (the Python process),
``rss_binary_mb`` (the simulation binary, from ``/usr/bin/time``),
``rss_children_mb`` (largest child process: the binary or a compiler),
``peak_rss_mb`` = python + binary (both are alive while the binary runs).
``binary_cpu_s`` (user + sys of the binary) against ``simulate_s`` shows
contention by other jobs on the machine.

Then fits the log-log slope (growth exponent) of simulate_s, total_s and
peak RSS in n and in A per engine and prints it.

    python benchmarks/scaling.py --quick   # 3 points per sweep
    python benchmarks/scaling.py           # 5 points per sweep

Writes ``benchmarks/results/scaling[_quick].csv`` (one row per run),
``scaling[_quick]_fits.csv`` and ``scaling[_quick].png``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"

FULL = {
    ("spiking", "n"): [125, 250, 500, 1000, 2000],
    ("rate", "n"): [250, 500, 1000, 2000, 4000],
    ("spiking", "A"): [4, 8, 16, 32, 64],
    ("rate", "A"): [4, 8, 16, 32, 64],
}
QUICK = {
    ("spiking", "n"): [250, 500, 1000],
    ("rate", "n"): [250, 1000, 4000],
    ("spiking", "A"): [4, 8, 16],
    ("rate", "A"): [4, 16, 64],
}
N_FOR_A = 250  # neurons per area in the A sweep (both engines)
DAG_DEGREE = 2


def model_name(sweep: str, value: int) -> str:
    return "alzheimer" if sweep == "n" else f"random:{value}:{DAG_DEGREE}:0"


def area_size(sweep: str, value: int) -> int:
    return value if sweep == "n" else N_FOR_A


# --------------------------------------------------------------------------
# worker: one DIRECT run in this process
# --------------------------------------------------------------------------
def worker(engine: str, model: str, n: int, seed: int, tfile: Path) -> dict:
    from spiking_direct import pipeline
    from spiking_direct.config import RunConfig, apply_overrides

    if engine == "spiking" and Path("/usr/bin/time").exists():
        import brian2 as b2

        # peak RSS of the simulation binary: run it under /usr/bin/time
        b2.prefs.devices.cpp_standalone.run_cmd_unix = [
            "/usr/bin/time",
            "-f",
            "%M %U %S %e",
            "-o",
            str(tfile),
            "./main",
        ]
    cfg = apply_overrides(RunConfig(model=model, engine=engine, seed=seed), [f"n={n}"])
    t0 = time.perf_counter()
    mdl, rec = pipeline.simulate(cfg)
    t_sim_end = time.perf_counter()
    out = {"analysis_error": None}
    try:
        res = pipeline.finish(cfg, mdl, rec, t0, figures=False)
        timing = res["timing"]
        out["delta_p_at_k"] = res["metrics_delta"]["precision_at_k"]
    except Exception as exc:  # noqa: BLE001  (e.g. an empty assembly at small n): keep the timings
        timing = dict(rec.timing)
        timing["total_s"] = None
        out["analysis_error"] = repr(exc)[:200]
    p = rec.protocol
    A = p.n_areas
    n_syn = int(len(rec.syn_pre))
    out.update(
        {
            "A": A,
            "n": int(rec.n),
            "k": int(rec.k),
            "links": int(mdl.n_links),
            "n_windows": int(p.n_windows),
            "build_s": float(timing.get("build_s") or 0.0),
            "simulate_s": float(timing["simulate_s"]),
            "analyse_s": timing.get("analyse_s"),
            "total_s": timing.get("total_s"),
            "pipeline_sim_s": t_sim_end - t0,
            "n_synapses_ee": n_syn,
            "e_spikes": int(len(rec.spike_neuron)),
            "mean_out_degree": n_syn / (A * rec.n),
            "rss_python_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "rss_children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        }
    )
    if engine == "spiking":
        import brian2 as b2

        # CPU time of the time-step loop alone (Brian2's own timer in network.run), i.e. without
        # connectivity generation, writing the results and reading them back
        out["loop_cpu_s"] = float(getattr(b2.get_device(), "_last_run_time", float("nan")))
    if tfile.exists():
        parts = tfile.read_text().split()
        try:
            out["rss_binary_mb"] = float(parts[-4]) / 1024
            out["binary_cpu_s"] = float(parts[-3]) + float(parts[-2])
            out["binary_wall_s"] = float(parts[-1])
        except (IndexError, ValueError):
            pass
    return out


# --------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------
def run_one(engine: str, sweep: str, value: int, seed: int, tmp: Path, timeout: float) -> dict:
    model, n = model_name(sweep, value), area_size(sweep, value)
    js, tf = tmp / f"{engine}_{sweep}_{value}.json", tmp / f"{engine}_{sweep}_{value}.time"
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        engine,
        "--model",
        model,
        "--n",
        str(n),
        "--seed",
        str(seed),
        "--json",
        str(js),
        "--timefile",
        str(tf),
    ]
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        rc, tail = proc.returncode, (proc.stdout + proc.stderr)[-2000:]
    except subprocess.TimeoutExpired:
        rc, tail = -1, f"timed out after {timeout:.0f} s"
    wall = time.perf_counter() - t0
    row = {"engine": engine, "sweep": sweep, "model": model, "n": n, "process_s": wall, "load1_before": load}
    if rc != 0 or not js.exists():
        row["error"] = f"rc {rc}: {tail}"
        return row
    row.update(json.loads(js.read_text()))
    row["bio_s"] = row["n_windows"] * 0.040
    row["bio_per_wall"] = row["bio_s"] / row["simulate_s"]
    row["sim_per_bio_s"] = row["simulate_s"] / row["bio_s"]
    row["loop_per_bio_s"] = row["loop_cpu_s"] / row["bio_s"] if row.get("loop_cpu_s") else None
    row["syn_events"] = row["e_spikes"] * row["mean_out_degree"]
    row["syn_events_per_s"] = row["syn_events"] / row["simulate_s"]
    row["peak_rss_mb"] = row["rss_python_mb"] + row.get("rss_binary_mb", 0.0)
    return row


def slope(x, y) -> float:
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)[0])


def fits(rows: list[dict]) -> list[dict]:
    out = []
    for engine in ("spiking", "rate"):
        for sweep, xkey in (("n", "n"), ("A", "A")):
            rs = sorted(
                (r for r in rows if r["engine"] == engine and r["sweep"] == sweep and "error" not in r),
                key=lambda r: r[xkey],
            )
            if len(rs) < 2:
                continue
            x = [r[xkey] for r in rs]
            f = {"engine": engine, "sweep": sweep, "points": len(rs), "range": f"{min(x)}-{max(x)}"}
            for key in (
                "build_s",
                "simulate_s",
                "total_s",
                "sim_per_bio_s",
                "loop_per_bio_s",
                "peak_rss_mb",
                "n_synapses_ee",
                "syn_events",
            ):
                y = [r.get(key) if r.get(key) is not None else np.nan for r in rs]
                f[f"slope_{key}"] = slope(x, y)
                # the upper three points: the growth once fixed costs (imports, compilation) are small
                f[f"slope_{key}_top3"] = slope(x[-3:], y[-3:]) if len(rs) > 3 else float("nan")
            out.append(f)
    return out


from spiking_direct.results import machine, write_csv  # noqa: E402


def plot(rows: list[dict], path: Path, mach: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    style = {"spiking": ("o", "C0"), "rate": ("s", "C1")}
    for col, (sweep, xkey, xlabel) in enumerate(
        (("n", "n", "neurons per area n (Alzheimer, A = 10)"), ("A", "A", f"variables A (random DAGs, n = {N_FOR_A})"))
    ):
        for engine in ("spiking", "rate"):
            rs = sorted(
                (r for r in rows if r["engine"] == engine and r["sweep"] == sweep and "error" not in r),
                key=lambda r: r[xkey],
            )
            if not rs:
                continue
            x = np.array([r[xkey] for r in rs])
            m, c = style[engine]
            ax = axes[0, col]
            tot = [r["total_s"] if r.get("total_s") is not None else np.nan for r in rs]
            ax.loglog(x, tot, m + "-", color=c, label=f"{engine}: total (slope {slope(x, tot):.2f})")
            ax.loglog(
                x,
                [r["simulate_s"] for r in rs],
                m + "--",
                color=c,
                alpha=0.7,
                label=f"{engine}: simulate (slope {slope(x, [r['simulate_s'] for r in rs]):.2f})",
            )
            if engine == "spiking":
                ax.loglog(x, [r["build_s"] for r in rs], m + ":", color=c, alpha=0.5, label="spiking: build (compile)")
            ax = axes[1, col]
            rss = [r["peak_rss_mb"] / 1024 for r in rs]
            ax.loglog(x, rss, m + "-", color=c, label=f"{engine}: peak RSS (slope {slope(x, rss):.2f})")
        for row_i, ylabel in ((0, "wall seconds"), (1, "peak RSS, GB (Python + binary)")):
            ax = axes[row_i, col]
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=7)
            xs = sorted({r[xkey] for r in rows if r["sweep"] == sweep and "error" not in r})
            if xs:
                from matplotlib.ticker import NullLocator

                ax.xaxis.set_minor_locator(NullLocator())
                ax.set_xticks(xs)
                ax.set_xticklabels([str(v) for v in xs])
    fig.suptitle("DIRECT run cost against area size and number of variables", fontsize=11)
    fig.text(0.01, 0.005, mach[:120], fontsize=6)
    fig.tight_layout(rect=(0, 0.02, 1, 0.97))
    fig.savefig(path, dpi=120)
    plt.close(fig)


def fmt(v, spec):
    return format(v, spec) if isinstance(v, (int, float)) and v is not None and np.isfinite(v) else "-"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 points per sweep")
    ap.add_argument("--engines", nargs="+", default=["spiking", "rate"], choices=["spiking", "rate"])
    ap.add_argument("--sweeps", nargs="+", default=["n", "A"], choices=["n", "A"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per run")
    ap.add_argument("--replot", action="store_true", help="only redraw the fits and the plot from the saved CSV")
    ap.add_argument("--page-only", action="store_true", help="rewrite the results page from the CSVs")
    ap.add_argument("--worker", choices=["spiking", "rate"], help=argparse.SUPPRESS)
    ap.add_argument("--model", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--timefile", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.page_only:
        page()
        return 0

    if args.worker:
        res = worker(args.worker, args.model, args.n, args.seed, args.timefile)
        args.json.write_text(json.dumps(res))
        return 0

    grid = QUICK if args.quick else FULL
    suffix = "_quick" if args.quick else ""
    if args.replot:
        import pandas as pd

        df = pd.read_csv(RESULTS / f"scaling{suffix}.csv")
        rows = [
            {k: v for k, v in r.items() if not (isinstance(v, float) and np.isnan(v) and k == "error")}
            for r in df.to_dict("records")
        ]
        for r in rows:
            if isinstance(r.get("total_s"), float) and np.isnan(r["total_s"]):
                r["total_s"] = None
        report_fits(rows, suffix)
        plot(rows, RESULTS / f"scaling{suffix}.png", rows[0]["machine"])
        return 0
    mach = machine()
    print(f"machine: {mach}")
    print(f"spiking backend cpp_standalone, one simulation thread (OpenMP off), compile with make -j{os.cpu_count()}")
    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="scaling_"))
    head = (
        f"{'engine':8s} {'sweep':5s} {'model':16s} {'A':>3s} {'n':>5s} {'synapses':>10s} {'windows':>7s} "
        f"{'build s':>8s} {'sim s':>8s} {'total s':>8s} {'bio/wall':>8s} {'ev/s':>9s} {'RSS GB':>7s} "
        f"{'bin cpu/wall':>12s} {'load':>5s}"
    )
    try:
        print(head)
        for sweep in args.sweeps:
            for engine in args.engines:
                for value in grid[(engine, sweep)]:
                    r = run_one(engine, sweep, value, args.seed, tmp, args.timeout)
                    rows.append(r)
                    if "error" in r:
                        print(f"{engine:8s} {sweep:5s} {r['model']:16s} n={r['n']}: FAILED {r['error'][-600:]}")
                        continue
                    cw = (r["binary_cpu_s"] / r["binary_wall_s"]) if r.get("binary_wall_s") else None
                    print(
                        f"{engine:8s} {sweep:5s} {r['model']:16s} {r['A']:3d} {r['n']:5d} {r['n_synapses_ee']:10d} "
                        f"{r['n_windows']:7d} {r['build_s']:8.2f} {r['simulate_s']:8.2f} "
                        f"{fmt(r['total_s'], '8.2f'):>8s} {r['bio_per_wall']:8.3f} {r['syn_events_per_s']:9.2e} "
                        f"{r['peak_rss_mb'] / 1024:7.2f} {fmt(cw, '12.2f'):>12s} {r['load1_before']:5.2f}"
                        + (f"  (analysis failed: {r['analysis_error'][:60]})" if r.get("analysis_error") else ""),
                        flush=True,
                    )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    import pandas as pd

    RESULTS.mkdir(parents=True, exist_ok=True)
    df = pd.DataFrame(rows)
    df["machine"] = mach
    write_csv(RESULTS / f"scaling{suffix}.csv", df)
    report_fits(rows, suffix)
    plot(rows, RESULTS / f"scaling{suffix}.png", mach)
    print(f"wrote {RESULTS / f'scaling{suffix}.csv'}, scaling{suffix}_fits.csv, scaling{suffix}.png")
    if not suffix:
        page()
    return 0


def report_fits(rows: list[dict], suffix: str) -> None:
    import pandas as pd

    fr = fits(rows)
    write_csv(RESULTS / f"scaling{suffix}_fits.csv", pd.DataFrame(fr))
    print("\ngrowth exponents (log-log slope of y against the swept variable; in brackets: upper 3 points only)")
    keys = [
        ("n_synapses_ee", "synapses"),
        ("simulate_s", "simulate"),
        ("sim_per_bio_s", "sim/bio"),
        ("loop_per_bio_s", "loop/bio"),
        ("total_s", "total"),
        ("peak_rss_mb", "peak RSS"),
        ("syn_events", "events"),
    ]
    print(f"{'engine':8s} {'sweep':5s} {'range':>9s} " + " ".join(f"{h:>13s}" for _, h in keys))
    for f in fr:
        cells = []
        for k, _ in keys:
            a, b = f[f"slope_{k}"], f[f"slope_{k}_top3"]
            cells.append(f"{fmt(a, '.2f')} [{fmt(b, '.2f')}]" if np.isfinite(a) else "-")
        print(f"{f['engine']:8s} {f['sweep']:5s} {f['range']:>9s} " + " ".join(f"{c:>13s}" for c in cells))


def page() -> None:
    """``docs/results/scaling.rst`` from ``scaling.csv`` and ``scaling_fits.csv``."""
    import pandas as pd

    sys.path.insert(0, str(RESULTS.parent.parent / "experiments"))
    from _pages import Page, fmt

    df = pd.read_csv(RESULTS / "scaling.csv")
    fits_ = pd.read_csv(RESULTS / "scaling_fits.csv")
    sp = df[df.engine == "spiking"]
    p = Page(
        "scaling",
        "Scaling with area size and number of variables",
        command="python benchmarks/scaling.py",
        intro=(
            "Two sweeps per engine: the area size n on the Alzheimer SCM, and the number of variables A on "
            "random DAGs at n = 250 with every pair of areas connected. Growth exponents are log-log slopes "
            "over the points of each sweep."
        ),
    )

    def slope(engine, sweep, col):
        return fmt(fits_[(fits_.engine == engine) & (fits_.sweep == sweep)][f"slope_{col}"].iloc[0])

    p.text(
        f"Spiking simulate time grows as n^{slope('spiking', 'n', 'simulate_s')} and "
        f"A^{slope('spiking', 'A', 'simulate_s')} (per simulated second A^{slope('spiking', 'A', 'sim_per_bio_s')}: "
        f"the protocol grows with A too); compilation stays at {fmt(sp.build_s.min(), 1)}-"
        f"{fmt(sp.build_s.max(), 1)} s; synapses grow as n^{slope('spiking', 'n', 'n_synapses_ee')} and "
        f"A^{slope('spiking', 'A', 'n_synapses_ee')}; peak memory reaches "
        f"{fmt(sp[sp.sweep == 'n'].peak_rss_mb.max() / 1024, 1)} GB (n sweep) and "
        f"{fmt(sp[sp.sweep == 'A'].peak_rss_mb.max() / 1024, 1)} GB (A sweep). Rate engine total time: "
        f"n^{slope('rate', 'n', 'total_s')}, A^{slope('rate', 'A', 'total_s')}."
    )
    p.table(
        df,
        "benchmarks/results/scaling.csv",
        columns={
            "engine": "engine",
            "sweep": "sweep",
            "A": "A",
            "n": "n",
            "n_synapses_ee": "synapses",
            "build_s": "build (s)",
            "simulate_s": "simulate (s)",
            "total_s": "total (s)",
            "peak_rss_mb": "peak memory (MB)",
            "delta_p_at_k": "Δ P@K",
        },
        formats={
            "n_synapses_ee": "{:.2e}",
            "build_s": "{:.1f}",
            "simulate_s": "{:.2f}",
            "total_s": "{:.1f}",
            "peak_rss_mb": "{:.0f}",
            "delta_p_at_k": "{:.2f}",
        },
    )
    p.figure("benchmarks/results/scaling.png", "Build, simulate and total time, synapses and memory over both sweeps.")
    p.write()


if __name__ == "__main__":
    raise SystemExit(main())
