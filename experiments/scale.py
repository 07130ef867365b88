"""Scale: memory and time of DIRECT on the shipped networks, from asia to munin, on both engines.

Claim measured: with the sparse protocol (gains per coupled pair, fibres per area), the spiking
engine's pair form of its schedule and the rate engine's weights without copies, a run's peak
memory follows its synapses, not ``windows x variables^2``; munin (1041 variables) runs on the rate
engine with linked connectivity. Every case is one ``spiking-direct run`` in a child process
(``prlimit --as`` caps each process at ``--limit-gb``); :class:`spiking_direct.peak_memory.PeakMemory`
adds up the resident memory of that process and of the spiking engine's simulation binary every
0.05 s, and the files the binary writes into the run's own scratch folder in ``/dev/shm`` (memory,
though of no process: ``peak_shm_bytes``; pages of them that a process maps are counted there
once), so the peaks are lower bounds of the true ones by at most what rose and fell within
0.05 s. Wall times are
upper bounds on a shared machine. The memory estimate (``spiking_direct.memory.estimate``) is
printed beside each measured peak.

Cases: ``CASES`` (model, engine, connectivity, n, extra ``--set`` items): the rate engine at its
default n = 1000, the spiking engine at n = 250. pathfinder, whose variable ``Fault`` has 63
values, cannot hold 63 assemblies of k = 32 in an area of 1000 cells and is refused at the
defaults, so it runs with k = 15 at n = 1000 (63 x 15 cells: 94 % of the area; the union of
Fault's assemblies, which overlap, measured 57 %) and at n = 2000, and with 200 coupling windows
per link instead of 20 at both sizes, and on the spiking engine with k = 15 at n = 1000 (seed 1,
seed 2 held out, and seed 2's no-plasticity control: a case's ``seed=N`` item sets its seed);
munin on the spiking engine runs at n = 250 with k = 11 (its 21-valued variables cover 92 %).
Every pair connected: the networks up to win95pts on both engines (hailfinder on the rate engine also
with 200 coupling windows per link) and andes at n = 250
(pathfinder's all-pairs network, estimated at 18.9 GiB, does not fit the 16 GB cap).
Resumable: a case already in the table is not run again (``--redo`` runs it again).

    python experiments/scale.py [--engines rate,spiking] [--models asia,munin] [--timeout-s 1800]
    python experiments/scale.py --plot-only

Writes ``experiments/results/scale.csv``, ``experiments/results/scale.json`` (parameters, seed,
versions, machine) and ``figures/scale.png`` (peak memory and wall time against variables and
synapses, and peak bytes per synapse of the Python process and of the simulation binary; seed 1
without the control).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from spiking_direct.peak_memory import PeakMemory
from spiking_direct.results import atomic_write_bytes, versions, write_csv

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT / "experiments" / "results" / "scale.csv"
META = ROOT / "experiments" / "results" / "scale.json"
FIGURE = ROOT / "figures" / "scale.png"
SEED = 1
N_RATE, N_SPIKING = 1000, 250  # cells per area: the rate engine's default, and the spiking size

#: the networks up to win95pts (76 variables)
SMALL = ("asia", "sachs", "child", "insurance", "alarm", "hailfinder", "hepar2", "win95pts")
#: (model, engine, connectivity, n, extra --set items), smallest first
CASES = [
    *[(m, "rate", "linked", N_RATE, ()) for m in (*SMALL, "andes")],
    ("pathfinder", "rate", "linked", 1000, ("k=15",)),
    ("pathfinder", "rate", "linked", 2000, ("k=15",)),
    # 20 coupling windows per link present at most 20 of Fault's 63 values: 200 present most of them
    ("pathfinder", "rate", "linked", 2000, ("k=15", "protocol.couple_steps=200")),
    ("pathfinder", "rate", "linked", 1000, ("k=15", "protocol.couple_steps=200")),
    *[(m, "rate", "linked", N_RATE, ()) for m in ("pigs", "link", "munin")],
    ("andes", "rate", "all", 250, ()),
    # every pair connected where it fits in 16 GB (pathfinder all-pairs: estimated 18.9 GiB at n = 1000, k = 15)
    *[(m, "rate", "all", N_RATE, ()) for m in SMALL],
    # hailfinder's Scenario and ScnRelPlFcst (11 values each) at 20 coupling windows per link against 200
    ("hailfinder", "rate", "all", N_RATE, ("protocol.couple_steps=200",)),
    *[(m, "spiking", "linked", N_SPIKING, ()) for m in SMALL],
    ("andes", "spiking", "linked", N_SPIKING, ()),
    *[(m, "spiking", "all", N_SPIKING, ()) for m in SMALL],
    ("andes", "spiking", "all", 250, ()),
    # Fault's 63 values do not fit an area of 250 cells: pathfinder as on the rate engine; a seed held
    # out from every choice above, and its negative control (no plasticity)
    ("pathfinder", "spiking", "linked", 1000, ("k=15",)),
    ("pathfinder", "spiking", "linked", 1000, ("k=15", "seed=2")),
    ("pathfinder", "spiking", "linked", 1000, ("k=15", "seed=2", "control=no_plasticity")),
    *[(m, "spiking", "linked", N_SPIKING, ()) for m in ("pigs", "link")],
    # munin's 21-valued variables need 21 k cells: at n = 250 that is k = 11 (92 % of the area)
    ("munin", "spiking", "linked", N_SPIKING, ("k=11",)),
]
KEY = ["model", "engine", "connectivity", "n", "extra"]


def _overrides(engine: str, connectivity: str, n: int, extra) -> list[str]:
    """The ``--set`` items of a case (its ``seed=N`` item is the run's seed, see :func:`_seed`)."""
    return [f"{engine}.connectivity={connectivity}", f"n={n}", *(x for x in extra if not x.startswith("seed="))]


def _seed(extra) -> int:
    """A case's seed: its ``seed=N`` item, else :data:`SEED`."""
    seeds = [int(x.split("=", 1)[1]) for x in extra if x.startswith("seed=")]
    return seeds[0] if seeds else SEED


def _main_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of the default seed without a negative control (the figure's)."""
    extra = df["extra"].fillna("").astype(str)
    return df[~extra.str.contains("seed=") & ~extra.str.contains("control=")]


def _estimate(model_name: str, engine: str, sets: list[str]) -> tuple[dict, object]:
    from spiking_direct.causal import get_model
    from spiking_direct.config import RunConfig, apply_overrides
    from spiking_direct.memory import estimate

    model = get_model(model_name)
    cfg = apply_overrides(RunConfig(model=model_name, engine=engine, seed=SEED), sets)
    params = cfg.rate if engine == "rate" else cfg.spiking
    e = estimate(cfg, model)
    return {
        "n_variables": model.n_variables,
        "n_links": model.n_links,
        "k": int(params.k_eff),
        "n_windows": e.n_windows,
        "estimate_bytes": int(e.total),
        "estimate_peak": e.peak,
        "estimate_synapses": int(e.n_synapses),
    }, model


#: seconds between two polls of a run's memory
SAMPLE_S = 0.05


def run_case(case, out_root: Path, limit_gb: float, timeout_s: float) -> dict:
    model_name, engine, connectivity, n, extra = case
    sets = _overrides(engine, connectivity, n, extra)
    row = {
        "model": model_name,
        "engine": engine,
        "connectivity": connectivity,
        "n": n,
        "extra": " ".join(extra),
        "seed": _seed(extra),
        "date": time.strftime("%Y-%m-%d"),  # a resumed table spans days
    }
    info, _ = _estimate(model_name, engine, sets)
    row.update(info)
    out = out_root / f"{model_name}_{engine}_{connectivity}_n{n}{'_' + '_'.join(extra) if extra else ''}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    cmd = [
        sys.executable,
        "-m",
        "spiking_direct.cli",
        "run",
        model_name,
        "--engine",
        engine,
        "--seed",
        str(_seed(extra)),
    ]
    for item in sets:
        cmd += ["--set", item]
    cmd += ["--out", str(out), "--no-figures"]
    if shutil.which("prlimit"):
        cmd = ["prlimit", f"--as={int(limit_gb * (1 << 30))}", "--"] + cmd
    log = open(out / "log.txt", "w")
    # the run's results scratch in a folder of its own, so that its files can be counted
    shm = Path("/dev/shm") / f"spiking_direct_scale_{os.getpid()}" if Path("/dev/shm").is_dir() else None
    env = dict(os.environ)
    if shm is not None:
        shutil.rmtree(shm, ignore_errors=True)
        shm.mkdir()
        env["SPIKING_DIRECT_SCRATCH"] = str(shm)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    sampler = PeakMemory(proc.pid, shm, period=SAMPLE_S)
    sampler.start()
    try:
        rc = proc.wait(timeout=timeout_s)
        status = "ok" if rc == 0 else "failed"
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        status = "timeout"
    wall = time.perf_counter() - t0
    sampler.stop()
    log.close()
    if shm is not None:
        shutil.rmtree(shm, ignore_errors=True)
    text = (out / "log.txt").read_text(errors="replace").strip().splitlines()
    last = [line for line in text if line.strip()]
    row.update(
        status=status,
        wall_s=wall,
        peak_tree_bytes=sampler.total,
        peak_python_bytes=sampler.python,
        peak_child_bytes=sampler.binary,
        peak_shm_bytes=sampler.scratch_bytes,
        memory_sampler=f"peak_memory {SAMPLE_S} s",
        last_line=last[-1][:300] if last else "",
    )
    row["estimate_over_peak"] = row["estimate_bytes"] / sampler.total if sampler.total else None
    result = out / "result.json"
    if status == "ok" and result.exists():
        res = json.loads(result.read_text())
        t, ei = res["timing"], res["engine_info"]
        synapses = ei.get("n_synapses_inter", ei.get("n_synapses_ee"))
        row.update(
            delta_precision_at_k=res["metrics_delta"]["precision_at_k"],
            delta_auroc=res["metrics_delta"]["auroc"],
            delta_prop_precision_at_k=res["metrics_delta_prop"]["precision_at_k"],
            delta_prop_auroc=res["metrics_delta_prop"]["auroc"],
            delta_prop_cc_precision_at_k=(res.get("metrics_delta_prop_cc") or {}).get("precision_at_k"),
            delta_prop_cc_auroc=(res.get("metrics_delta_prop_cc") or {}).get("auroc"),
            area_cover_max=res["summary"].get("area_cover_max"),
            probe_rule=res.get("probe_selection", {}).get("rule"),
            probe_pairs=res.get("probe_selection", {}).get("n_pairs"),
            n_synapses=synapses,
            total_s=t.get("total_s"),
            build_s=t.get("build_s"),
            simulate_s=t.get("simulate_s"),
            analyse_s=t.get("analyse_s"),
            write_s=t.get("write_s"),
        )
        if synapses:
            row["tree_bytes_per_synapse"] = sampler.total / synapses
            row["python_bytes_per_synapse"] = sampler.python / synapses
            row["child_bytes_per_synapse"] = sampler.binary / synapses if sampler.binary else None
        (out / "recording.npz").unlink(missing_ok=True)  # the table keeps what matters; spikes are large
    return row


def plot(df: pd.DataFrame) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = _main_rows(df[df["status"] == "ok"])
    fig, axes = plt.subplots(2, 2, figsize=(12, 9.5))
    axes = axes.ravel()
    styles = {
        ("rate", "linked"): ("o", "C0"),
        ("rate", "all"): ("s", "C2"),
        ("spiking", "linked"): ("^", "C1"),
        ("spiking", "all"): ("D", "C3"),
    }
    for (engine, conn), (marker, colour) in styles.items():
        d = ok[(ok["engine"] == engine) & (ok["connectivity"] == conn)].sort_values("n_variables")
        if d.empty:
            continue
        label = f"{engine}, {conn}"
        syn = d["n_synapses"].astype(float)
        axes[0].plot(d["n_variables"], d["peak_tree_bytes"] / 2**30, marker, color=colour, label=f"{label}: measured")
        axes[0].plot(d["n_variables"], d["estimate_bytes"] / 2**30, marker, color=colour, mfc="none", alpha=0.6,
                     label=f"{label}: estimate")  # fmt: skip
        axes[1].plot(syn, d["peak_tree_bytes"] / 2**30, marker, color=colour)
        axes[2].plot(d["n_variables"], d["wall_s"], marker, color=colour)
        axes[3].plot(syn, d["python_bytes_per_synapse"].astype(float), marker, color=colour)
        if engine == "spiking":
            axes[3].plot(syn, d["child_bytes_per_synapse"].astype(float), marker, color=colour, mfc="none", ms=9)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set(xlabel="variables", ylabel="peak memory (GiB)", title="peak memory (processes and /dev/shm files)")
    axes[1].set(xlabel="inter-area synapses", ylabel="peak memory (GiB)", title="peak memory against synapses")
    axes[2].set(xlabel="variables", ylabel="wall time (s)", title="wall time (upper bound: shared machine)")
    axes[3].set(
        xlabel="inter-area synapses",
        ylabel="peak bytes per inter-area synapse",
        title="per synapse: Python (filled), simulation binary (open)",
    )
    axes[0].axhline(16, color="grey", ls="--", lw=1)
    axes[1].axhline(16, color="grey", ls="--", lw=1)
    axes[2].axhline(1800, color="grey", ls="--", lw=1)
    axes[3].axhline(16, color="grey", ls="--", lw=1)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
    n = sorted(set(ok["n"]))
    fig.suptitle(
        f"DIRECT on the shipped networks (cells per area: {', '.join(map(str, n))}; seed {SEED}; dashed: 16 GB, "
        "30 min, 16 bytes)"
    )
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    buf = __import__("io").BytesIO()
    fig.savefig(buf, dpi=100, format="png")
    atomic_write_bytes(FIGURE, buf.getvalue())
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engines", default="rate,spiking")
    ap.add_argument("--models", default=None, help="only these models (comma-separated)")
    ap.add_argument("--out", default=str(ROOT / "runs" / "scale"))
    ap.add_argument("--limit-gb", type=float, default=16.0, help="address-space cap of each process (prlimit)")
    ap.add_argument("--timeout-s", type=float, default=1800.0, help="wall-clock limit of one case")
    ap.add_argument("--redo", action="store_true", help="run the selected cases again")
    ap.add_argument("--plot-only", action="store_true")
    ap.add_argument("--reestimate", action="store_true", help="recompute the memory estimates of the table's rows")
    ap.add_argument("--page-only", action="store_true", help="rewrite docs/results/scale.rst from the table")
    args = ap.parse_args()
    if args.page_only:
        page()
        return
    if args.plot_only:
        plot(pd.read_csv(CSV))
        page()
        return
    if args.reestimate:
        df = pd.read_csv(CSV, keep_default_na=False, na_values=[""])
        for i, r in df.iterrows():
            extra = tuple(str(r["extra"]).split()) if isinstance(r["extra"], str) else ()
            info, _ = _estimate(r["model"], r["engine"], _overrides(r["engine"], r["connectivity"], int(r["n"]), extra))
            df.loc[i, list(info)] = list(info.values())
            if r["peak_tree_bytes"]:
                df.loc[i, "estimate_over_peak"] = info["estimate_bytes"] / r["peak_tree_bytes"]
        write_csv(CSV, df)
        plot(df)
        return
    engines = set(args.engines.split(","))
    models = set(args.models.split(",")) if args.models else None
    df = pd.read_csv(CSV, keep_default_na=False, na_values=[""]) if CSV.exists() else pd.DataFrame(columns=KEY)
    df["extra"] = df["extra"].fillna("")  # no extra items: an empty string, as in the keys below
    done = {tuple(str(r[k]) for k in KEY) for _, r in df.iterrows()}
    for case in CASES:
        model_name, engine, connectivity, n, extra = case
        if engine not in engines or (models is not None and model_name not in models):
            continue
        key = (model_name, engine, connectivity, str(n), " ".join(extra))
        if key in done and not args.redo:
            continue
        print(f"{model_name} {engine} {connectivity} n={n} {' '.join(extra)} ...", flush=True)
        row = run_case(case, Path(args.out), args.limit_gb, args.timeout_s)
        print(
            f"  {row['status']}: wall {row['wall_s']:.0f} s, peak {row['peak_tree_bytes'] / 2**30:.2f} GiB "
            f"(estimate {row['estimate_bytes'] / 2**30:.2f} GiB), "
            f"delta P@K {row.get('delta_precision_at_k')}, delta_prop P@K {row.get('delta_prop_precision_at_k')}",
            flush=True,
        )
        if not df.empty:
            df = df[~df[KEY].astype(str).apply(tuple, axis=1).isin([key])]
        df = pd.concat([df, pd.DataFrame([row])], ignore_index=True)
        write_csv(CSV, df)
    meta = {
        "seed": SEED,
        "cases": [list(map(str, c[:4])) + [" ".join(c[4])] for c in CASES],
        "cells_per_area": {"rate": N_RATE, "spiking": N_SPIKING},
        "limit_gb": args.limit_gb,
        "timeout_s": args.timeout_s,
        "memory": "peak of the run's Python process, its simulation binary and its results files in /dev/shm "
        f"at one moment, sampled every {SAMPLE_S} s by spiking_direct.peak_memory.PeakMemory (a process's "
        "RssAnon + RssFile: mapped pages of the results files are counted once, as files); rows whose "
        "memory_sampler is empty were sampled every 0.2 s with psutil's RSS, which counts such pages a "
        "second time in the process that maps them",
        "versions": versions(),
    }
    atomic_write_bytes(META, json.dumps(meta, indent=1).encode())
    if not df.empty:
        plot(df)
        page()


def _hailfinder_coupling(ok: pd.DataFrame) -> str:
    """hailfinder with every pair connected on the rate engine, at the default coupling and at 200
    coupling windows per link (empty unless both rows are in the table)."""
    rows = ok[(ok["model"] == "hailfinder") & (ok["engine"] == "rate") & (ok["connectivity"] == "all")]
    base = rows[rows["extra"].fillna("").astype(str) == ""]
    more = rows[rows["extra"].fillna("").astype(str).str.contains("couple_steps=200")]
    if base.empty or more.empty:
        return ""
    b, m = base.iloc[0], more.iloc[0]
    return (
        " hailfinder on the rate engine with every pair connected: the links it misses at the default coupling "
        "come from its two variables of 11 values (Scenario, with 16 children, and its child ScnRelPlFcst), "
        "whose values share a link's 20 coupling windows, about 2 each; with 200 windows per link Δprop / "
        f"Δprop cc P@K are {m['delta_prop_precision_at_k']:.2f} / "
        f"{float(m['delta_prop_cc_precision_at_k']):.2f} (default: {b['delta_prop_precision_at_k']:.2f} / "
        f"{float(b['delta_prop_cc_precision_at_k']):.2f}; the same seed)."
    )


def _pathfinder_spiking(ok: pd.DataFrame) -> str:
    """pathfinder on the spiking engine at the default coupling: each seed, and the control."""
    rows = ok[(ok["model"] == "pathfinder") & (ok["engine"] == "spiking")]
    rows = rows[~rows["extra"].fillna("").astype(str).str.contains("couple_steps")]
    if rows.empty:
        return ""
    parts = []
    for _, r in rows.iterrows():
        extra = str(r["extra"]) if isinstance(r["extra"], str) else ""
        what = f"seed {int(r['seed'])}"
        if "control=" in extra:
            what += " without plasticity (the negative control; null given the skeleton 0.5)"
        elif "seed=" in extra:
            what += " (held out from every choice)"
        parts.append(f"{what} {float(r['delta_prop_precision_at_k']):.2f} (AUROC {float(r['delta_prop_auroc']):.2f})")
    return "; on the spiking engine at the default coupling (n = 1000, k = 15) Δprop P@K: " + ", ".join(parts)


def page() -> None:
    """``docs/results/scale.rst`` from ``scale.csv`` (every number formatted from it)."""
    import sys

    sys.path.insert(0, str(ROOT / "experiments"))
    from _pages import Page

    def extra(r) -> str:
        return r["extra"] if isinstance(r["extra"], str) else ""

    def label(r) -> str:
        return " ".join(x for x in (r["model"], r["engine"], r["connectivity"], f"n = {int(r['n'])}", extra(r)) if x)

    df = pd.read_csv(CSV, keep_default_na=False, na_values=[""])
    df["peak_gib"] = df["peak_tree_bytes"] / 2**30
    df["estimate_gib"] = df["estimate_bytes"] / 2**30
    ok = df[df["status"] == "ok"]
    p = Page(
        "scale",
        "DIRECT on the shipped networks: memory and time against size",
        command="python experiments/scale.py",
        intro=(
            "Every shipped network from asia to munin on both engines, seed 1 (pathfinder on the spiking engine "
            "also seed 2 and its negative control), with the protocol's default "
            "coupling; ``linked``: only the coupled pairs of areas are connected, ``all``: every ordered pair. "
            "Peak memory is the resident memory of the run's process tree (the Python process and the compiled "
            "simulation) plus the results files the simulation writes into ``/dev/shm`` (memory as well), "
            f"sampled every {SAMPLE_S} s by :class:`spiking_direct.peak_memory.PeakMemory` (results files "
            "that the Python process maps counted once); rows of ``scale.csv`` without a ``memory_sampler`` "
            "were sampled every 0.2 s from psutil's resident set, which counts such mapped files a second time. "
            "The estimate is "
            "the one printed before the run. Wall times were taken on a shared 2-core machine, whose speed "
            "varies from day to day by up to 1.5 times: upper bounds, comparable only within a date."
        ),
    )
    bullets = []
    base = _main_rows(ok)
    for engine in ("rate", "spiking"):  # each engine's largest network, then its most synapses
        rows = base[base["engine"] == engine].sort_values(["n_variables", "n_synapses"], ascending=False)
        for _, r in rows.head(1).iterrows():
            bullets.append(
                f"Largest completed: {r['model']} ({int(r['n_variables'])} variables, {int(r['n_links'])} links), "
                f"{r['engine']}, {r['connectivity']}, n = {int(r['n'])}: Δ / Δprop P@K "
                f"{r['delta_precision_at_k']:.2f} / {r['delta_prop_precision_at_k']:.2f}, {r['wall_s']:.0f} s, "
                f"peak {r['peak_gib']:.2f} GiB (estimate {r['estimate_gib']:.2f})."
            )
    bad = df[df["status"] != "ok"]
    for _, r in bad.iterrows():
        bullets.append(
            f"Not completed: {r['model']} {r['engine']} {r['connectivity']} n = {int(r['n'])} "
            f"{extra(r)}: {r['status']} after {r['wall_s']:.0f} s (peak {r['peak_gib']:.2f} GiB)."
        )
    ratio = ok["estimate_over_peak"].astype(float)
    bullets.append(f"Estimate / measured peak over the completed runs: {ratio.min():.2f}-{ratio.max():.2f}.")
    big = ok[ok["n_synapses"].astype(float) > 1e8].sort_values("n_synapses")
    if len(big):
        parts = []
        for _, r in big.iterrows():
            text = f"{label(r)} {float(r['python_bytes_per_synapse']):.1f} (Python)"
            if float(r.get("child_bytes_per_synapse") or 0) > 0:
                text += f", {float(r['child_bytes_per_synapse']):.1f} (simulation binary)"
            parts.append(text)
        bullets.append(
            "Peak bytes per inter-area synapse where synapses dominate (over 10^8): "
            + "; ".join(parts)
            + ". The simulation binary holds 12 bytes per synapse in Brian2's arrays (presynaptic and "
            "postsynaptic cell, int32; weight, float32) and the post pathway's synapse ids "
            "(``engines/templates/spikequeue.h``: 4 bytes each, Elias-Fano coded, about 2, in pathways of "
            "2\\ :sup:`25` synapses or more); the Python process maps the binary's results after it has exited. "
            "Below 10^8 synapses the fixed costs (the interpreter and its packages, the protocol's schedule) "
            "make the bytes per synapse larger (the figure's fourth panel)."
        )
    rate = ok[(ok["engine"] == "rate") & (ok["connectivity"] == "linked")]
    if len(rate) >= 3:
        slope, icpt = np.polyfit(rate["n_synapses"].astype(float), rate["peak_python_bytes"].astype(float), 1)
        bullets.append(
            f"The rate engine's peak grows by {slope:.1f} bytes per synapse (least squares over its "
            f"{len(rate)} linked runs; {icpt / 1e9:.2f} GB at no synapse: the interpreter and its packages)."
        )
    control = ok["extra"].fillna("").astype(str).str.contains("control=")
    low = ok[(ok["delta_prop_precision_at_k"].astype(float) < 0.95) & ~control]
    for _, r in low.iterrows():
        cc = float(r["delta_prop_cc_precision_at_k"])
        bullets.append(
            f"{label(r)}: Δprop P@K "
            f"{r['delta_prop_precision_at_k']:.2f} (below 0.95); corrected for chance (Δprop cc) "
            + (f"{cc:.2f}" if cc == cc else "not recorded")
            + "."
        )
    cc_rows = ok[ok["delta_prop_cc_precision_at_k"].notna() & ~control]
    if len(cc_rows):
        cc_low = cc_rows[cc_rows["delta_prop_cc_precision_at_k"].astype(float) < 0.95]
        bullets.append(
            "Δprop corrected for chance (each target area's responders against the share of it that its "
            "assemblies cover; :doc:`../user-guide/readouts-metrics`): recorded for "
            f"{len(cc_rows)} of {int((~control).sum())} completed runs (negative controls aside), at least 0.95 in "
            f"{len(cc_rows) - len(cc_low)} of them"
            + (
                "; below: "
                + ", ".join(
                    f"{label(r)} {float(r['delta_prop_cc_precision_at_k']):.2f}"
                    for _, r in cc_low[~cc_low.index.isin(low.index)].iterrows()
                )
                if len(cc_low[~cc_low.index.isin(low.index)])
                else (" (the runs below it are among those above)" if len(cc_low) else "")
            )
            + "."
            + (
                " pathfinder's Fault has 63 values: at 20 coupling windows per link at most 20 of them are ever "
                "coupled to their targets, so on the rate engine its links carry nothing to read at the default "
                "coupling" + _pathfinder_spiking(ok) + "."
                if (cc_low["model"] == "pathfinder").any()
                else ""
            )
            + _hailfinder_coupling(ok)
        )
    p.bullets(bullets)
    show = df.sort_values(["engine", "n_variables", "connectivity", "n"])
    p.table(
        show,
        "experiments/results/scale.csv",
        sidecar="experiments/results/scale.json",
        columns={
            "model": "model",
            "engine": "engine",
            "connectivity": "connectivity",
            "n": "n",
            "extra": "overrides",
            "status": "status",
            "n_variables": "variables",
            "n_synapses": "synapses",
            "delta_precision_at_k": "Δ P@K",
            "delta_prop_precision_at_k": "Δprop P@K",
            "delta_prop_cc_precision_at_k": "Δprop cc P@K",
            "wall_s": "wall (s)",
            "peak_gib": "peak (GiB)",
            "estimate_gib": "estimate (GiB)",
        },
        formats={
            "n": "{:.0f}",
            "n_variables": "{:.0f}",
            "n_synapses": lambda v: f"{float(v):.3g}" if v == v else "n/a",
            "delta_precision_at_k": "{:.2f}",
            "delta_prop_precision_at_k": "{:.2f}",
            "delta_prop_cc_precision_at_k": lambda v: f"{float(v):.2f}" if v == v else "n/a",
            "wall_s": "{:.0f}",
            "peak_gib": "{:.2f}",
            "estimate_gib": "{:.2f}",
        },
    )
    p.figure("figures/scale.png", "Memory and time against variables and synapses.")
    p.write()


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
