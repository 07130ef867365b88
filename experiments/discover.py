"""Causal discovery from time series: the baselines on dynamic causal models, measured.

Each process is a static causal model unrolled in time (:func:`spiking_direct.causal.dynamic`):
every link acts with lag 1, a variable keeps its previous value with probability ``rho``
(``--autocorrelation``, 0 and 0.5 by default), ``burn_in`` 100 steps. Processes: the Alzheimer
SCM, asia, sachs and child (bnlearn networks shipped with pgmpy), and random Erdos-Renyi DAGs with 10
and 20 variables and expected degree 2 (``random:<n>:2:<seed>``: a new DAG per seed), and the
same DAGs with weaker links (``random<n>_weak``, :func:`weak_random`; also with 15 variables). Per
(process, rho, T, seed) one series is simulated from ``numpy.random.default_rng(seed)``, and the
negative control (its time steps in a random order, from the same Generator) beside it
(:func:`series_for`). Every method scores every ordered pair from the series alone
(:mod:`spiking_direct.discovery.baselines`, largest lag 1); AUROC, average precision and
Precision@K are computed over all ordered pairs against the lag-1 links
(:func:`spiking_direct.discovery.evaluate`). ``seconds`` is the method's wall time on the series.

``--part baselines``: processes x rho x T (500, 1000, 3000) x seeds (1-8) x {original,
shuffled} x methods. One row per (process, autocorrelation, T, seed, condition, method) in
``experiments/results/discover_baselines.csv.gz`` (gzip); its ``.json`` sidecar holds the parameters, seeds,
versions, the summary (mean and sd over seeds) and the cost per method.

``--part motifs``: three binary variables, copy strength 0.8 (:func:`spiking_direct.causal.motif`),
with the same rho, T and seeds. Chain A -> B -> C: ``spurious`` is the score of A -> C;
common driver A -> B, A -> C: ``spurious`` is the larger of B -> C and C -> B. ``ratio`` =
spurious / the weaker true link's score; ``above`` = the spurious pair outscores the weaker true
link. Writes ``experiments/results/discover_baselines_motifs.csv`` (+ ``.json``).

``--part assemblies``: the assembly protocol (:mod:`spiking_direct.discovery.assemblies`) on the
same series (:func:`series_for`), the methods of :data:`ASSEMBLY_METHODS` (engine x plasticity
rule, raw or calibrated by :data:`CALIBRATION_RUNS` time-shuffled runs), seeded with the run's seed,
into the same CSV; beside ``original`` and ``shuffled`` each
also runs with its plasticity off (condition ``plasticity_off``: the initial weights' scores).
The protocol's settings (the :class:`DiscoveryParams` defaults) were chosen on :data:`TUNED_ON`,
which the benchmark's seeds 1-8 do not include; the processes of :data:`HELD_OUT` were never used
to choose them, and those of :data:`FRESH` were used to choose nothing, the calibration included.
``--part motifs`` runs every method, baselines and assemblies;
``--part all`` runs all three parts.

    python experiments/discover.py [--part baselines|motifs|assemblies|all] [--quick]
        [--seeds 1 2 ...] [--T 500 1000 3000] [--processes ...] [--autocorrelation 0 0.5]
        [--methods ...] [--conditions original shuffled plasticity_off] [--plot-only]

``--quick``: seeds 1-2, T 500 and 1000. Resumable: rows already in a CSV are not run again.
Writes ``figures/discover_baselines.png`` (AUROC against T per method, one panel per process and rho).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one BLAS thread: the methods' small least-squares fits are faster so

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from functools import partial  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from spiking_direct.causal import dynamic, from_tables, get_model, motif  # noqa: E402
from spiking_direct.discovery import evaluate, shuffle_time  # noqa: E402
from spiking_direct.discovery.assemblies import DiscoveryParams, assembly_scores  # noqa: E402
from spiking_direct.discovery.baselines import METHODS, PC_ALPHA, available, method_versions  # noqa: E402
from spiking_direct.results import versions, write_csv, write_json  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "experiments" / "results"
CSV = RESULTS / "discover_baselines.csv.gz"  # compressed: the table is over 2 MB as text
CSV_SIDECAR = RESULTS / "discover_baselines.json"
MOTIF_CSV = RESULTS / "discover_baselines_motifs.csv"
FIGURE = ROOT / "figures" / "discover_baselines.png"

#: process name -> model name for get_model (``{seed}``: the run's seed)
PROCESSES = {
    "alzheimer": "alzheimer",
    "asia": "asia",
    "sachs": "sachs",
    "random10": "random:10:2:{seed}",
    "random20": "random:20:2:{seed}",
    "random10_weak": "weak:10:{seed}",
    "random20_weak": "weak:20:{seed}",
    "child": "child",
    "random15_weak": "weak:15:{seed}",
}
#: increments of a parent that is on, in the weak random DAGs (:func:`weak_random`)
WEAK_INCREMENTS = (0.05, 0.2)
T_VALUES = (500, 1000, 3000)
SEEDS = tuple(range(1, 9))
AUTOCORRELATION = (0.0, 0.5)
MAX_LAG = 1
BURN_IN = 100
MOTIF_STRENGTH = 0.8
CONDITIONS = ("original", "shuffled")
KEY = ["process", "autocorrelation", "T", "seed", "condition", "method"]
MOTIF_KEY = ["motif", "autocorrelation", "T", "seed", "method"]

#: Time-shuffled runs that calibrate each pair's score (:func:`spiking_direct.discovery.assemblies.calibrate`)
#: in the ``*_calibrated`` methods; their cost is ``CALIBRATION_RUNS + 1`` runs.
CALIBRATION_RUNS = 9
#: The assembly methods (:mod:`spiking_direct.discovery.assemblies`): name -> (engine, plasticity rule,
#: null runs); each is called as ``assembly_scores(series, max_lag, rule=, engine=, null_runs=,
#: seed=<the run's seed>)``. Without null runs the scores are raw, with them calibrated.
ASSEMBLY_METHODS: dict[str, tuple[str, str, int]] = {
    f"assemblies_{engine}_{rule}{suffix}": (engine, rule, runs)
    for suffix, runs in (("", 0), ("_calibrated", CALIBRATION_RUNS))
    for engine in ("rate", "spiking")
    for rule in ("hebbian", "predictive")
}
#: Where the spiking engine's standalone builds go (one per network shape, reused by every run and process).
BUILD_DIR = Path(tempfile.gettempdir()) / "spiking_direct_discover_builds"
#: Where the assembly protocol's settings (:class:`DiscoveryParams` defaults: eta, t_half, k, p_fire)
#: were chosen: these processes with seeds 101-104, never the benchmark's seeds.
TUNED_ON = (
    "random10 (rho 0, T 1000), random10_weak and random20_weak (rho 0 and 0.5, T 500 and 1000) and the two "
    "motifs (rho 0 and 0.5, T 1000), seeds 101-104"
)
#: The processes never used to choose the assembly protocol's settings.
HELD_OUT = ("alzheimer", "asia", "sachs", "random20")
#: Processes added after every setting was fixed, the calibration and its number of runs included, and
#: run by no method before the benchmark: held out from every choice (child: a bnlearn network shipped
#: with pgmpy, 20 variables with 2-6 values; random15_weak: a weak random DAG of a size not used before).
FRESH = ("child", "random15_weak")


def weak_random(n: int, seed: int):
    """The DAG of ``random:<n>:2:<seed>`` with weaker links: a root is on with probability
    ``U(0.3, 0.5)``, a child with ``min(0.98, 0.1 + sum of U(0.05, 0.2) over its parents that are
    on)`` (the built-in random DAG's increments are ``U(0.2, 0.5)``); parameters drawn in variable
    order from ``numpy.random.default_rng([seed, n])``."""
    base = get_model(f"random:{n}:2:{seed}")
    rng = np.random.default_rng([seed, n])
    tables = {}
    for v in base.variables:
        parents = base.parents(v)
        if not parents:
            p = rng.uniform(0.3, 0.5)
            tables[v] = np.array([p, 1 - p])
            continue
        inc = rng.uniform(*WEAK_INCREMENTS, size=len(parents))
        on = np.indices((2,) * len(parents)) == 0  # value index 0 is "on"
        p_on = np.minimum(0.98, 0.1 + np.tensordot(inc, on.astype(float), axes=1))
        tables[v] = np.stack([p_on, 1 - p_on], axis=-1)
    return from_tables(f"weak:{n}:{seed}", base.values, base.links, tables, description="weak random DAG")


def series_for(process: str, rho: float, T: int, seed: int):
    """``(dynamic model, series, time-shuffled series)`` of one run: the model from
    :data:`PROCESSES` (or a motif name), then, from ``numpy.random.default_rng(seed)``, the
    series and the permutation of its steps."""
    if process in PROCESSES and PROCESSES[process].startswith("weak:"):
        model = weak_random(int(PROCESSES[process].split(":")[1]), seed)
    elif process in PROCESSES:
        model = get_model(PROCESSES[process].format(seed=seed))
    else:
        model = motif(process, strength=MOTIF_STRENGTH)
    dyn = dynamic(model, lags=MAX_LAG, autocorrelation=rho, burn_in=BURN_IN)
    rng = np.random.default_rng(seed)
    series = dyn.simulate(T, rng)
    return dyn, series, shuffle_time(series, rng)


def _score(method: str, series, seed: int = 0, plastic: bool = True) -> tuple[np.ndarray | None, float, str]:
    if method in ASSEMBLY_METHODS:
        engine, rule, runs = ASSEMBLY_METHODS[method]
        prm = DiscoveryParams(plastic=plastic)
        extra = {"build_dir": BUILD_DIR} if engine == "spiking" else {}
        fn = partial(assembly_scores, rule=rule, engine=engine, seed=seed, params=prm, null_runs=runs, **extra)
    else:
        fn = METHODS[method]
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores = fn(series, max_lag=MAX_LAG)
        return np.asarray(scores, dtype=float), time.perf_counter() - t0, ""
    except Exception as exc:  # a failed method is a row with its error, not a stopped benchmark
        return None, time.perf_counter() - t0, f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"


def _read(path: Path, key: list[str]) -> pd.DataFrame:
    return pd.read_csv(path) if path.exists() else pd.DataFrame(columns=key)


def _done(table: pd.DataFrame, key: list[str]) -> set:
    return {tuple(str(x) for x in row) for row in table[key].itertuples(index=False)}


def _k(*parts) -> tuple:
    return tuple(str(x) for x in parts)


def run_grid(args, methods: list[str]) -> pd.DataFrame:
    """The baselines (and registered assembly methods) on every planned series; resumable."""
    table = _read(CSV, KEY)
    table["autocorrelation"] = table["autocorrelation"].astype(float)
    have = _done(table, KEY)
    for seed in args.seeds:  # seeds outermost: a cut-short run leaves balanced results
        for T in args.T:
            for process in args.processes:
                for rho in args.autocorrelation:
                    planned = [(c, m) for c in CONDITIONS for m in methods if c in args.conditions]
                    planned += [
                        ("plasticity_off", m)
                        for m in methods
                        if m in ASSEMBLY_METHODS and "plasticity_off" in args.conditions
                    ]
                    todo = [(c, m) for c, m in planned if _k(process, float(rho), T, seed, c, m) not in have]
                    if not todo:
                        continue
                    dyn, series, shuffled = series_for(process, rho, T, seed)
                    truth = dyn.adjacency()
                    rows = []
                    for condition, method in todo:
                        data = shuffled if condition == "shuffled" else series
                        scores, secs, err = _score(method, data, seed, plastic=condition != "plasticity_off")
                        ev = evaluate(scores, truth) if scores is not None else {}
                        rows.append(
                            {
                                "process": process,
                                "autocorrelation": float(rho),
                                "T": T,
                                "seed": seed,
                                "condition": condition,
                                "method": method,
                                "model": dyn.name,
                                "n_variables": len(dyn.variables),
                                "n_links": int(truth.sum()),
                                **{k: ev.get(k, np.nan) for k in ("auroc", "average_precision", "precision_at_k")},
                                "chance_average_precision": ev.get("chance_average_precision", np.nan),
                                "seconds": secs,
                                "error": err,
                            }
                        )
                    table = pd.concat([table, pd.DataFrame(rows)], ignore_index=True)
                    write_csv(CSV, table)
                    orig = [r for r in rows if r["condition"] == "original"]
                    print(
                        f"seed {seed} T {T} {process} rho {rho:g}: "
                        + ", ".join(f"{r['method']} {r['auroc']:.3f}" for r in orig)
                        + f" ({sum(r['seconds'] for r in rows):.1f} s)",
                        flush=True,
                    )
    return table


def _ok(table: pd.DataFrame) -> pd.Series:
    """The rows whose method ran (no error)."""
    return table["error"].isna() | (table["error"].astype(str) == "")


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    t = table[_ok(table)]
    g = t.groupby(["process", "autocorrelation", "condition", "method", "T"])
    out = g[["auroc", "average_precision", "precision_at_k", "seconds"]].agg(["mean", "std"])
    out.columns = [f"{a}_{b}" for a, b in out.columns]
    out["n_seeds"] = g.size()
    return out.reset_index()


def run_motifs(args, methods: list[str]) -> pd.DataFrame:
    table = _read(MOTIF_CSV, MOTIF_KEY)
    table["autocorrelation"] = table["autocorrelation"].astype(float)
    have = _done(table, MOTIF_KEY)
    pairs = {"chain": ([(0, 1), (1, 2)], [(0, 2)]), "common_driver": ([(0, 1), (0, 2)], [(1, 2), (2, 1)])}
    for seed in args.seeds:
        for T in args.T:
            for kind, (true, spurious) in pairs.items():
                for rho in args.autocorrelation:
                    todo = [m for m in methods if _k(kind, float(rho), T, seed, m) not in have]
                    if not todo:
                        continue
                    dyn, series, _ = series_for(kind, rho, T, seed)
                    rows = []
                    for method in todo:
                        s, secs, err = _score(method, series, seed)
                        row = {"motif": kind, "autocorrelation": float(rho), "T": T, "seed": seed, "method": method}
                        if s is not None:
                            weakest = min(s[i, j] for i, j in true)
                            spur = max(s[i, j] for i, j in spurious)
                            row |= {
                                "weakest_true": weakest,
                                "spurious": spur,
                                "ratio": spur / weakest if weakest > 0 else np.nan,
                                "above": bool(spur > weakest),
                                "auroc": evaluate(s, dyn.adjacency())["auroc"],
                            }
                        rows.append(row | {"seconds": secs, "error": err})
                    table = pd.concat([table, pd.DataFrame(rows)], ignore_index=True)
                    write_csv(MOTIF_CSV, table)
                    print(
                        f"motif {kind} seed {seed} T {T} rho {rho:g}: "
                        + ", ".join(f"{r['method']} {r.get('ratio', np.nan):.2f}" for r in rows),
                        flush=True,
                    )
    return table


def plot(table: pd.DataFrame) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = summarise(table)
    processes = [p for p in PROCESSES if p in set(s["process"])]
    rhos = sorted(set(s["autocorrelation"]))
    methods = [m for m in [*METHODS, *ASSEMBLY_METHODS] if m in set(s["method"])]
    base = [m for m in methods if m in METHODS]
    colours = dict(zip(base, plt.cm.tab10.colors))
    # assemblies: the engine by colour (rate black, spiking cyan), the rule by line style (hebbian dashed)
    engine_colour = {"rate": "k", "spiking": "tab:cyan"}
    assembly_style = {m: engine_colour[ASSEMBLY_METHODS[m][0]] for m in methods if m in ASSEMBLY_METHODS}
    colours |= assembly_style
    fig, axes = plt.subplots(
        len(rhos), len(processes), figsize=(3.4 * len(processes), 3.3 * len(rhos)), squeeze=False, sharey=True
    )
    labelled: set[str] = set()  # each method named once in the legend, in the first panel that draws it
    for r, rho in enumerate(rhos):
        for c, process in enumerate(processes):
            ax = axes[r, c]
            here = s[(s["process"] == process) & (s["autocorrelation"] == rho)]
            ctl = here[here["condition"] == "shuffled"].groupby("T")["auroc_mean"].agg(["min", "max", "mean"])
            if not ctl.empty:
                ax.fill_between(ctl.index, ctl["min"], ctl["max"], color="0.8", lw=0)
                ax.plot(
                    ctl.index,
                    ctl["mean"],
                    color="0.5",
                    ls=":",
                    label=None if "time shuffled" in labelled else "time shuffled",
                )
                labelled.add("time shuffled")
            for method in methods:
                sel = here[(here["method"] == method) & (here["condition"] == "original")].sort_values("T")
                if sel.empty:
                    continue
                ax.errorbar(
                    sel["T"],
                    sel["auroc_mean"],
                    yerr=sel["auroc_std"],
                    color=colours[method],
                    marker="s" if method in ASSEMBLY_METHODS else "o",
                    ms=3,
                    capsize=2,
                    lw=2.0 if method in ASSEMBLY_METHODS else 1.0,
                    ls="--" if "hebbian" in method else "-",
                    alpha=0.4 if method in ASSEMBLY_METHODS and not ASSEMBLY_METHODS[method][2] else 1.0,
                    label=None if method in labelled else method,
                )
                labelled.add(method)
            ax.axhline(0.5, color="0.6", lw=0.8)
            ax.set_xscale("log")
            ts = sorted(set(s["T"]))
            ax.set_xticks(ts, [str(t) for t in ts])
            ax.minorticks_off()
            sub = table[table["process"] == process]
            n_var, links = sub["n_variables"].astype(int), sub["n_links"].astype(int)
            span = lambda v: f"{v.min()}" if v.min() == v.max() else f"{v.min()}-{v.max()}"
            ax.set_title(f"{process} ({span(n_var)} var, {span(links)} links), rho {rho:g}", fontsize=9)
            ax.grid(alpha=0.3)
            if r == len(rhos) - 1:
                ax.set_xlabel("series length T (steps)")
            if c == 0:
                ax.set_ylabel("AUROC over ordered pairs")
    n = int(s["n_seeds"].max()) if not s.empty else 0
    fig.legend(loc="lower center", ncol=min(len(methods) + 1, 8), fontsize=8, frameon=False)
    fig.suptitle(
        f"Discovery from time series, lag-1 links: mean +- sd over up to {n} seeds "
        "(grey: time order shuffled, mean and range of the methods' means; assemblies: rate engine black, "
        "spiking cyan, hebbian dashed, predictive solid, raw scores faded)",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0.09, 1, 0.96))
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURE, dpi=110)
    plt.close(fig)
    calibrated = [m for m in assembly_style if ASSEMBLY_METHODS[m][2]]
    if assembly_style:
        plot_gap(s, processes, rhos, calibrated or list(assembly_style), colours)


def plot_gap(s: pd.DataFrame, processes: list[str], rhos: list[float], methods: list[str], colours: dict) -> None:
    """``figures/discover_assemblies.png``: each assembly method's mean AUROC minus the best baseline's
    (the best of the baselines' means in that setting), against T; one row per assembly method, one
    colour per process (filled markers: processes never used for tuning; stars: processes that chose nothing)."""
    import matplotlib.pyplot as plt

    orig = s[s["condition"] == "original"]
    base = orig[orig["method"].isin(list(METHODS))]
    best = base.groupby(["process", "autocorrelation", "T"])["auroc_mean"].max()
    pc = dict(zip(processes, plt.cm.tab10.colors))
    fig, axes = plt.subplots(
        len(methods), len(rhos), figsize=(5.2 * len(rhos), 2.8 * len(methods)), squeeze=False, sharey=True, sharex=True
    )
    for r, method in enumerate(methods):
        for c, rho in enumerate(rhos):
            ax = axes[r, c]
            for process in processes:
                sel = (orig["method"] == method) & (orig["process"] == process) & (orig["autocorrelation"] == rho)
                mine = orig[sel].sort_values("T")
                if mine.empty:
                    continue
                gap = mine["auroc_mean"].to_numpy() - best.loc[(process, rho)].reindex(mine["T"]).to_numpy()
                held, fresh = process in HELD_OUT, process in FRESH
                ax.plot(
                    mine["T"],
                    gap,
                    color=pc[process],
                    marker="*" if fresh else "o",
                    ms=8 if fresh else 5,
                    mfc=pc[process] if held or fresh else "white",
                    lw=1.2,
                    label=f"{process}{' (chose nothing)' if fresh else '' if held else ' (tuning process)'}"
                    if r == c == 0
                    else None,
                )
            ax.axhline(0.0, color="0.4", lw=1)
            ax.set_xscale("log")
            ts = sorted(set(s["T"]))
            ax.set_xticks(ts, [str(t) for t in ts])
            ax.minorticks_off()
            ax.grid(alpha=0.3)
            ax.set_title(f"{method}, rho {rho:g}", fontsize=9)
            if r == len(methods) - 1:
                ax.set_xlabel("series length T (steps)")
            if c == 0:
                ax.set_ylabel("AUROC - best baseline's")
    fig.legend(loc="center right", fontsize=8, frameon=False)
    fig.suptitle(
        "Assemblies against the best baseline of each setting (above 0: the assemblies rank better)", fontsize=10
    )
    fig.tight_layout(rect=(0, 0, 0.8, 0.95))
    path = FIGURE.with_name("discover_assemblies.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _cost(table: pd.DataFrame) -> list[dict]:
    t = table[_ok(table) & (table["condition"] == "original")]
    g = t.groupby(["method", "process", "T"])["seconds"].agg(["mean", "max"]).reset_index()
    return g.to_dict(orient="records")


def _versions(methods: list[str]) -> dict:
    out = versions()
    for m in methods:
        if m in METHODS:
            out.update({k: v for k, v in method_versions(m).items() if v is not None})
    from importlib import metadata

    try:
        out["statsmodels"] = metadata.version("statsmodels")  # the reference of the Granger F statistics
    except metadata.PackageNotFoundError:
        pass
    return out


def params(args, methods) -> dict:
    return {
        "processes": {p: PROCESSES[p] for p in args.processes},
        "autocorrelation": list(args.autocorrelation),
        "T": list(args.T),
        "seeds": list(args.seeds),
        "methods": methods,
        "max_lag": MAX_LAG,
        "burn_in": BURN_IN,
        "pcmci_pc_alpha": PC_ALPHA,
        "motif_strength": MOTIF_STRENGTH,
        "truth": "lag-1 links of the static model, over all ordered pairs",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=["baselines", "motifs", "assemblies", "all"], default="baselines")
    ap.add_argument("--quick", action="store_true", help="seeds 1-2, T 500 and 1000")
    ap.add_argument("--seeds", type=int, nargs="+", default=None)
    ap.add_argument("--T", type=int, nargs="+", default=None)
    ap.add_argument("--processes", nargs="+", choices=list(PROCESSES), default=list(PROCESSES))
    ap.add_argument("--autocorrelation", type=float, nargs="+", default=list(AUTOCORRELATION))
    ap.add_argument("--methods", nargs="+", choices=[*METHODS, *ASSEMBLY_METHODS], default=None)
    ap.add_argument(
        "--conditions",
        nargs="+",
        choices=[*CONDITIONS, "plasticity_off"],
        default=[*CONDITIONS, "plasticity_off"],
        help="which series each method runs on (plasticity_off: the assembly methods only)",
    )
    ap.add_argument("--plot-only", action="store_true")
    ap.add_argument("--page-only", action="store_true", help="rewrite docs/results/discover.rst from the CSVs")
    args = ap.parse_args()
    if args.page_only:
        page()
        return
    args.seeds = args.seeds or ([1, 2] if args.quick else list(SEEDS))
    args.T = args.T or ([500, 1000] if args.quick else list(T_VALUES))
    wanted = args.methods or [
        *(METHODS if args.part != "assemblies" else ()),
        *(ASSEMBLY_METHODS if args.part != "baselines" else ()),
    ]
    methods = [m for m in wanted if m in ASSEMBLY_METHODS or available(m)]
    missing = sorted(set(wanted) - set(methods))
    if missing:
        print(f"not run (library missing; pip install 'spiking_direct[discover]'): {missing}")
    if args.part in ("baselines", "assemblies", "all"):
        table = _read(CSV, KEY) if args.plot_only else run_grid(args, methods)
        ran = [m for m in [*METHODS, *ASSEMBLY_METHODS] if m in set(table["method"])]
        write_json(
            CSV_SIDECAR,
            {
                "params": params(args, ran)
                | {
                    "seeds": sorted(set(table["seed"].astype(int))),
                    "processes": {p: PROCESSES[p] for p in PROCESSES if p in set(table["process"])},
                },
                "versions": _versions(ran),
                "summary": summarise(table).to_dict(orient="records"),
                "cost_seconds": _cost(table),
            },
        )
        plot(table)
        page()
    if args.part in ("motifs", "all"):
        mt = _read(MOTIF_CSV, MOTIF_KEY) if args.plot_only else run_motifs(args, methods)
        t = mt[_ok(mt)]
        summary = (
            t.groupby(["motif", "autocorrelation", "method", "T"])
            .agg(ratio_mean=("ratio", "mean"), ratio_std=("ratio", "std"), above=("above", "mean"), n=("seed", "size"))
            .reset_index()
        )
        ran = [m for m in [*METHODS, *ASSEMBLY_METHODS] if m in set(mt["method"])]
        write_json(
            MOTIF_CSV.with_suffix(".json"),
            {
                "params": params(args, ran) | {"seeds": sorted(set(mt["seed"].astype(int)))},
                "versions": _versions(ran),
                "summary": summary.to_dict("records"),
            },
        )


def page() -> None:
    """``docs/results/discover.rst`` from the two CSVs (every number formatted from them)."""
    import sys

    sys.path.insert(0, str(ROOT / "experiments"))
    from _pages import Page, rng
    from _pages import fmt as num
    from scipy.stats import t as student_t

    table = _read(CSV, KEY)
    s = summarise(table)
    orig, shuf = s[s["condition"] == "original"], s[s["condition"] == "shuffled"]
    frozen = s[s["condition"] == "plasticity_off"]
    methods = [m for m in [*METHODS, *ASSEMBLY_METHODS] if m in set(orig["method"])]
    n = int(orig["n_seeds"].max())
    p = Page(
        "discover",
        "Causal discovery from time series: assemblies against the baselines",
        command="python experiments/discover.py --part all",
        intro=(
            "Dynamic versions of causal models (:func:`spiking_direct.causal.dynamic`: each variable at time t "
            "drawn from its conditional table given its parents at t - 1, or with probability rho kept from t - 1) "
            "give series of T steps; every method scores all ordered pairs, and AUROC is computed against the lag-1 "
            f"links ({n} seeds per point). The baselines are those of :mod:`spiking_direct.discovery.baselines`: "
            + ", ".join(f"``{m}``" for m in methods if m in METHODS)
            + ". The assembly methods (``assemblies_<engine>_<rule>``) are the discovery protocol of "
            ":mod:`spiking_direct.discovery.assemblies`: every ordered pair of areas plastic alike, the data's "
            "steps presented in order, no use of the truth. Its settings were chosen on "
            f"{TUNED_ON}; {', '.join(HELD_OUT)} were never used to choose them. The ``*_calibrated`` methods "
            f"divide each pair's score by its mean over {CALIBRATION_RUNS} runs on time-shuffled copies of the "
            "same series (:func:`spiking_direct.discovery.assemblies.calibrate`); the calibration, and its number "
            "of runs, were chosen after the raw scores failed the time-shuffled control, by looking at that "
            f"control and at the AUROC on {', '.join(HELD_OUT)} with the benchmark's seeds: for that choice those "
            f"processes are not held out. {' and '.join(f'``{x}``' for x in FRESH)} were added after every "
            "setting, the calibration included, was fixed, and no method had been run on them: they are held "
            "out from every choice. The weak "
            "random DAGs (``random10_weak``, ``random20_weak``) were added after the built-in random DAGs gave "
            "AUROC 1 for every method."
        ),
    )
    p.section("What this shows")
    sh = shuf["auroc_mean"]
    top = orig.groupby(["process", "autocorrelation", "T"])["auroc_mean"].transform("max")
    best = orig[orig["auroc_mean"] >= top - 5e-4]  # within 0.0005 of the best: ties counted for every tied method
    cells = orig.groupby(["process", "autocorrelation", "T"]).ngroups
    wins = best["method"].value_counts()
    all_tied = int((best.groupby(["process", "autocorrelation", "T"]).size() == len(methods)).sum())
    hard = orig[(orig.autocorrelation == 0.5) & (orig["T"] == 500)].auroc_mean
    base = [m for m in methods if m in METHODS]
    best_base = orig[orig["method"].isin(base)].groupby(["process", "autocorrelation", "T"])["auroc_mean"].max()
    assembly_lines = []
    for m in [m for m in methods if m in ASSEMBLY_METHODS]:
        mine = orig[orig["method"] == m].set_index(["process", "autocorrelation", "T"])["auroc_mean"]
        gap = (mine - best_base.reindex(mine.index)).dropna()
        held = gap[gap.index.get_level_values("process").isin(HELD_OUT)]
        fresh = gap[gap.index.get_level_values("process").isin(FRESH)]
        worst = gap.idxmin() if len(gap) else None
        parts = []
        if len(held):
            parts.append(
                f"{int((held >= -0.005).sum())} of {len(held)} on the processes never used for tuning the protocol"
            )
        if len(fresh):
            parts.append(
                f"{int((fresh >= -0.005).sum())} of {len(fresh)} on {' and '.join(FRESH)}, which chose nothing, "
                f"largest shortfall there {num(-fresh.min())}"
            )
        assembly_lines.append(
            f"``{m}``: AUROC at least the best baseline's (within 0.005) in {int((gap >= -0.005).sum())} of "
            f"{len(gap)} settings ({'; '.join(parts) or 'no setting held out'}); "
            f"largest shortfall {num(-gap.min())} ({worst[0]}, rho "
            f"{worst[1]:g}, T {worst[2]})"
            if worst is not None
            else f"``{m}``: no runs"
        )
    runs = table[_ok(table) & table["method"].isin(list(ASSEMBLY_METHODS))]
    per = runs.pivot_table(index=[*KEY[:5]], columns="method", values="auroc")
    for rule in sorted({r for _, r, _ in ASSEMBLY_METHODS.values()}):
        for suffix in ("", "_calibrated"):
            a, b = f"assemblies_rate_{rule}{suffix}", f"assemblies_spiking_{rule}{suffix}"
            if a in per.columns and b in per.columns:
                d = (per[b] - per[a]).dropna()
                if len(d):
                    assembly_lines.append(
                        f"The two engines on the same series and seed, ``{rule}`` rule, "
                        f"{'calibrated' if suffix else 'raw'} scores: AUROC differs by at most "
                        f"{d.abs().max():.4f} over {len(d)} runs (identical in "
                        f"{100 * (d.abs() < 1e-9).mean():.0f} % of them)."
                    )
    shuffled_runs = table[_ok(table) & (table["condition"] == "shuffled")]
    cell = ["method", "process", "autocorrelation", "T"]
    gb = shuffled_runs[shuffled_runs["method"].isin(list(METHODS))].groupby(cell)["auroc"].agg(["mean", "std"])
    within_base = (gb["mean"] - 0.5).abs() <= gb["std"]
    for calibrated in (False, True):
        kind = [m for m, (_, _, runs) in ASSEMBLY_METHODS.items() if bool(runs) == calibrated]
        shuf_runs = shuffled_runs[shuffled_runs["method"].isin(kind)]
        if shuf_runs.empty:
            continue
        g = shuf_runs.groupby(cell)["auroc"].agg(["mean", "std"])
        within = (g["mean"] - 0.5).abs() <= g["std"]
        wi = (g["mean"] - 0.5).abs().idxmax()
        w = g.loc[wi]
        assembly_lines.append(
            f"Time order shuffled, assembly methods with {'calibrated' if calibrated else 'raw'} scores: the mean "
            f"AUROC lies within one seed-sd of 0.5 in {int(within.sum())} of {len(within)} (method, setting) "
            f"cells; the largest deviation is {num(w['mean'])} +- {num(w['std'])} (``{wi[0]}``, {wi[1]}, rho "
            f"{wi[2]:g}, T {wi[3]}); the baselines' in {int(within_base.sum())} of {len(within_base)} cells."
            + (
                f" With {n} seeds a cell whose true mean is 0.5 misses this criterion with probability "
                f"{2 * student_t.sf(np.sqrt(n), n - 1):.3f} (a t statistic beyond sqrt({n}) in absolute value, "
                f"{n - 1} degrees of freedom), "
                "so among cells that share no series about that fraction miss it by chance (the rate and spiking "
                "engines' cells share their series)."
                if calibrated
                else " Raw scores are not exchangeable across pairs without order in time: a pair's null scale "
                "is set by its variables' value frequencies and within-step predictability (asia, 1000 steps without "
                "order: the pairs' mean raw scores span a factor of about 100, tested to exceed 20 in "
                "``tests/test_discovery_assemblies.py``), and asia's links join its rare "
                "values, so raw scores rank them first with no order in time; calibration divides each pair "
                "by its own null mean."
            )
        )
    if not frozen.empty:
        fa = frozen["auroc_mean"]
        assembly_lines.append(
            f"Plasticity off (the assemblies' negative control): mean AUROC {num(fa.mean())} (per-cell means "
            f"{rng(fa.min(), fa.max())})."
        )
    p.bullets(
        assembly_lines
        + [
            f"Time order shuffled (the negative control): mean AUROC {num(sh.mean())} over every process, T and "
            f"method (per-cell means {rng(sh.min(), sh.max())}).",
            f"Best or tied within 0.0005 of the best, over {cells} settings (process, autocorrelation, T): "
            + ", ".join(f"``{m}`` {int(c)}" for m, c in wins.items())
            + f"; in {all_tied} settings every method ties.",
            f"The hardest setting here is rho = 0.5 at T = 500: AUROC {rng(hard.min(), hard.max())} over "
            "processes and methods.",
        ]
    )
    for rho in sorted(orig["autocorrelation"].unique()):
        sub = orig[orig["autocorrelation"] == rho]
        wide = sub.pivot_table(index=["process", "T"], columns="method", values="auroc_mean").reset_index()
        p.section(f"AUROC, autocorrelation {rho:g}")
        p.table(
            wide,
            "experiments/results/discover_baselines.csv.gz",
            raw=table,
            columns={"process": "process", "T": "T", **{m: m.replace("_", " ") for m in methods}},
            formats={"T": "{:d}", **{m: "{:.3f}" for m in methods}},
            caption=f"mean over {n} seeds",
        )
    p.section("Cost per run")
    t_ok = table[_ok(table) & (table["condition"] == "original")]
    cost = t_ok.pivot_table(index=["process", "T"], columns="method", values="seconds", aggfunc="median").reset_index()
    cost = cost[cost["process"].isin(["alzheimer", "sachs", "random20", "child"])]
    p.text(
        "Median wall seconds of one method on one series over the seeds (a shared 2-core machine; the spiking "
        "engine's runs reuse one standalone build per network shape, and the run that compiles it, 16-32 s once "
        "per shape, is one of the seeds, hence the median)."
    )
    p.table(
        cost,
        "experiments/results/discover_baselines.csv.gz",
        raw=table,
        columns={"process": "process", "T": "T", **{m: m.replace("_", " ") for m in methods}},
        formats={"T": "{:d}", **{m: "{:.2f}" for m in methods}},
        caption="seconds per run, median over seeds",
    )
    p.figure("figures/discover_baselines.png", "AUROC against the series length, per process and method.")
    if FIGURE.with_name("discover_assemblies.png").exists():
        p.figure(
            "figures/discover_assemblies.png",
            "Each assembly method's mean AUROC minus the best baseline's mean AUROC in the same setting.",
        )
    if MOTIF_CSV.exists():
        mt = _read(MOTIF_CSV, MOTIF_KEY)
        mt = mt[_ok(mt)]
        m = mt.groupby(["motif", "autocorrelation", "T", "method"])["ratio"].mean().reset_index()
        wide = m.pivot_table(index=["motif", "autocorrelation", "T"], columns="method", values="ratio").reset_index()
        p.section("Motifs: the spurious pair against the weakest true link")
        p.text(
            "A chain A -> B -> C (spurious A -> C) and a common driver A -> B, A -> C (spurious B - C): the "
            "spurious pair's score divided by the weaker true link's. Scores have different scales across "
            f"methods, so compare a ratio within a method. The spurious pair outscored a true link in "
            f"{int(mt['above'].sum())} of {len(mt)} runs."
        )
        lines = []
        for meth in methods:
            r = m[m["method"] == meth]
            if r.empty:
                continue
            worst = r.loc[r["ratio"].idxmax()]
            seeds = mt[mt["method"] == meth]["seed"].nunique()
            lines.append(
                f"``{meth}`` ({seeds} seeds): mean ratio below 0.1 in {int((r['ratio'] < 0.1).sum())} of {len(r)} "
                f"settings (motif, rho, T); largest {num(worst['ratio'])} ({worst['motif']}, "
                f"rho {worst['autocorrelation']:g}, T {int(worst['T'])})"
            )
        p.bullets(lines)
        p.table(
            wide,
            "experiments/results/discover_baselines_motifs.csv",
            raw=mt,
            columns={
                "motif": "motif",
                "autocorrelation": "rho",
                "T": "T",
                **{k: k.replace("_", " ") for k in methods if k in wide.columns},
            },
            formats={"autocorrelation": "{:g}", "T": "{:d}", **{k: "{:.3f}" for k in methods}},
            caption=f"mean ratio over {int(mt.groupby(['motif', 'autocorrelation', 'T', 'method']).size().max())} "
            "seeds",
        )
    p.write()


if __name__ == "__main__":
    main()
